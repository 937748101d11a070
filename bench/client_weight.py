"""5. Client weight: the bytes the page loads before it is connected, as Vercel's CDN would send them
(brotli, gzip for older clients), against the packaged `ably.min.js` alone; the requests from
navigation to CONNECTED (Playwright, headless Chromium, the app as `make dev` serves it: the
production bundle), opening a room's link; and what the bundle would weigh with the ably-js Rest plugin,
which the page does without."""

import gzip
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import brotli

from bench.report import Table, ratio
from bench.stats import median, scaled
from devtools import ROOT, chromium
from devtools.app import running_app
from devtools.node import ably_js_bundle, node_executable
from devtools.tools import ToolMissing

CONNECT_TIMEOUT_MS = 30_000
SHIPPED_TYPES = ("document", "script", "stylesheet")
GOAL_BROTLI_BYTES = 45_000  # 45 KB
GOAL_REQUESTS = 7

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
    with running_app() as app, chromium.running_chromium() as browser:
        # A room's link, the way most people arrive; the lobby at / also asks for its list of rooms.
        return [load_until_connected(browser, f"{app.url}/r/bench", f"bench{index}") for index in range(loads)]


def built_variants() -> dict[str, dict[str, bytes]]:
    """Variant label -> {URL: body} of the page and the files it links, built as `npm run build` does."""
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run([node_executable(), "bench/bundle_variants.mjs", scratch], cwd=ROOT,
                              capture_output=True, text=True, check=True, timeout=120)
        variants = {}
        for label, folder in json.loads(done.stdout).items():
            page = (Path(folder) / "index.html").read_bytes()
            linked = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page.decode())
            variants[label] = {"/": page, **{url: (Path(folder) / url[1:]).read_bytes() for url in linked}}
        return variants


def run() -> list[Table]:
    try:
        packaged_sdk = ably_js_bundle().read_bytes()
        chromium.executable()  # before the app is started for nothing
    except ToolMissing as missing:
        return [Table("Client weight", ["Result"], [[f"not measured: {missing}"]])]
    try:
        loads = browse(scaled(3, minimum=1))
    except Exception as error:  # the page is being changed by others: say why, don't crash the run
        reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return [Table("Client weight", ["Result"], [[f"the page did not reach CONNECTED ({reason})"]])]
    return [bytes_table(loads[0], packaged_sdk), requests_table(loads), variants_table(built_variants())]


def sizes(body: bytes) -> list[int]:
    return [len(body), gzipped_size(body), brotli_size(body)]


def bytes_table(load: dict, packaged_sdk: bytes) -> Table:
    sdk = sizes(packaged_sdk)
    shipped = sorted(load["shipped"].items(), key=lambda item: -len(item[1]))
    rows = [[path, *sizes(body), ratio(brotli_size(body), sdk[2])] for path, body in shipped]
    total = [sum(row[column] for row in rows) for column in (1, 2, 3)]
    rows.append(["**total before CONNECTED**", *total, ratio(total[2], sdk[2])])
    rows.append(["`ably.min.js` alone (packaged UMD build)", *sdk, "1.00×"])
    met = total[2] <= GOAL_BROTLI_BYTES
    on_the_fly = sum(brotli_size(body, quality=5) for _, body in shipped)
    return Table(
        title="Client weight: what the page loads before CONNECTED",
        columns=["File", "raw bytes", "gzip bytes", "brotli bytes", "brotli / ably.min.js"],
        rows=rows,
        interpretation=f"The page sends {total[2]:,} bytes with brotli ({total[1]:,} with gzip), "
                       f"{ratio(total[2], sdk[2])} ably.min.js alone; goal ≤ {GOAL_BROTLI_BYTES:,} bytes (45 KB): "
                       + ("met." if met else f"not met, {total[2] - GOAL_BROTLI_BYTES:,} bytes over "
                          "(see the variants below for what would meet it)."),
        notes=["The document, scripts and stylesheets the browser requested between navigation and "
               "`#connection-status[data-state=connected]`, as `vercel dev` served them (the same files "
               "`vercel build` deploys), each compressed on its own: gzip -9 and brotli at quality 11. "
               "Vercel's CDN compresses with brotli when the browser accepts it, at a level it does not "
               f"document; at quality 5, a typical on-the-fly level, the total is {on_the_fly:,} bytes.",
               "Source maps are fetched only by developer tools, so they are not counted."],
    )


def requests_table(loads: list[dict]) -> Table:
    kinds = sorted({kind for load in loads for kind, _ in load["requests"]})
    rows = [[kind, *(sum(1 for k, _ in load["requests"] if k == kind) for load in loads)] for kind in kinds]
    rows.append(["websocket", *(len(load["sockets"]) for load in loads)])
    counts = [len(load["requests"]) + len(load["sockets"]) for load in loads]
    rows.append(["**all**", *counts])
    first = loads[0]
    sequence = ", ".join(path for _, path in first["requests"]) + ", " + ", ".join(
        urlsplit(url).path + " (WebSocket)" for url in first["sockets"])
    return Table(
        title="Requests from page load to CONNECTED",
        columns=["Request type", *(f"load {index + 1}" for index in range(len(loads)))],
        rows=rows,
        interpretation=f"{max(counts)} requests from navigation to CONNECTED (goal ≤ {GOAL_REQUESTS}: "
                       + ("met" if max(counts) <= GOAL_REQUESTS else "not met")
                       + f"; median {median([load['connected_ms'] for load in loads]):.0f} ms from navigation, "
                         "join form included, through `vercel dev`).",
        notes=[f"Fresh browser context per load (empty cache), opening `/r/bench`. First load, in order: "
               f"{sequence}.", "From the lobby (`/`) there is one more: its list of rooms (`/api/rooms`)."],
    )


def variants_table(variants: dict[str, dict[str, bytes]]) -> Table:
    rows = []
    for label, files in variants.items():
        total = [sum(sizes(body)[column] for body in files.values()) for column in range(3)]
        rows.append([label, *total, "yes" if total[2] <= GOAL_BROTLI_BYTES else "no"])
    saved = rows[-1][3] - rows[0][3]
    return Table(
        title="The page, its script and its stylesheet, built from the same sources",
        columns=["Build", "raw bytes", "gzip bytes", "brotli bytes", "≤ 45 KB brotli"],
        rows=rows,
        interpretation=f"Reading history with one request of its own instead of the Rest plugin, which "
                       f"channel.history() needs, saves {saved:,} bytes with brotli.",
        notes=["Built by bench/bundle_variants.mjs with the build's own code; the second build keeps the "
               "SDK's Rest plugin in the bundle (see bench/README.md)."],
    )
