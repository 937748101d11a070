"""The pages as served are the production build: each runs from one hashed script and the hashed
stylesheet (a room adds its editing and reactions from a second one once live, and its history reader
only when needed); the lobby loads no ably-js and opens no realtime connection."""

import re
from urllib.parse import urlsplit

from tests.client.e2e.chat_helpers import wait_until_live


def watch(page):
    requested, sockets, failed = [], [], []
    page.on("request", lambda request: requested.append((request.resource_type, urlsplit(request.url).path)))
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    return requested, sockets, failed


def assets(requested, kind):
    return [path for resource_type, path in requested if resource_type == kind]


def test_the_lobby_runs_from_its_own_small_script_without_ably(live_app, new_page):
    page = new_page()
    requested, sockets, failed = watch(page)
    page.goto(live_app.url, wait_until="networkidle")

    scripts = assets(requested, "script")
    assert len(scripts) == 1 and re.fullmatch(r"/assets/lobby-page-[A-Z0-9]{8}\.js", scripts[0]), scripts
    assert sockets == []
    assert "/api/rooms" in assets(requested, "fetch")
    assert failed == []


def test_a_room_runs_from_its_hashed_scripts_and_one_hashed_stylesheet(live_app, new_page, tag):
    page = new_page()
    requested, _, failed = watch(page)
    page.goto(f"{live_app.url}/r/bundle-{tag}")
    page.fill("#username", f"Ana {tag}")
    page.press("#username", "Enter")
    wait_until_live(page)

    # Editing and reactions come once the room is live, from a second hashed script.
    page.wait_for_function("document.adoptedStyleSheets.length > 0")  # the later script has run
    scripts, stylesheets = assets(requested, "script"), assets(requested, "stylesheet")
    first, *later = scripts
    assert re.fullmatch(r"/assets/room-page-[A-Z0-9]{8}\.js", first), scripts
    # Editing and reactions follow once the room is live; the REST history reader only when it is needed
    # (after lost continuity, or for earlier messages), never on joining: the rewind brought the recent ones.
    assert [re.fullmatch(r"/assets/edit-react-[A-Z0-9]{8}\.js", url) is not None for url in later] == [True], scripts
    assert len(stylesheets) == 1 and re.fullmatch(r"/assets/styles-[A-Z0-9]{8}\.css", stylesheets[0]), stylesheets
    assert page.evaluate("[...document.styleSheets].map((sheet) => sheet.cssRules.length)")[0] > 0
    assert failed == []
