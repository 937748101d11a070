"""The functions' Ably REST client: fallback hosts on 5xx and network failures, never on a refusal,
and a bounded wait. Real HTTP servers play the hosts: a 503 or a hung host cannot be asked of the
emulator."""

import http.server
import json
import threading
import time

import pytest

from chat.ably_rest import Ably, AblyFailed
from chat.config import Settings
from tests.functions.helpers import TEST_KEY
from tests.support.http import QuietHandler


class Host(http.server.ThreadingHTTPServer):
    """A stand-in for one Ably host that answers every request with `status` (or never)."""

    def __init__(self, status: int, body: dict | None = None, hang_s: float = 0):
        self.status, self.body, self.hang_s, self.seen = status, body or {}, hang_s, []
        super().__init__(("127.0.0.1", 0), self.Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def address(self) -> tuple[str, int]:
        return self.server_address[:2]

    class Handler(QuietHandler):
        def do_POST(self):  # noqa: N802
            host = self.server
            body = self.rfile.read(int(self.headers["Content-Length"]))
            host.seen.append((self.headers["Authorization"], json.loads(body)))
            time.sleep(host.hang_s)
            try:
                self.respond(json.dumps(host.body).encode(), "application/json", host.status)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on this host, as it should


@pytest.fixture
def hosts():
    started = []

    def host(*args, **kwargs):
        started.append(Host(*args, **kwargs))
        return started[-1]

    yield host
    for server in started:
        server.shutdown()


def client(first: Host, *rest: Host, **options) -> Ably:
    settings = Settings.from_environment({"ABLY_API_KEY": TEST_KEY, "ABLY_ENDPOINT": "http://%s:%d" % first.address})
    return Ably(settings, local_fallbacks=tuple(host.address for host in rest), **options)


def test_a_5xx_is_retried_on_the_next_host_with_the_same_message(hosts):
    failing, working = hosts(503, {"error": {"code": 50300}}), hosts(201, {"serials": ["s"]})
    client(failing, working).publish("chat", "message", {"text": "hi"}, "claim:id-1")
    assert len(failing.seen) == len(working.seen) == 1
    assert failing.seen[0][1] == working.seen[0][1] == {
        "name": "message", "id": "claim:id-1", "data": '{"text": "hi"}', "encoding": "json"}
    assert working.seen[0][0].startswith("Basic ")


def test_a_refusal_is_not_retried_and_carries_ablys_code(hosts):
    refusing, spare = hosts(401, {"error": {"code": 40101, "statusCode": 401}}), hosts(201)
    with pytest.raises(AblyFailed, match="error 40101"):
        client(refusing, spare).publish("chat", "message", {}, "id")
    assert spare.seen == []


def test_a_hung_host_gives_way_and_the_wait_is_bounded(hosts):
    hung, working = hosts(201, hang_s=2), hosts(201)
    client(hung, working, request_timeout_s=0.5).publish("chat", "message", {}, "id")
    assert len(working.seen) == 1
    with pytest.raises(AblyFailed, match="could not be reached"):
        client(hung, hung, hung, request_timeout_s=0.3, retry_window_s=0.5).publish("chat", "message", {}, "id")
    assert len(hung.seen) <= 4  # two attempts here at most: none starts after the retry window


def test_the_cloud_hosts_are_ablys_own():
    ably = Ably(Settings.from_environment({"ABLY_API_KEY": TEST_KEY}))
    assert ably._hosts[0] == ("main.realtime.ably.net", 443) and len(ably._hosts) == 6
