"""Sending: the composer's rules, and a failed send that keeps its text and retries safely."""

import json

from playwright.sync_api import Route, expect

from tests.client.e2e.chat_helpers import ARTIFACTS, message_row, save_screenshot, send


def test_a_send_that_cannot_reach_the_server_waits_and_goes_by_itself_once(join, tag):
    ana, bo = join(f"Ana {tag}"), join(f"Bo {tag}")
    text = f"this one fails at first {tag}"
    sent_ids = []

    def unreachable(route: Route):
        sent_ids.append(json.loads(route.request.post_data)["id"])
        route.abort("connectionfailed")

    ana.route("**/api/sendMessage", unreachable)
    send(ana, text)

    waiting = message_row(ana, text)
    expect(waiting).to_have_attribute("data-status", "waiting")
    expect(waiting.locator(".entry__delivery")).to_have_text("Queued")
    expect(ana.locator("#message")).to_be_editable()  # the composer is free for the next message
    save_screenshot(ana, ARTIFACTS / "chat-waiting-send.png")

    def passed_on(route: Route):
        sent_ids.append(json.loads(route.request.post_data)["id"])
        route.continue_()

    ana.unroute("**/api/sendMessage")
    ana.route("**/api/sendMessage", passed_on)

    for page in (ana, bo):
        expect(message_row(page, text)).to_have_attribute("data-status", "delivered")
        expect(message_row(page, text)).to_have_count(1)
    assert len(set(sent_ids)) == 1 and len(sent_ids) >= 2, "every attempt carries the same id"
    expect(ana.locator('.entry[data-status="failed"]')).to_have_count(0)


def test_a_refused_message_can_be_edited_back_into_the_composer(join, tag):
    """A refusal retrying cannot mend (a 4xx other than 429): "Not sent", and Edit takes it back."""
    ana = join(f"Ana {tag}")
    text = f"refused {tag}"
    ana.route(
        "**/api/sendMessage",
        lambda route: route.fulfill(
            status=400,
            content_type="application/json",
            body=json.dumps({"error": {"message": "message must not be blank", "field": "message"}}),
        ),
    )
    send(ana, text)

    failed = ana.locator('.entry[data-status="failed"]')
    expect(failed).to_have_count(1)
    expect(failed.locator(".entry__problem")).to_have_text("Not sent: This message cannot be sent as it is.")
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
