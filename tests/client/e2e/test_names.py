"""A name belongs to whoever claimed it while they are in the room: real pages in Chromium."""

import httpx
from playwright.sync_api import expect

from tests.client.e2e.chat_helpers import message_row, send, wait_until_live


def try_to_join(page, url, name):
    page.goto(url)
    page.fill("#username", name)
    page.press("#username", "Enter")


def test_a_present_name_cannot_be_taken_by_another_browser(live_app, join, new_page, tag):
    ana = join(f"Ana {tag}")
    intruder = new_page()  # another browser context: another person
    for name in (f"Ana {tag}", f"\u0410na {tag}", f"ana {tag}", f"ＡＮＡ {tag}"):
        try_to_join(intruder, live_app.url, name)
        # Refused, naming who is here under that name (whom anyone in the room can see anyway).
        expect(intruder.locator("#username-error")).to_contain_text(f"too close to someone here ('Ana {tag}')")
        expect(intruder.locator("#room")).to_be_hidden()
    try_to_join(intruder, live_app.url, f"A\u200dna {tag}")  # refused by the form already
    expect(intruder.locator("#username-error")).to_have_text("Use only visible characters.")
    expect(intruder.locator("#room")).to_be_hidden()
    # Nor can a script post as Ana or get her a token: the name comes from a session, and a
    # session for the name is only handed to whoever holds it.
    with httpx.Client(base_url=live_app.url, timeout=60) as http:
        forged = http.post("/api/sendMessage", json={"username": f"Ana {tag}", "message": f"forged {tag}"})
        assert forged.status_code == 401
        assert http.get("/api/ably/auth", params={"clientId": f"Ana {tag}"}).status_code == 401
        assert http.post("/api/session", json={"username": f"Ana {tag}"}).status_code == 409
    send(ana, f"still mine {tag}")
    expect(message_row(ana, f"still mine {tag}")).to_have_attribute("data-status", "delivered")


def test_a_reload_keeps_the_name_and_tabs_can_be_different_people(live_app, join, tag):
    ana = join(f"Ana {tag}")
    ana.reload()
    wait_until_live(ana)
    expect(ana.locator("#reader-name")).to_have_text(f"Ana {tag}")
    # A second tab of the same browser with the same name reuses the claim: one person, one entry.
    second_tab = join(f"Ana {tag}", page=ana.context.new_page())
    # A third tab is somebody else altogether.
    ben = join(f"Ben {tag}", page=ana.context.new_page())
    for page in (ana, second_tab, ben):
        expect(page.locator("#people li").filter(has_text=f"Ana {tag}")).to_have_count(1)
        expect(page.locator("#people li").filter(has_text=f"Ben {tag}")).to_have_count(1)
    send(second_tab, f"from the second tab {tag}")
    send(ben, f"from Ben {tag}")
    for page in (ana, second_tab, ben):
        expect(message_row(page, f"from the second tab {tag}").locator(".entry__author")).to_have_text(f"Ana {tag}")
        expect(message_row(page, f"from Ben {tag}").locator(".entry__author")).to_have_text(f"Ben {tag}")


def test_leave_lets_go_of_the_name(live_app, join, new_page, tag):
    ana = join(f"Ana {tag}")
    ana.get_by_role("button", name="Leave").click()
    expect(ana.locator("#join")).to_be_visible()
    assert ana.evaluate("localStorage.getItem('chat.sessions')").count(f"Ana {tag}") == 0
    join(f"Ana {tag}")  # someone else may have it now


def test_a_name_that_reads_like_a_notice_stays_a_name(join, tag):
    reader = join(f"Reader {tag}")
    join(f"⚠ SYSTEM: chat moved {tag}")
    notice = reader.locator(".entry--notification").filter(has_text=f"chat moved {tag}")
    expect(notice).to_have_count(1)
    subject = notice.locator(".entry__subject")
    expect(subject).to_have_text(f"⚠ SYSTEM: chat moved {tag}")  # shown as a name, apart from "joined"
    assert notice.locator(".entry__text").inner_text().endswith("joined")
    style = subject.evaluate("name => [getComputedStyle(name).fontStyle, getComputedStyle(name).unicodeBidi]")
    assert style == ["normal", "isolate"]
