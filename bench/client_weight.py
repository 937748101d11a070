"""5. Client weight: what each page costs a fresh browser, as Vercel's CDN would send it (brotli, gzip for
older clients), against the packaged `ably.min.js` alone. The lobby (`/`) until the network is idle: its
script, stylesheet and list of rooms, no ably-js. A room's link (`/r/<room>`) until CONNECTED: the
conversation's script with the ably-js it uses. Requests are counted from navigation (Playwright, headless
Chromium, the app as `make dev` serves it: the production bundle)."""

import gzip
import time
from urllib.parse import urlsplit

import brotli

from bench.report import Table, ratio
from bench.stats import median, scaled
from devtools import chromium
from devtools.app import running_app
from devtools.node import ably_js_bundle
from devtools.tools import ToolMissing

CONNECT_TIMEOUT_MS = 30_000
SHIPPED_TYPES = ("document", "script", "stylesheet")
# Issue 19's budgets: brotli bytes of JS + CSS, and requests.
LOBBY = {"label": "lobby `/`, until idle", "budget_bytes": 12_000, "budget_requests": 4}
ROOM = {"label": "room link `/r/bench`, to CONNECTED", "budget_bytes": 52_000, "budget_requests": 7}

# Stamps the moment the page first shows it is connected, in the browser's own clock.
RECORD_CONNECTED_AT = """
window.benchConnectedAt = null;
new MutationObserver(() => {
  if (window.benchConnectedAt === null
      && document.querySelector('#connection-status[data-state="connected"]')) {
    window.benchConnectedAt = Date.now();
  }
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
"""


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def brotli_size(data: bytes, quality: int = 11) -> int:
    return len(brotli.compress(data, quality=quality))


def record(page) -> tuple[list, list]:
    requests, sockets = [], []
    page.on("request", lambda request: requests.append(request))  # noqa: PLW0108 (Playwright needs a function)
    page.on("websocket", lambda socket: sockets.append(socket.url))
    return requests, sockets


def summary(requests: list, sockets: list, elapsed_ms: float) -> dict:
    shipped = {
        urlsplit(r.url).path: r.response().body()
        for r in requests
        if r.resource_type in SHIPPED_TYPES and r.response() is not None
    }
    return {
        "ms": elapsed_ms,
        "shipped": shipped,
        "sockets": sockets,
        "requests": [(r.resource_type, urlsplit(r.url).path) for r in requests],
    }


def load_lobby(browser, url: str) -> dict:
    """Opens the lobby in a fresh context: what it requested until the network was idle."""
    context = browser.new_context()
    try:
        page = context.new_page()
        requests, sockets = record(page)
        navigated_at = time.monotonic()
        page.goto(url, wait_until="networkidle")
        elapsed_ms = (time.monotonic() - navigated_at) * 1000
        idle = list(requests)  # the list refreshes every few seconds; what came later is not the load
        return summary(idle, sockets, elapsed_ms)
    finally:
        context.close()


