"""The page as served is the production build: one script and one stylesheet, both hashed."""

import re
from urllib.parse import urlsplit

from tests.client.e2e.chat_helpers import wait_until_live


def test_the_page_runs_from_one_hashed_script_and_one_hashed_stylesheet(live_app, new_page, tag):
    page = new_page()
    requested = []
    page.on("request", lambda request: requested.append((request.resource_type, urlsplit(request.url).path)))
    failed = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))

    page.goto(live_app.url)
    page.fill("#username", f"Ana {tag}")
    page.press("#username", "Enter")
    wait_until_live(page)

    scripts = [path for kind, path in requested if kind == "script"]
    stylesheets = [path for kind, path in requested if kind == "stylesheet"]
    assert len(scripts) == 1 and re.fullmatch(r"/assets/app-[A-Z0-9]{8}\.js", scripts[0]), scripts
    assert len(stylesheets) == 1 and re.fullmatch(r"/assets/styles-[A-Z0-9]{8}\.css", stylesheets[0]), stylesheets
    assert page.evaluate("[...document.styleSheets].map((sheet) => sheet.cssRules.length)")[0] > 0
    assert failed == []
