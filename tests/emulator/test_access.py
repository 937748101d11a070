"""Who may use the emulator: loopback pages only (plus --allow-origin), names it answers to,
a warning when bound beyond loopback, and bounds on what POST /apps may create."""

import json

import aiohttp
import httpx
import pytest

from devtools.chromium import running_chromium
from devtools.emulator import running_emulator
from devtools.node import ably_js_bundle
from emulator.access import AccessPolicy, exposure_warning
from tests.support.http import QuietHandler, basic_auth, serving


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1:3000", "http://localhost:5173", "https://app.localhost", "http://[::1]:8080"]
)
def test_loopback_origins_get_credentialed_cors(emulator, origin):
    pre = httpx.options(
        f"{emulator.url}/keys/local.dev/requestToken",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == origin
    r = httpx.get(f"{emulator.url}/channels/x/messages", headers={"Origin": origin, **basic_auth(emulator.key)})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example", "null", "file://"])
def test_other_origins_are_refused_before_anything_happens(emulator, origin):
    pre = httpx.options(
        f"{emulator.url}/apps",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert pre.status_code == 403 and "access-control-allow-origin" not in pre.headers
    assert "access-control-allow-private-network" not in pre.headers
    # A "simple" cross-origin POST needs no preflight: it must be refused, not just made unreadable.
    r = httpx.post(f"{emulator.url}/apps", content=b"{}", headers={"Origin": origin, "Content-Type": "text/plain"})
    assert r.status_code == 403 and r.json()["error"]["code"] == 40300
    assert "access-control-allow-origin" not in r.headers


async def test_websocket_upgrades_from_other_origins_are_refused(emulator):
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as e:
            await session.ws_connect(
                f"{emulator.ws_url}/?key={emulator.key}", headers={"Origin": "https://evil.example"}
            )
        assert e.value.status == 403
        async with session.ws_connect(
            f"{emulator.ws_url}/?key={emulator.key}&format=json", headers={"Origin": "http://localhost:3000"}
        ) as ws:
            assert (await ws.receive_json(timeout=5))["action"] == 4


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("127.0.0.1:8081", True),
        ("localhost", True),
        ("[::1]:1", True),
        ("192.168.1.20:8081", True),
        ("evil.example", False),
        ("127.0.0.1.nip.io:8081", False),
    ],
)
def test_the_host_header_must_be_loopback_or_an_address(emulator, host, allowed):
    r = httpx.get(f"{emulator.url}/time", headers={"Host": host})
    assert (r.status_code == 200) == allowed
    if not allowed:
        assert r.status_code == 403 and r.json()["error"]["code"] == 40300


def test_allow_origin_adds_an_origin_and_its_host():
    with running_emulator("--allow-origin", "https://app.example:8443") as emu:
        ok = httpx.get(f"{emu.url}/time", headers={"Origin": "https://app.example:8443", "Host": "app.example"})
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://app.example:8443"
        assert httpx.get(f"{emu.url}/time", headers={"Origin": "https://app.example"}).status_code == 403
        assert "WARNING" not in emu.output  # still on loopback


def test_allow_origin_must_be_an_origin():
    with pytest.raises(ValueError):
        AccessPolicy("127.0.0.1", ("not an origin",))
    with pytest.raises(ValueError):
        AccessPolicy("127.0.0.1", ("https://app.example/path",))


def test_binding_beyond_loopback_is_warned_about():
    assert exposure_warning("127.0.0.1") is None and exposure_warning("::1") is None
    assert exposure_warning("localhost") is None
    for host in ("0.0.0.0", "::", "192.168.1.20"):
        assert "WARNING" in exposure_warning(host) and host in exposure_warning(host)


@pytest.mark.parametrize(
    "spec, status, code",
    [
        ({"keys": [{}] * 21}, 400, 40003),
        ({"namespaces": [{"id": f"n{i}"} for i in range(51)]}, 400, 40003),
        ({"channels": [{"name": f"c{i}"} for i in range(51)]}, 400, 40003),
        ({"channels": [{"name": "c", "presence": [{"clientId": f"u{i}"} for i in range(101)]}]}, 400, 40003),
        ({"channels": [{"name": ":bad"}]}, 400, 40010),
        ({"keys": [{"capability": '{"x":["publish_"]}'}]}, 400, 40000),
    ],
)
def test_app_specs_are_bounded(emulator, spec, status, code):
    r = httpx.post(f"{emulator.url}/apps", json=spec)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code)


def test_a_large_app_spec_is_refused_unread(emulator):
    # 200 KB that would once have made 50,000 keys.
    body = json.dumps({"keys": [{}] * 50_000}).encode()
    assert len(body) > 150_000
    r = httpx.post(f"{emulator.url}/apps", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == 40009


# Names that are not loopback to the emulator, which the browser resolves to 127.0.0.1 all the same.
HOSTILE_NAMES_ON_LOOPBACK = "--host-resolver-rules=MAP hostile.test 127.0.0.1, MAP rebind.test 127.0.0.1"


class HostilePage(QuietHandler):
    """A page on a non-loopback origin (the browser maps the name to 127.0.0.1) that tries the emulator."""

    def do_GET(self):
        if self.path == "/ably.min.js":
            self.respond(ably_js_bundle().read_bytes(), "application/javascript")
        else:
            self.respond(b'<!doctype html><meta charset="utf-8"><script src="/ably.min.js"></script>', "text/html")


TRY_THE_EMULATOR = """async ({port, key}) => {
  const attempts = {};
  try {
    const r = await fetch(`http://127.0.0.1:${port}/apps`, {method: 'POST', body: '{}'});
    attempts.fetch = `status ${r.status}`;
  } catch (e) { attempts.fetch = 'blocked'; }
  const client = new Ably.Realtime({key, endpoint: '127.0.0.1', port, tls: false, transports: ['web_socket'],
                                    disconnectedRetryTimeout: 60000, logLevel: 0});
  attempts.realtime = await Promise.race([
    client.connection.once('connected').then(() => 'connected'),
    client.connection.once('disconnected').then(() => 'disconnected'),
    client.connection.once('failed').then(() => 'failed'),
    new Promise((resolve) => setTimeout(() => resolve('no answer'), 8000)),
  ]);
  client.close();
  return attempts;
}"""


def test_a_page_on_another_origin_cannot_use_the_emulator_in_a_real_browser(emulator):
    ably_js_bundle()  # served by HostilePage: when missing, say so here rather than in the server's thread
    with serving(HostilePage) as port, running_chromium(HOSTILE_NAMES_ON_LOOPBACK) as browser:
        page = browser.new_page()
        page.goto(f"http://hostile.test:{port}/")
        attempts = page.evaluate(TRY_THE_EMULATOR, {"port": emulator.port, "key": emulator.key})
        # The refusal carries no CORS headers, so the page cannot even read it.
        assert attempts == {"fetch": "blocked", "realtime": "disconnected"}, attempts
        # DNS rebinding: a hostile name for 127.0.0.1 makes its pages same-origin with the emulator.
        page.goto(f"http://rebind.test:{emulator.port}/time")
        assert "40300" in page.content()
