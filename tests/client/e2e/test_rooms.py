"""Rooms in real Chromium pages: each its own link, people and messages; the lobby lists the busy ones."""

import re

from playwright.sync_api import expect

from tests.client.e2e.chat_helpers import message_row, send, wait_until_live
from tests.support.chat_api import post_message

LOBBY_REFRESH_MS = 15_000  # the list is kept 5 s, and the page asks every 5 s


def lobby_entry(lobby, room):
    return lobby.locator("#rooms li").filter(has=lobby.get_by_role("link", name=f"#{room}", exact=True))


def test_rooms_keep_their_people_and_messages_and_the_lobby_counts_them(live_app, join, new_page, tag):
    north, south = f"north-{tag}", f"south-{tag}"
    ana = join(f"Ana {tag}", room=north)
    bo = join(f"Bo {tag}", room=north)
    cy = join(f"Cy {tag}", room=south.upper())  # links are case-folded
    assert cy.url.endswith(f"/r/{south}")
    expect(cy.locator("#room-title")).to_have_text(f"#{south}")

    send(ana, f"for the north {tag}")
    send(cy, f"for the south {tag}")
    for page in (ana, bo):
        expect(message_row(page, f"for the north {tag}")).to_have_count(1)
        expect(page.locator("#people li")).to_have_count(2)
    expect(message_row(cy, f"for the south {tag}")).to_have_count(1)
    expect(cy.locator("#people li")).to_have_count(1)
    expect(message_row(ana, f"for the south {tag}")).to_have_count(0)
    expect(message_row(cy, f"for the north {tag}")).to_have_count(0)
    expect(cy.locator(".entry--notification", has_text="joined")).to_have_count(0)  # nobody joined the south

    lobby = new_page()
    lobby.goto(live_app.url)
    expect(lobby_entry(lobby, north)).to_contain_text("2 people", timeout=LOBBY_REFRESH_MS)
    expect(lobby_entry(lobby, south)).to_contain_text("1 person", timeout=LOBBY_REFRESH_MS)

    cy.goto("about:blank")  # the south empties
    expect(lobby_entry(lobby, south)).to_have_count(0, timeout=LOBBY_REFRESH_MS)
    expect(lobby_entry(lobby, north)).to_contain_text("2 people")

    lobby_entry(lobby, north).get_by_role("link").click()
    expect(lobby).to_have_url(re.compile(f"/r/{north}$"))
    expect(lobby.locator("#join-title")).to_have_text(f"Join #{north}")


def test_a_link_opened_fresh_lands_in_the_room_with_its_history(live_app, join, tag):
    room = f"history-{tag}"
    for n in range(3):
        post_message(live_app, f"Old {tag}", f"earlier in {room} #{n}", room=room)
    page = join(f"Newcomer {tag}", room=room)
    for n in range(3):
        expect(message_row(page, f"earlier in {room} #{n}")).to_have_count(1)
    expect(page.locator("#reader-name")).to_have_text(f"Newcomer {tag}")


def test_the_same_name_in_two_rooms_is_two_people(join, tag):
    join(f"Ana {tag}", room=f"east-{tag}")
    elsewhere = join(f"Ana {tag}", room=f"west-{tag}")
    expect(elsewhere.locator("#people li")).to_have_count(1)


def test_a_link_to_an_impossible_room_says_so(live_app, new_page):
    page = new_page()
    for path in ("/r/not%20a%20room!", "/r/chat:other", "/r/%5Bmeta%5Dx", "/r/" + "x" * 41):
        page.goto(live_app.url + path)
        expect(page.locator("#join-title")).to_have_text("There is no such room")
        expect(page.locator("#join-hint")).to_contain_text("a–z, 0–9 and -")
        expect(page.locator("#username")).to_be_hidden()
        expect(page.get_by_role("link", name="Go to the lobby")).to_be_visible()


def test_a_room_typed_in_the_lobby_is_opened(live_app, new_page, tag):
    page = new_page()
    page.goto(live_app.url)
    page.fill("#username", f"Dee {tag}")
    page.fill("#room-name", f"Typed-{tag}")
    page.press("#username", "Enter")
    wait_until_live(page)
    expect(page).to_have_url(re.compile(f"/r/typed-{tag}$"))
    expect(page.locator("#room-title")).to_have_text(f"#typed-{tag}")
