"""The message list: the 50-message cap, scrolling, and whatever odd content reaches it."""

import json
from datetime import UTC, datetime

from playwright.sync_api import expect

from tests.client.e2e.chat_helpers import ARTIFACTS, message_row, publish_directly, save_screenshot, send
from tests.support.chat_api import post_message

CAP = 50


def post_many(live_app, tag, count, label):
    # Several senders, so the per-user rate limit does not slow the test down.
    for n in range(1, count + 1):
        post_message(live_app, f"Bot{n % 5} {tag}", f"{label} {tag} #{n}")


def test_the_51st_message_drops_the_oldest(live_app, join, tag):
    reader = join(f"Reader {tag}")
    post_many(live_app, tag, CAP + 1, "capped")

    expect(message_row(reader, f"capped {tag} #{CAP + 1}")).to_have_count(1)
    expect(reader.locator("#messages .entry")).to_have_count(CAP)
    expect(message_row(reader, f"capped {tag} #1")).to_have_count(0)
    # What is left is the newest run, in order (a notice, if any came, took a row too).
    texts = reader.locator(".entry__text").all_inner_texts()
    numbers = [int(text.rsplit("#", 1)[1]) for text in texts if text.startswith(f"capped {tag} #")]
    assert numbers == list(range(numbers[0], CAP + 2)) and numbers[0] >= 2


def test_a_full_rewind_offers_earlier_messages_and_they_load_in_order(live_app, join, tag):
    """The first attach rewinds 50; the rest comes from history through ably-js's REST client, a bundle
    the page loads only now."""
    room = f"earlier-{tag}"
    count = CAP + 10
    for n in range(1, count + 1):
        post_message(live_app, f"Bot{n % 5} {tag}", f"paged {tag} #{n}", room=room)

    reader = join(f"Reader {tag}", room=room)
    expect(message_row(reader, f"paged {tag} #{count}")).to_have_count(1)
    expect(message_row(reader, f"paged {tag} #12")).to_have_count(1)  # the greeting takes a row of the 50
    expect(message_row(reader, f"paged {tag} #10")).to_have_count(0)
    earlier = reader.locator("#earlier")
    expect(earlier).to_have_text("Load earlier messages")

    earlier.click()
    expect(message_row(reader, f"paged {tag} #1")).to_have_count(1)
    expect(earlier).to_be_hidden()
    texts = reader.locator(".entry__text").all_inner_texts()
    numbers = [int(text.rsplit("#", 1)[1]) for text in texts if text.startswith(f"paged {tag} #")]
    assert numbers == list(range(1, count + 1)), "each message once, oldest first"
    greeting = texts.index("Connected to chat! ⚡️")
    assert greeting > texts.index(f"paged {tag} #{count}"), "the rewind comes before the greeting"


def test_scrolling_up_stops_autoscroll_until_the_reader_jumps_down(live_app, join, tag):
    reader = join(f"Reader {tag}")
    messages = reader.locator("#messages")
    post_many(live_app, tag, 25, "filler")
    expect(message_row(reader, f"filler {tag} #25")).to_be_in_viewport()  # followed while at the bottom

    messages.evaluate("list => list.scrollTo({ top: 0 })")
    post_message(live_app, f"Bot {tag}", f"while reading {tag}")
    expect(message_row(reader, f"while reading {tag}")).to_have_count(1)

    assert messages.evaluate("list => list.scrollTop") == 0, "the reader was not moved"
    jump = reader.locator("#jump")
    expect(jump).to_have_text("1 new message ↓")
    expect(message_row(reader, f"while reading {tag}")).not_to_be_in_viewport()
    save_screenshot(reader, ARTIFACTS / "chat-scrolled-up.png")

    jump.click()
    expect(message_row(reader, f"while reading {tag}")).to_be_in_viewport()
    expect(jump).to_be_hidden()

    # Back at the bottom, new messages are followed again.
    post_message(live_app, f"Bot {tag}", f"following again {tag}")
    expect(message_row(reader, f"following again {tag}")).to_be_in_viewport()
    expect(jump).to_be_hidden()


