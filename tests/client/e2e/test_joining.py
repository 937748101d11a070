"""Joining, staying joined across a reload, and riding out a lost connection."""

import json
import re

from playwright.sync_api import WebSocketRoute, expect

from tests.client.e2e.chat_helpers import ARTIFACTS, message_row, save_screenshot, wait_until_live
from tests.support.chat_api import post_message


def test_the_name_form_checks_names_before_and_with_the_server(live_app, new_page):
    page = new_page()
    page.goto(live_app.url)
    name, connect, error = page.locator("#username"), page.locator("#connect"), page.locator("#username-error")

    expect(name).to_be_focused()
    expect(connect).to_be_disabled()
    name.fill("   ")
    expect(connect).to_be_disabled()
    name.fill("SERVER")
    expect(error).to_have_text("That name is reserved.")
    expect(connect).to_be_disabled()
    name.fill("x" * 33)
    expect(error).to_have_text("Use at most 32 characters.")
    name.fill("Ana")
    expect(error).to_be_hidden()
    expect(connect).to_be_enabled()


def test_a_reload_goes_straight_back_into_the_room(join, tag):
    page = join(f"Ana {tag}")
    page.reload()
    wait_until_live(page)
    expect(page.locator("#join")).to_be_hidden()
    expect(page.locator("#reader-name")).to_have_text(f"Ana {tag}")
    expect(page.locator("#people li").filter(has_text=f"Ana {tag}")).to_have_count(1)

    page.get_by_role("button", name="Leave").click()
    expect(page.locator("#join")).to_be_visible()
    expect(page.locator("#room")).to_be_hidden()


def test_the_connection_indicator_follows_an_outage_and_nothing_is_missed(live_app, join, tag):
    bo = join(f"Bo {tag}")
    status = bo.locator("#connection-status")

    bo.context.set_offline(True)
    expect(status).to_have_attribute("data-state", "disconnected")
    expect(status).to_contain_text("Offline")
    post_message(live_app, f"Ana {tag}", f"said while Bo was away {tag}")

    bo.context.set_offline(False)
    expect(status).to_have_attribute("data-state", "connected")
    expect(message_row(bo, f"said while Bo was away {tag}")).to_have_count(1)


def test_after_continuity_is_lost_the_gap_is_filled_from_history(live_app, join, new_page, tag):
    """Every realtime socket after the first plays a server that lost the channel's state: its
    ATTACHED says "not resumed" and it replays nothing. The page must backfill from history."""
    attached, resumed_flag, message_action = 11, 1 << 2, 15
    sockets = 0

    def forgetful_server(socket: WebSocketRoute):
        nonlocal sockets
        sockets += 1
        forgets = sockets > 1
        server = socket.connect_to_server()
        attach_serial = None

        def from_server(frame):
            nonlocal attach_serial
            message = json.loads(frame)
            if forgets and message.get("action") == attached:
                message["flags"] = message.get("flags", 0) & ~resumed_flag
                attach_serial = message.get("channelSerial")
            elif (
                forgets
                and message.get("action") == message_action
                and (attach_serial is None or message["channelSerial"] <= attach_serial)
            ):
                return  # a replay this server cannot give
            socket.send(json.dumps(message))

        server.on_message(from_server)

    bo = new_page()
    bo.route_web_socket(re.compile(r"^ws://[^/]+/\?"), forgetful_server)
    join(f"Bo {tag}", page=bo)

    bo.context.set_offline(True)
    expect(bo.locator("#connection-status")).to_have_attribute("data-state", "disconnected")
    post_message(live_app, f"Ana {tag}", f"said in the gap {tag}")
    bo.context.set_offline(False)

    expect(bo.locator(".entry--notification", has_text="Reconnected")).to_have_count(1)
    expect(message_row(bo, f"said in the gap {tag}")).to_have_count(1)
    post_message(live_app, f"Ana {tag}", f"said after the gap {tag}")
    expect(message_row(bo, f"said after the gap {tag}")).to_have_count(1)
    expect(message_row(bo, f"said in the gap {tag}")).to_have_count(1)


def test_the_page_fits_a_phone_in_light_and_dark(live_app, join, tag):
    for scheme in ("light", "dark"):
        page = join(f"Phone {scheme} {tag}", viewport={"width": 360, "height": 740}, color_scheme=scheme)
        post_message(live_app, f"Ana {tag}", f"hello small screen ({scheme}) {tag}")
        expect(message_row(page, f"hello small screen ({scheme}) {tag}")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, "no sideways scrolling"
        expect(page.locator("#message")).to_be_in_viewport()
        save_screenshot(page, ARTIFACTS / f"chat-phone-{scheme}.png")
