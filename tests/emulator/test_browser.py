"""The ably-js browser bundle in real headless Chromium, from another origin, as the chat page uses it:
authUrl with a TokenRequest signed by ably-python (nulls included), CORS with credentials,
JSON over WebSocket with heartbeats=true, rewind, history(untilAttach) through envelope=json,
presence, and a leave when a tab closes."""

import json
from functools import partial
from urllib.parse import parse_qs, urlparse

import pytest
from ably.sync import AblyRestSync

from devtools.chromium import running_chromium
from devtools.node import ably_js_bundle
from tests.support.http import QuietHandler, serving

NO_STORE = {"Cache-Control": "no-store"}
PAGE = b"""<!doctype html><meta charset="utf-8"><script src="/ably.min.js"></script><p>emulator test page"""


class PageServer(QuietHandler):
    """The page's own origin: the page, the SDK bundle, and an auth endpoint like the app's."""

    def __init__(self, *args, signer, channel, bundle, **kwargs):
        self.signer, self.channel, self.bundle = signer, channel, bundle
        super().__init__(*args, **kwargs)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/ably.min.js":
            return self.respond(self.bundle.read_bytes(), "application/javascript", headers=NO_STORE)
        if url.path == "/auth":
            username = parse_qs(url.query)["username"][0]
            request = self.signer.auth.create_token_request(
                {
                    "client_id": username,
                    "capability": {self.channel: ["subscribe", "presence", "history"]},
                }
            )
            return self.respond(json.dumps(request.to_dict()).encode(), "application/json", headers=NO_STORE)
        return self.respond(PAGE, "text/html", headers=NO_STORE)


@pytest.fixture(scope="module")
def page_origin(emulator):
    signer = AblyRestSync(key=emulator.key, endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True)
    page_server = partial(PageServer, signer=signer, channel="browser-chat", bundle=ably_js_bundle())
    with serving(page_server) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser():
    with running_chromium() as browser:
        yield browser


CONNECT = """async ({username, port, rewind}) => {
  const client = new Ably.Realtime({
    authUrl: '/auth', authParams: {username}, endpoint: '127.0.0.1', port, tls: false,
    transports: ['web_socket'], transportParams: {remainPresentFor: 10000},
    connectivityCheckUrl: `http://127.0.0.1:${port}/is-the-internet-up.txt`,
    wsConnectivityCheckUrl: `ws://127.0.0.1:${port}/ws-up`,
  });
  window.client = client;
  window.received = [];
  window.presenceEvents = [];
  await client.connection.once('connected');
  const options = rewind ? {params: {rewind}} : {};
  const channel = window.channel = client.channels.get('browser-chat', options);
  await channel.subscribe('message', (m) => window.received.push(m.data.text));
  await channel.presence.subscribe((m) => window.presenceEvents.push(`${m.action}:${m.clientId}`));
  return {clientId: client.auth.clientId, state: client.connection.state};
}"""


def open_chat(browser, page_origin, emulator, username, rewind=None):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_origin)
    result = page.evaluate(CONNECT, {"username": username, "port": emulator.port, "rewind": rewind})
    assert result == {"clientId": username, "state": "connected"}, errors
    return page


def publish_from_flask(emulator, text):
    client = AblyRestSync(key=emulator.key, endpoint=emulator.host, port=emulator.port, tls=False, use_token_auth=True)
    client.channels.get("browser-chat").publish(
        "message", {"username": "server", "text": text, "date": "2026-01-01T00:00:00Z", "type": "message"}
    )


def test_chat_page_flow(browser, page_origin, emulator):
    for i in range(3):
        publish_from_flask(emulator, f"old{i}")
    ann = open_chat(browser, page_origin, emulator, "ann", rewind="2")
    ann.wait_for_function("window.received.length === 2")
    assert ann.evaluate("window.received") == ["old1", "old2"]

    bob = open_chat(browser, page_origin, emulator, "bob")
    history = bob.evaluate("""async () => {
        const page = await window.channel.history({untilAttach: true, limit: 2});
        const next = await page.next();
        return [page.items.map((m) => m.data.text), next.items.map((m) => m.data.text)];
    }""")
    assert history == [["old2", "old1"], ["old0"]]

    ann.evaluate("window.channel.presence.enter({typing: false})")
    bob.evaluate("window.channel.presence.enter({typing: false})")
    ann.evaluate("window.channel.presence.update({typing: true})")
    bob.wait_for_function("window.presenceEvents.includes('update:ann')")
    members = bob.evaluate("""async () => (await window.channel.presence.get())
        .map((m) => `${m.clientId}:${m.data.typing}`).sort()""")
    assert members == ["ann:true", "bob:false"]

    publish_from_flask(emulator, "live")
    for page in (ann, bob):
        page.wait_for_function("window.received.includes('live')")
    # Publishing from the browser is not in its capability.
    code = bob.evaluate("window.channel.publish('message', {text: 'x'}).then(() => 0, (e) => e.code)")
    assert code == 40160

    # The tab closes: closeOnUnload sends CLOSE, so the leave comes long before the 10 s a dropped
    # connection would stay present (remainPresentFor above).
    ann.close(run_before_unload=True)
    bob.wait_for_function("window.presenceEvents.includes('leave:ann')", timeout=5000)
    ann.context.close()
    bob.context.close()
