"""People meet, see each other, talk, type and leave."""

import os
import re

from playwright.sync_api import expect

from devtools import ROOT
from tests.client.e2e.chat_helpers import ARTIFACTS, message_row, save_screenshot, send
from tests.support.chat_api import post_message


def person(page, name):
    return page.locator("#people li").filter(has_text=re.compile(f"^{re.escape(name)}$"))


def test_three_people_see_each_other_and_every_message(join):
    # Plain names: this conversation is also the README's screenshot (UPDATE_SCREENSHOT=1).
    names = ["Ana", "Bo", "Cy"]
    pages = [join(name) for name in names]

    for page in pages:
        for name in names:
            expect(person(page, name)).to_have_count(1)
    expect(person(pages[0], names[0])).to_have_class("is-you")
    for page in pages:
        here = page.locator("#people li").count()
        expect(page.locator("#online-count")).to_have_text(f"{here} online")

    lines = [
        (0, "Morning! Did the deploy go out?"),
        (1, "It did. The preview is green, tests included."),
        (2, "Nice. I'll tell the others it's live."),
    ]
    for sender, text in lines:
        send(pages[sender], text)
        for page in pages:
            row = message_row(page, text)
            expect(row).to_have_count(1)
            expect(row.locator(".entry__author")).to_have_text(names[sender])
    # Everyone shows each message at the same time of day: the sender's server time.
    for _, text in lines:
        times = {message_row(page, text).locator("time").inner_text() for page in pages}
        assert len(times) == 1 and re.fullmatch(r"\d\d:\d\d:\d\d", times.pop())
    # Rows are in the order the messages were sent, on every page.
    sent = [text for _, text in lines]
    for page in pages:
        shown = page.locator(".entry--message .entry__text").all_inner_texts()
        assert [text for text in shown if text in sent] == sent

    pages[1].fill("#message", "typing away")
    expect(pages[0].locator("#typing")).to_have_text(f"{names[1]} is typing…")
    # docs/screenshot.png is committed, so it is only rewritten on request, not by every run.
    readme_copy = [ROOT / "docs" / "screenshot.png"] if os.environ.get("UPDATE_SCREENSHOT") else []
    save_screenshot(pages[0], ARTIFACTS / "chat.png", *readme_copy)


def test_several_tabs_are_one_person_and_joins_are_not_repeated(join, new_page, tag):
    ana, bo = f"Ana {tag}", f"Bo {tag}"
    watcher = join(ana)
    first_tab = join(bo)
    expect(watcher.locator(".entry--notification", has_text=f"{bo} joined")).to_have_count(1)

    second_tab = join(bo, page=new_page(context=first_tab.context))
    expect(person(second_tab, bo)).to_have_count(1)
    expect(person(watcher, bo)).to_have_count(1)

    second_tab.close(run_before_unload=True)
    send(watcher, f"still here? {tag}")
    expect(message_row(watcher, f"still here? {tag}")).to_have_count(1)
    expect(person(watcher, bo)).to_have_count(1)
    expect(watcher.locator(".entry--notification", has_text=bo)).to_have_count(1)  # only the join


def test_a_newcomer_sees_recent_history_once(live_app, join, tag):
    earlier = [f"before you came {tag} #{n}" for n in range(3)]
    for text in earlier:
        post_message(live_app, f"Old {tag}", text)

    newcomer = join(f"New {tag}")
    for text in earlier:
        expect(message_row(newcomer, text)).to_have_count(1)
    texts = newcomer.locator(".entry__text").all_inner_texts()
    assert texts.index("Connected to chat! ⚡️") > texts.index(earlier[-1]), "history comes before the greeting"

    post_message(live_app, f"Old {tag}", f"after you came {tag}")
    expect(message_row(newcomer, f"after you came {tag}")).to_have_count(1)
    for text in earlier:
        expect(message_row(newcomer, text)).to_have_count(1)


def test_typing_shows_for_others_and_clears(join, tag):
    ana, bo = join(f"Ana {tag}"), join(f"Bo {tag}")

    ana.locator("#message").press_sequentially("hel")
    expect(bo.locator("#typing")).to_have_text(f"Ana {tag} is typing…")
    expect(ana.locator("#typing")).to_have_text("")  # never your own

    # Stopping typing clears it (the sender goes quiet after 3 s, receivers forget after 5 s).
    expect(bo.locator("#typing")).to_have_text("", timeout=10_000)

    ana.locator("#message").press_sequentially("lo")
    expect(bo.locator("#typing")).to_have_text(f"Ana {tag} is typing…")
    ana.press("#message", "Enter")  # sending says "stopped" at once
    expect(bo.locator("#typing")).to_have_text("", timeout=2_500)


def test_a_closed_tab_leaves(join, tag):
    ana, bo = join(f"Ana {tag}"), join(f"Bo {tag}")
    expect(person(ana, f"Bo {tag}")).to_have_count(1)

    bo.close(run_before_unload=True)

    expect(person(ana, f"Bo {tag}")).to_have_count(0)
    expect(ana.locator(".entry--notification", has_text=f"Bo {tag} left")).to_have_count(1)
