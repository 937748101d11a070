"""Editing, deleting and reacting, for three people in one room, through the app as `make dev` serves it:
live, after a reload, for a late joiner, and after a transport cut that lost the channel's continuity."""

import json
import re
import urllib.request

from playwright.sync_api import Page, WebSocketRoute, expect

from tests.client.e2e.chat_helpers import send, wait_until_live
from tests.support.chat_api import post_message
from tests.support.http import basic_auth

ATTACHED, RESUMED_FLAG, MESSAGE = 11, 1 << 2, 15


def forgetful_after_the_first(socket: WebSocketRoute, sockets: list) -> None:
    """Every realtime socket after the first plays a server that lost the channel's state (see
    test_joining.py): its ATTACHED says "not resumed" and it replays nothing, so the page must read
    what changed meanwhile from history."""
    sockets.append(socket)
    forgets = len(sockets) > 1
    server = socket.connect_to_server()
    attach_serial = None

    def from_server(frame):
        nonlocal attach_serial
        message = json.loads(frame)
        if forgets and message.get("action") == ATTACHED:
            message["flags"] = message.get("flags", 0) & ~RESUMED_FLAG
            attach_serial = message.get("channelSerial")
        elif (
            forgets
            and message.get("action") == MESSAGE
            and (attach_serial is None or message["channelSerial"] <= attach_serial)
        ):
            return
        socket.send(json.dumps(message))

    server.on_message(from_server)


