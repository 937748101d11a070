"""`make dev` holds production's guarantees across vercel dev's several Python workers, through the HTTP
API: one holder per name and the per-address limits (both counted in the launcher's own Redis), no
answers to a DNS-rebinding page, the security headers on room links. Then a server stopping by itself."""

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from chat.rate_limits import SESSION_PER_IP
from devtools.app import running_app
from tests.launcher.support import GONE_TIMEOUT, children_of, eventually, launcher_env

CLAIMS_AT_ONCE = 8


@pytest.fixture(scope="module")
def app():
    with running_app(env=launcher_env()) as running:
        yield running


def claim(app, name: str, room: str, host: str | None = None) -> httpx.Response:
    headers = {"Host": host} if host else {}
    return httpx.post(app.url + "/api/session", json={"username": name, "room": room}, headers=headers, timeout=120)


def test_it_counts_in_a_redis_of_its_own(app):
    assert any("names and limits: a local Redis" in line for line in app.log)
    assert [child for child in children_of(app.process.pid) if "redis-server" in child.args]


def test_of_simultaneous_claims_of_one_free_name_exactly_one_wins(app):
    with ThreadPoolExecutor(CLAIMS_AT_ONCE) as pool:
        statuses = sorted(pool.map(lambda _: claim(app, "Nadia", "race-room").status_code, range(CLAIMS_AT_ONCE)))
    assert statuses == [200] + [409] * (CLAIMS_AT_ONCE - 1)


@pytest.mark.parametrize("path", ["/api/rooms", "/api/ably/auth", "/api/session"])
def test_a_rebinding_host_is_refused_by_every_function(app, path):
    response = httpx.request(
        "POST" if path == "/api/session" else "GET",
        app.url + path,
        headers={"Host": "evil.example"},
        json={"username": "Eve"},
        timeout=120,
    )
    assert response.status_code == 403
    assert "loopback names only" in response.json()["error"]["message"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_hosts_are_served(app, host):
    port = app.url.rsplit(":", 1)[1]
    response = claim(app, f"Lou {host[:3]}", "loopback-room", host=f"{host}:{port}")
    assert response.status_code == 200, response.text


def test_a_room_link_carries_the_pages_security_headers(app):
    front, room = httpx.get(app.url + "/"), httpx.get(app.url + "/r/team-a")
    assert room.status_code == 200 and "room-page" in room.text  # the room's own page, not the lobby
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert room.headers.get(name) and room.headers[name] == front.headers[name], name
    assert "frame-ancestors 'none'" in room.headers["Content-Security-Policy"]


def test_the_claim_limit_per_address_holds_across_workers(app):
    """Sent well within the limit's window, so exactly its amount gets through; claims of other names
    by other tests of this module came first and count too."""
    names = [f"Limit {n}" for n in range(SESSION_PER_IP.amount + 30)]
    with ThreadPoolExecutor(CLAIMS_AT_ONCE) as pool:
        statuses = list(pool.map(lambda name: claim(app, name, "limit-room").status_code, names))
    assert 429 in statuses
    assert statuses.count(200) <= SESSION_PER_IP.amount
    assert set(statuses) == {200, 429}


def test_a_server_stopping_by_itself_is_told_and_stops_everything(app):
    [emulator] = [child for child in children_of(app.process.pid) if "-m emulator" in child.args]
    os.kill(emulator.pid, signal.SIGTERM)
    assert app.process.wait(timeout=GONE_TIMEOUT) == 1
    told = eventually(
        lambda: [line for line in app.log if "so make dev stops everything" in line], "the launcher's last line"
    )
    assert told == [
        "The Ably emulator was stopped from outside make dev (it exits cleanly only when sent SIGTERM "
        "or SIGINT), so make dev stops everything."
    ], "\n".join(app.log[-30:])
    assert not [line for line in app.log if "exited with code" in line]
