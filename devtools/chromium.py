"""The one Chromium that the tests and benchmarks drive through Playwright, and how it is launched.

CHROMIUM is the `CHROMIUM` environment variable (a path, or a name on PATH), else `chromium` on PATH,
else the Debian package's /usr/bin/chromium. .ci/run follows the same rule: it installs the Debian
package only when CHROMIUM is unset and there is no `chromium` on PATH.
"""

import contextlib
import os
import shutil

from playwright.sync_api import sync_playwright

from devtools.tools import program

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# No sandbox (containers and CI run as root), no GPU, no QUIC, and none of the browser's own traffic
# (first-run pages, component updates, sync): only what a page asks for goes over the network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def executable() -> str:
    """The path of CHROMIUM; ToolMissing if it is not installed."""
    return program(CHROMIUM, "apt-get install chromium, or set CHROMIUM to a Chromium or Chrome binary")


def launch(playwright, *extra_flags: str):
    """A headless CHROMIUM from a started Playwright (sync or async API), with FLAGS and `extra_flags`."""
    return playwright.chromium.launch(executable_path=executable(), args=[*FLAGS, *extra_flags])


@contextlib.contextmanager
def running_chromium(*extra_flags: str):
    """A headless CHROMIUM driven through Playwright's sync API, closed on exit. The sync API runs an
    event loop of its own until then: asyncio code cannot start one in the meantime."""
    with sync_playwright() as playwright:
        browser = launch(playwright, *extra_flags)
        try:
            yield browser
        finally:
            browser.close()