def test_a_script_like_message_renders_as_text(join, tag):
    ana_name = f"<i>Ana</i> {tag}"
    ana, bo = join(ana_name), join(f"Bo {tag}")
    payloads = [
        f"<script>window.pwned = 1</script> {tag}",
        f'<img src="x" onerror="window.pwned = 1"> {tag}',
    ]
    for text in payloads:
        send(ana, text)
    for page in (ana, bo):
        for text in payloads:
            expect(message_row(page, text).locator(".entry__text")).to_have_text(text)
            expect(message_row(page, text).locator(".entry__author")).to_have_text(ana_name)
        expect(page.locator("#people li").filter(has_text=ana_name)).to_have_count(1)
        assert page.locator("main script, main img, main i").count() == 0
        assert page.evaluate("window.pwned") is None


def chat_message(**data):
    """A message as a publisher holding the key could put on the channel, our server bypassed."""
    data.setdefault("date", datetime.now(UTC).isoformat())
    return {"name": "message", "data": json.dumps(data), "encoding": "json"}


def test_malformed_messages_are_skipped_and_notices_go_by_type(live_app, join, tag):
    reader = join(f"Reader {tag}")
    now = datetime.now(UTC).isoformat()

    publish_directly(
        live_app,
        [
            {"name": "message", "data": f"a bare string {tag}"},
            chat_message(text=f"no username {tag}", date=now, type="message"),
            chat_message(username=["not", "a", "name"], text=f"odd username {tag}", date=now, type="message"),
            chat_message(username="Mallory", text=f"unknown type {tag}", date=now, type="shout"),
            chat_message(username="Server", text=f"just a user named Server {tag}", date=now, type="message"),
            chat_message(username="Ops", text=f"maintenance at noon {tag}", date=now, type="notification"),
        ],
    )
    post_message(live_app, f"Ana {tag}", f"still working {tag}")

    expect(message_row(reader, f"still working {tag}")).to_have_count(1)
    # The notice, "Server" and Ana made it; nothing malformed did, and nothing broke.
    expect(reader.locator(".entry__text").filter(has_text=tag)).to_have_count(3)
    expect(message_row(reader, f"just a user named Server {tag}").locator(".entry__author")).to_have_text("Server")
    notice = reader.locator(".entry--notification").filter(has_text=f"maintenance at noon {tag}")
    expect(notice).to_have_count(1)
    expect(notice.locator(".entry__author")).to_have_count(0)


def test_direction_overrides_and_stacked_marks_arrive_intact_and_contained(live_app, join, tag):
    marks = "\u0336\u0337\u0338\u0489"  # the most one character may carry in a name
    ana, bo = join(f"Z{marks}a{marks} {tag}"), join(f"Bo {tag}")
    override = f"\u202egnp.exe {tag}"  # displays as "exe.png": a classic file-name trick
    zalgo = "Z" + marks * 60 + f" {tag}"
    ana.fill("#message", override)
    expect(ana.locator("#send")).to_be_disabled()  # the server refuses it, so the page does not send it
    expect(ana.locator("#message-length")).to_contain_text("direction")
    send(ana, zalgo)
    # Only a publisher holding the key could still put an override on the channel: drawn isolated.
    publish_directly(live_app, [chat_message(username=f"Mallory {tag}", text=override, type="message")])
    for text in (override, zalgo):
        text_element = message_row(bo, text).locator(".entry__text")
        expect(text_element).to_have_text(text)  # delivered and drawn as it was written, nothing stripped
        style = text_element.evaluate("text => [getComputedStyle(text).unicodeBidi, getComputedStyle(text).overflow]")
        # plaintext isolates the text's direction from the row; hidden keeps stacked marks in the row.
        assert style == ["plaintext", "hidden"]
    for author in (
        message_row(bo, override).locator(".entry__author"),
        message_row(bo, zalgo).locator(".entry__author"),
    ):
        style = author.evaluate("name => [getComputedStyle(name).unicodeBidi, getComputedStyle(name).overflow]")
        assert style == ["isolate", "hidden"]  # a name keeps its marks inside its own line, as text does