def load_room_until_connected(browser, url: str, name: str) -> dict:
    """Opens a room's link in a fresh context and joins as `name`: what it requested until CONNECTED."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(RECORD_CONNECTED_AT)
        requests, sockets = record(page)
        navigated_at = time.time() * 1000
        page.goto(url)
        page.fill("#username", name)
        page.click("#connect")
        page.wait_for_selector(
            '#connection-status[data-state="connected"]', state="attached", timeout=CONNECT_TIMEOUT_MS
        )
        connected_at = page.evaluate("() => window.benchConnectedAt")
        page.wait_for_load_state("networkidle")  # so that every counted response has its body
        before = [r for r in requests if r.timing["startTime"] <= connected_at]
        return summary(before, sockets, connected_at - navigated_at)
    finally:
        context.close()


def browse(loads: int) -> dict[str, list[dict]]:
    with running_app() as app, chromium.running_chromium() as browser:
        return {
            "lobby": [load_lobby(browser, app.url) for _ in range(loads)],
            "room": [
                load_room_until_connected(browser, f"{app.url}/r/bench", f"bench{index}") for index in range(loads)
            ],
        }


def run() -> list[Table]:
    try:
        packaged_sdk = ably_js_bundle().read_bytes()
        chromium.executable()  # before the app is started for nothing
    except ToolMissing as missing:
        return [Table("Client weight", ["Result"], [[f"not measured: {missing}"]])]
    try:
        loads = browse(scaled(3, minimum=1))
    except Exception as error:  # noqa: BLE001 (the page is being changed by others: say why, don't crash the run)
        reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return [Table("Client weight", ["Result"], [[f"the page did not load as expected ({reason})"]])]
    return [bytes_table(loads, packaged_sdk), requests_table(loads)]


def sizes(body: bytes) -> list[int]:
    return [len(body), gzipped_size(body), brotli_size(body)]


def is_code(path: str) -> bool:
    return path.endswith((".js", ".css"))


def bytes_table(loads: dict[str, list[dict]], packaged_sdk: bytes) -> Table:
    sdk = sizes(packaged_sdk)
    rows, verdicts, on_the_fly = [], [], []
    for key, goal in (("lobby", LOBBY), ("room", ROOM)):
        shipped = sorted(loads[key][0]["shipped"].items(), key=lambda item: -len(item[1]))
        page_rows = [[goal["label"], path, *sizes(body), ratio(brotli_size(body), sdk[2])] for path, body in shipped]
        code = [sum(row[column] for row in page_rows if is_code(row[1])) for column in (2, 3, 4)]
        rows += [*page_rows, [goal["label"], "**JS + CSS**", *code, ratio(code[2], sdk[2])]]
        met = "met" if code[2] <= goal["budget_bytes"] else f"not met, {code[2] - goal['budget_bytes']:,} bytes over"
        verdicts.append(
            f"{goal['label']}: {code[2]:,} bytes of JS + CSS with brotli (goal ≤ {goal['budget_bytes']:,}: {met})"
        )
        on_the_fly.append(
            f"{sum(brotli_size(body, quality=5) for path, body in shipped if is_code(path)):,} bytes for the {key}"
        )
    rows.append(["", "`ably.min.js` alone (packaged UMD build)", *sdk, "1.00×"])
    return Table(
        title="Client weight: what each page loads",
        columns=["Page", "File", "raw bytes", "gzip bytes", "brotli bytes", "brotli / ably.min.js"],
        rows=rows,
        interpretation="; ".join(verdicts) + ".",
        notes=[
            "The documents, scripts and stylesheets the browser requested (the lobby until the network was "
            "idle, a room's link until `#connection-status[data-state=connected]`), as `vercel dev` served "
            "them (the same files `vercel build` deploys), each compressed on its own: gzip -9 and brotli at "
            "quality 11. Vercel's CDN compresses with brotli when the browser accepts it, at a level it does "
            f"not document; at quality 5, a typical on-the-fly level, JS + CSS come to {' and '.join(on_the_fly)}.",
            "The room's script holds the ably-js modules it uses to go live (realtime, WebSocket, fetch and "
            "presence; recent history comes with the attach, by `rewind`); its REST history reader is a "
            "bundle of its own, loaded only after lost continuity or for older messages, so it is not "
            "counted. The lobby holds no ably-js. Both pages share the "
            "stylesheet, so a room opened from the lobby finds it cached. Source maps are fetched only by "
            "developer tools, so they are not counted.",
        ],
    )


def requests_table(loads: dict[str, list[dict]]) -> Table:
    rows, verdicts, notes = [], [], []
    for key, goal in (("lobby", LOBBY), ("room", ROOM)):
        counts = [len(load["requests"]) + len(load["sockets"]) for load in loads[key]]
        rows.append([goal["label"], *counts, goal["budget_requests"]])
        met = "met" if max(counts) <= goal["budget_requests"] else "not met"
        verdicts.append(
            f"{goal['label']}: {max(counts)} (goal ≤ {goal['budget_requests']}: {met}; "
            f"median {median([load['ms'] for load in loads[key]]):.0f} ms)"
        )
        first = loads[key][0]
        sequence = [path for _, path in first["requests"]] + [
            f"{urlsplit(url).path} (WebSocket)" for url in first["sockets"]
        ]
        notes.append(f"{goal['label']}, first load, in order: {', '.join(sequence)}.")
    return Table(
        title="Requests from navigation",
        columns=["Page", *(f"load {index + 1}" for index in range(len(loads["lobby"]))), "goal"],
        rows=rows,
        interpretation="Requests: " + "; ".join(verdicts) + ", through `vercel dev`, the join form included.",
        notes=["Fresh browser context per load (empty cache).", *notes],
    )