def serial_of(app, room: str, text: str) -> str:
    """The Ably serial of the message with `text`, read from the channel's history with the app's key."""
    request = urllib.request.Request(
        f"{app.emulator_url}/channels/chat:{room}/messages?limit=100", headers=basic_auth(app.key)
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        items = json.load(response)
    # JSON data comes back as text with encoding "json", as the REST API keeps it.
    return next(item["serial"] for item in items if json.loads(item["data"]).get("text") == text)


def post_as_reader(page: Page, room: str, name: str, path: str, body: dict) -> int:
    """A hand-made request from the reader's own page, with the session the page holds."""
    return page.evaluate(
        """async ([key, path, body]) => {
            const { session } = JSON.parse(localStorage.getItem('chat.sessions'))[key];
            const response = await fetch(path, { method: 'POST', body: JSON.stringify(body),
              headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${session}` } });
            return response.status;
        }""",
        [f"{room}\n{name}", path, body],
    )


def row(page: Page, text: str):
    """The row of the chat message whose text is `text`, edited or not."""
    whole = re.compile(rf"^{re.escape(text)}( \(edited\))?$")
    return page.locator(".entry--message").filter(has=page.locator(".entry__text", has_text=whole))


def reaction(page: Page, text: str, emoji: str):
    return row(page, text).locator(f'.reaction[data-emoji="{emoji}"]')


def react(page: Page, text: str, emoji: str) -> None:
    row_ = row(page, text)
    row_.get_by_role("button", name="Add a reaction").click()
    row_.get_by_role("button", name=f"React {emoji}").click()


def test_edit_delete_and_react_reach_everyone_and_survive_a_reload_a_late_join_and_a_cut(live_app, join, new_page, tag):
    room = f"changes-{tag}"
    ana_name, bo_name, cy_name = f"Ana {tag}", f"Bo {tag}", f"Cy {tag}"
    ana, bo = join(ana_name, room=room), join(bo_name, room=room)
    cy, cy_sockets = new_page(), []
    cy.route_web_socket(re.compile(r"^ws://[^/]+/\?"), lambda socket: forgetful_after_the_first(socket, cy_sockets))
    join(cy_name, page=cy, room=room)
    everyone = (ana, bo, cy)

    send(ana, f"helo {tag}")
    send(ana, f"second {tag}")
    for page in everyone:
        expect(row(page, f"second {tag}").get_by_role("button", name="Add a reaction")).to_be_visible()

    # Ana edits; everyone sees the new text, marked.
    row(ana, f"helo {tag}").get_by_role("button", name="Edit").click()
    ana.get_by_role("textbox", name="Edit your message").fill(f"hello {tag}")
    ana.get_by_role("textbox", name="Edit your message").press("Enter")
    for page in everyone:
        expect(row(page, f"hello {tag}").locator(".entry__edited")).to_have_text("(edited)")
        expect(page.get_by_text(f"helo {tag}", exact=True)).to_have_count(0)

    # Bo gets no controls for Ana's message, and a hand-made request is refused.
    bo_row = row(bo, f"hello {tag}")
    expect(bo_row.get_by_role("button", name="Add a reaction")).to_be_visible()
    expect(bo_row.get_by_role("button", name="Edit")).to_have_count(0)
    expect(bo_row.get_by_role("button", name="Delete")).to_have_count(0)
    serial = serial_of(live_app, room, f"hello {tag}")
    assert post_as_reader(bo, room, bo_name, "/api/editMessage", {"serial": serial, "message": "Bo's now"}) == 403
    assert post_as_reader(bo, room, bo_name, "/api/deleteMessage", {"serial": serial}) == 403

    # Bo and Cy react; everyone sees the count and, on hover or focus, who.
    react(bo, f"second {tag}", "👍")
    react(cy, f"second {tag}", "👍")
    for page in everyone:
        thumbs = reaction(page, f"second {tag}", "👍")
        expect(thumbs).to_have_text("👍 2")
        expect(thumbs).to_have_attribute("title", re.compile(f"{bo_name}.*{cy_name}|{cy_name}.*{bo_name}"))
        expect(thumbs).to_have_attribute("aria-label", re.compile("👍 2: "))
    expect(reaction(bo, f"second {tag}", "👍")).to_have_attribute("aria-pressed", "true")
    expect(reaction(ana, f"second {tag}", "👍")).to_have_attribute("aria-pressed", "false")

    # A second click takes Bo's own back.
    reaction(bo, f"second {tag}", "👍").click()
    for page in everyone:
        expect(reaction(page, f"second {tag}", "👍")).to_have_text("👍 1")
        expect(reaction(page, f"second {tag}", "👍")).to_have_attribute("title", f"👍 1: {cy_name}")

    # A reload shows the same.
    bo.reload()
    wait_until_live(bo)
    expect(row(bo, f"hello {tag}").locator(".entry__edited")).to_have_count(1)
    expect(reaction(bo, f"second {tag}", "👍")).to_have_text("👍 1")

    # Cy's transport is cut; meanwhile Ana edits again, deletes, and Bo reacts. Cy's next socket
    # replays nothing: history must bring all of it.
    cy.context.set_offline(True)
    expect(cy.locator("#connection-status")).to_have_attribute("data-state", "disconnected")
    row(ana, f"second {tag}").get_by_role("button", name="Edit").click()
    ana.get_by_role("textbox", name="Edit your message").fill(f"second, edited {tag}")
    ana.get_by_role("textbox", name="Edit your message").press("Enter")
    react(bo, f"second, edited {tag}", "🎉")
    expect(reaction(ana, f"second, edited {tag}", "🎉")).to_have_text("🎉 1")
    ana.once("dialog", lambda dialog: dialog.accept())
    row(ana, f"hello {tag}").get_by_role("button", name="Delete").click()
    cy.context.set_offline(False)
    expect(cy.locator(".entry--notification", has_text="Reconnected")).to_have_count(1)
    assert len(cy_sockets) > 1, "the cut made a new socket"

    late = join(f"Dan {tag}", room=room)
    for page in (*everyone, late):
        expect(page.locator(".entry__text--deleted", has_text="message deleted")).to_have_count(1)
        expect(page.get_by_text(f"hello {tag}")).to_have_count(0)
        expect(reaction(page, f"second, edited {tag}", "👍")).to_have_text("👍 1")
        expect(reaction(page, f"second, edited {tag}", "🎉")).to_have_text("🎉 1")
        expect(row(page, f"second, edited {tag}").locator(".entry__edited")).to_have_count(1)


def test_by_keyboard_and_without_scrolling_anyone(live_app, join, tag):
    room = f"keys-{tag}"
    ana, cy = join(f"Ana {tag}", room=room), join(f"Cy {tag}", room=room)
    for n in range(28):  # more than a screen, from people not in the room (each within its rate limit)
        post_message(live_app, f"Old{n % 4} {tag}", f"line {n} {tag}", room=room)
    send(ana, f"line 28 {tag}")
    send(ana, f"line 29 {tag}")
    expect(row(cy, f"line 29 {tag}").get_by_role("button", name="Add a reaction")).to_be_visible()
    expect(row(ana, f"line 29 {tag}").get_by_role("button", name="Edit")).to_be_visible()

    # Up-arrow in the empty composer edits Ana's last message; Esc gives the composer back.
    composer, editor = ana.locator("#message"), ana.get_by_role("textbox", name="Edit your message")
    composer.press("ArrowUp")
    expect(editor).to_be_focused()
    expect(editor).to_have_value(f"line 29 {tag}")
    editor.press("Escape")
    expect(editor).to_have_count(0)
    expect(composer).to_be_focused()

    # Cy reads the top while Ana edits a message there: Cy's view stays put, and no "new messages".
    log = cy.locator("#messages")
    log.evaluate("(node) => { node.scrollTop = 0; }")
    composer.press("ArrowUp")
    editor.fill(f"line 29, edited {tag}")
    editor.press("Enter")
    expect(row(cy, f"line 29, edited {tag}").locator(".entry__edited")).to_have_count(1)
    assert log.evaluate("(node) => node.scrollTop") == 0
    expect(cy.locator("#jump")).to_be_hidden()

    # The picker by keyboard: open it, react, close it with Esc; the focus stays on its controls.
    pick = row(cy, f"line 3 {tag}").get_by_role("button", name="Add a reaction")
    pick.focus()
    cy.keyboard.press("Enter")
    first = row(cy, f"line 3 {tag}").get_by_role("button", name="React 👍")
    expect(first).to_be_focused()
    cy.keyboard.press("Tab")
    cy.keyboard.press("Enter")
    expect(reaction(cy, f"line 3 {tag}", "❤️")).to_have_text("❤️ 1")
    expect(reaction(ana, f"line 3 {tag}", "❤️")).to_have_text("❤️ 1")
    expect(row(cy, f"line 3 {tag}").get_by_role("button", name="Add a reaction")).to_be_focused()
    cy.keyboard.press("Enter")
    expect(first).to_be_focused()
    cy.keyboard.press("Escape")
    expect(first).to_have_count(0)
    expect(row(cy, f"line 3 {tag}").get_by_role("button", name="Add a reaction")).to_be_focused()
    assert log.evaluate("(node) => node.scrollTop") <= 48 * 30, "reacting never jumps to the bottom"
