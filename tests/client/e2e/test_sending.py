"""Sending: the composer's rules, and a failed send that keeps its text and retries safely."""

import re
import json

from playwright.sync_api import Route, expect

from chat.rate_limits import SEND_PER_USER
from tests.client.e2e.chat_helpers import ARTIFACTS, message_row, save_screenshot, send


def test_a_failed_send_keeps_the_text_and_a_retry_delivers_it_once(join, tag):
    ana, bo = join(f"Ana {tag}"), join(f"Bo {tag}")
    text = f"this one fails at first {tag}"
    sent_ids = []

    def unreachable(route: Route):
        sent_ids.append(json.loads(route.request.post_data)["id"])
        route.abort("connectionfailed")

    ana.route("**/api/sendMessage", unreachable)
    send(ana, text)

    failed = message_row(ana, text)
    expect(failed).to_have_attribute("data-status", "failed")
    expect(failed.locator(".entry__problem")).to_contain_text("Could not reach the server")
    expect(failed.locator(".entry__text")).to_have_text(text)
    expect(ana.locator("#message")).to_be_editable()  # the composer is free for the next message
    save_screenshot(ana, ARTIFACTS / "chat-failed-send.png")

    def passed_on(route: Route):
        sent_ids.append(json.loads(route.request.post_data)["id"])
        route.continue_()

    ana.unroute("**/api/sendMessage")
    ana.route("**/api/sendMessage", passed_on)
    failed.get_by_role("button", name="Retry").click()

    for page in (ana, bo):
        expect(message_row(page, text)).to_have_attribute("data-status", "delivered")
        expect(message_row(page, text)).to_have_count(1)
    assert len(sent_ids) == 2 and sent_ids[0] == sent_ids[1], "a retry reuses the message id"


def test_a_refused_message_can_be_edited_back_into_the_composer(join, tag):
    """The server's real rate limit (ten at once per person), and its one message about the wait."""
    ana = join(f"Ana {tag}")
    for n in range(SEND_PER_USER.amount + 1):
        send(ana, f"slow down {tag} #{n}")

    failed = ana.locator('.entry[data-status="failed"]')
    expect(failed).to_have_count(1)
    expect(failed.locator(".entry__problem")).to_have_text(
        re.compile(r"^Not sent: Too many requests\. Try again in \d+ s\.$"))
    text = failed.locator(".entry__text").inner_text()
    failed.get_by_role("button", name="Edit").click()
    expect(failed).to_have_count(0)
    expect(ana.locator("#message")).to_have_value(text)
    expect(ana.locator("#message")).to_be_focused()


def test_the_composer_trims_and_shows_the_length_limit(join, tag):
    ana = join(f"Ana {tag}")
    message, send_button, length = ana.locator("#message"), ana.locator("#send"), ana.locator("#message-length")

    expect(send_button).to_be_disabled()
    message.fill("   ")
    expect(send_button).to_be_disabled()
    message.press("Enter")
    expect(ana.locator(".entry--mine")).to_have_count(0)

    message.fill("x" * 2001)
    expect(length).to_have_text("2001/2000")
    expect(length).to_have_attribute("data-level", "over")
    expect(send_button).to_be_disabled()

    message.fill("first line")
    message.press("Shift+Enter")
    message.press_sequentially("second line")
    expect(message).to_have_value("first line\nsecond line")  # Shift+Enter is a new line, not a send
    expect(ana.locator(".entry--mine")).to_have_count(0)

    message.fill(f"  padded {tag}  ")
    expect(length).to_have_text(f"{len(f'padded {tag}')}/2000")
    send_button.click()
    expect(message_row(ana, f"padded {tag}").locator(".entry__text")).to_have_text(f"padded {tag}")
    expect(message).to_have_value("")
