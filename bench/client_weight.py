"""5. Client weight: the JavaScript and CSS the page loads before it is connected, against
the packaged `ably.min.js` alone, and the requests from page load to CONNECTED (Playwright,
headless Chromium, against the app as `make dev` serves it)."""

import gzip
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from bench.report import Table, ratio
from bench.stats import median, scaled
from tests.support.app import running_app

ROOT = Path(__file__).resolve().parents[1]
CLIENT_FILES = (ROOT / "public/index.html", ROOT / "public/vendor/ably.mjs")
PACKAGED_SDK = ROOT / "node_modules/ably/build/ably.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CONNECT_TIMEOUT_MS = 30_000
SHIPPED_TYPES = ("script", "stylesheet")

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


def load_until_connected(browser, url: str, name: str) -> dict:
    """Opens the page in a fresh context and joins as `name`: what it requested until CONNECTED."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(RECORD_CONNECTED_AT)
        requests, sockets = [], []
        page.on("request", lambda request: requests.append(request))
        page.on("websocket", lambda socket: sockets.append(socket.url))
        navigated_at = time.time() * 1000
        page.goto(url)
        page.fill("#username", name)
        page.click("#connect")
        page.wait_for_selector('#connection-status[data-state="connected"]', state="attached",
                               timeout=CONNECT_TIMEOUT_MS)
        connected_at = page.evaluate("() => window.benchConnectedAt")
        page.wait_for_load_state("networkidle")  # so that every counted response has its body
        before = [r for r in requests if r.timing["startTime"] <= connected_at]
        shipped = {urlsplit(r.url).path: r.response().body()
                   for r in before if r.resource_type in SHIPPED_TYPES and r.response() is not None}
        return {"connected_ms": connected_at - navigated_at, "shipped": shipped, "sockets": sockets,
                "requests": [(r.resource_type, urlsplit(r.url).path) for r in before]}
    finally:
        context.close()


def browse(loads: int) -> list[dict]:
    with running_app() as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return [load_until_connected(browser, app.url, f"bench{index}") for index in range(loads)]
        finally:
            browser.close()


def run() -> list[Table]:
    missing = [str(path.relative_to(ROOT)) for path in (*CLIENT_FILES, PACKAGED_SDK) if not path.exists()]
    if missing:
        return [Table("Client weight", ["Result"], [[f"client not built: missing {', '.join(missing)}"]])]
    if not Path(CHROMIUM).exists():
        return [Table("Client weight", ["Result"], [[f"not measured: {CHROMIUM} is missing"]])]
    try:
        loads = browse(scaled(3, minimum=1))
    except Exception as error:  # the client is being built by others: say why, don't crash the run
        reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return [Table("Client weight", ["Result"], [[f"client did not reach CONNECTED ({reason})"]])]
    return [bytes_table(loads[0]), requests_table(loads)]


def bytes_table(load: dict) -> Table:
    sdk = PACKAGED_SDK.read_bytes()
    sdk_raw, sdk_gzip = len(sdk), gzipped_size(sdk)
    rows = [[path, len(body), gzipped_size(body), ratio(len(body), sdk_raw)]
            for path, body in sorted(load["shipped"].items(), key=lambda item: -len(item[1]))]
    total_raw = sum(len(body) for body in load["shipped"].values())
    total_gzip = sum(gzipped_size(body) for body in load["shipped"].values())
    rows.append(["**total before CONNECTED**", total_raw, total_gzip, ratio(total_raw, sdk_raw)])
    rows.append(["`ably.min.js` alone (packaged UMD build)", sdk_raw, sdk_gzip, "1.00×"])
    return Table(
        title="Client weight: JavaScript and CSS loaded before CONNECTED",
        columns=["File", "raw bytes", "gzip bytes", "raw / ably.min.js"],
        rows=rows,
        interpretation=f"The whole page ships {ratio(total_gzip, sdk_gzip)} the gzip bytes of "
                       f"ably.min.js alone ({total_gzip / 1024:.1f} KiB vs {sdk_gzip / 1024:.1f} KiB).",
        notes=["Scripts and stylesheets the browser requested between navigation and "
               "`#connection-status[data-state=connected]`; gzip -9 of each file separately "
               "(what a gzip-serving CDN sends; files are compressed one by one)."],
    )


def requests_table(loads: list[dict]) -> Table:
    kinds = sorted({kind for load in loads for kind, _ in load["requests"]})
    rows = [[kind, *(sum(1 for k, _ in load["requests"] if k == kind) for load in loads)] for kind in kinds]
    rows.append(["websocket", *(len(load["sockets"]) for load in loads)])
    rows.append(["**all**", *(len(load["requests"]) + len(load["sockets"]) for load in loads)])
    first = loads[0]
    sequence = ", ".join(path for _, path in first["requests"]) + ", " + ", ".join(
        urlsplit(url).path + " (WebSocket)" for url in first["sockets"])
    return Table(
        title="Requests from page load to CONNECTED",
        columns=["Request type", *(f"load {index + 1}" for index in range(len(loads)))],
        rows=rows,
        interpretation=f"{len(first['requests']) + len(first['sockets'])} requests from navigation to CONNECTED "
                       f"(median {median([load['connected_ms'] for load in loads]):.0f} ms "
                       "from navigation, join form included, through `vercel dev`).",
        notes=[f"Fresh browser context per load (empty cache). First load, in order: {sequence}."],
    )
