"""The page as people expect a chat: phones, access (axe-core), our own 404, links, unread counts,
presence without false notices, and a burst of sends against the real rate limit."""

import re

import pytest
from playwright.sync_api import expect

from chat.rate_limits import SEND_PER_USER
from devtools import ROOT
from tests.client.e2e.chat_helpers import message_row, send
from tests.support.chat_api import post_message

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE_WIDTHS = (320, 360, 390)
UNKNOWN_PATHS = ("/r/", "/r/a/b", "/rooms/x")


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')}`)"
    )
    return found


def test_every_page_fits_a_phone_without_sideways_scrolling(live_app, join, new_page, tag):
    for width in PHONE_WIDTHS:
        viewport = {"width": width, "height": 700}
        lobby = new_page(viewport=viewport)
        lobby.goto(live_app.url)
        expect(lobby.locator("#connect")).to_be_in_viewport()
        room = join(f"P{width} {tag}", room=f"phone-{tag}", viewport=viewport)
        missing = new_page(viewport=viewport)
        missing.goto(f"{live_app.url}/r/a/b")
        for page in (lobby, room, missing):
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (width, page.url)


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
def test_an_unknown_path_gets_our_own_404(live_app, new_page, path):
    page = new_page()
    response = page.goto(f"{live_app.url}{path}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="There is nothing here")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the lobby")).to_have_attribute("href", "/")


def test_axe_finds_nothing_in_the_lobby_a_room_and_the_404(live_app, join, new_page, tag):
    # Our Content-Security-Policy refuses the injected axe-core, as it should: these contexts bypass it.
    lobby = new_page(bypass_csp=True)
    lobby.goto(live_app.url)
    expect(lobby.locator("#username")).to_be_focused()
    pages = {"lobby": lobby}
    for scheme, viewport in (
        ("light", {"width": 1000, "height": 700}),
        ("dark", {"width": 1000, "height": 700}),
        ("light", {"width": 360, "height": 740}),
    ):
        page = join(
            f"Axe {scheme} {viewport['width']} {tag}",
            room=f"axe-{tag}",
            viewport=viewport,
            color_scheme=scheme,
            bypass_csp=True,
        )
        text = f"hello https://example.com/{tag} from {scheme} {viewport['width']}"
        send(page, text)
        expect(message_row(page, text)).to_have_attribute("data-status", "delivered")
        pages[f"room {scheme} {viewport['width']}"] = page
    missing = new_page(bypass_csp=True)
    missing.goto(f"{live_app.url}/rooms/x")
    pages["404"] = missing
    problems = {name: axe_violations(page) for name, page in pages.items()}
    assert not any(problems.values()), problems


def test_a_url_is_a_safe_link_and_javascript_never_is(join, tag):
    ana, bo = join(f"Ana {tag}"), join(f"Bo {tag}")
    text = f"see https://example.com/{tag}?a=1. not javascript:alert(1) {tag}"
    send(ana, text)
    row = message_row(bo, text)
    link = row.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", f"https://example.com/{tag}?a=1")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert row.locator("a[href^='javascript' i]").count() == 0


def test_the_tab_title_counts_unread_messages_while_hidden(live_app, join, tag):
    bo = join(f"Bo {tag}")
    title = bo.title()
    # Headless Chromium has no hidden tabs: the page is told it is hidden, as a browser would.
    bo.evaluate("""() => { Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
                          document.dispatchEvent(new Event('visibilitychange')); }""")
    for n in (1, 2):
        post_message(live_app, f"Ana {tag}", f"unread {n} {tag}")
    expect(bo).to_have_title(f"(2) {title}")
    bo.evaluate("""() => { Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
                          document.dispatchEvent(new Event('visibilitychange')); }""")
    expect(bo).to_have_title(title)


def test_a_reload_makes_no_notice_and_a_closed_tab_leaves_the_list_at_once(join, tag):
    room = f"presence-{tag}"
    ana, bo = join(f"Ana {tag}", room=room), join(f"Bo {tag}", room=room)
    people = ana.locator("#people li")
    expect(people.filter(has_text=f"Bo {tag}")).to_have_count(1)
    notices = ana.locator(".entry--notification").filter(has_text=re.compile("left|joined"))
    expect(notices).to_have_count(1)  # Bo joined, once
    bo.reload()
    expect(bo.locator("#connection-status")).to_have_attribute("data-state", "connected")
    expect(people.filter(has_text=f"Bo {tag}")).to_have_count(1)
    send(bo, f"back {tag}")
    expect(message_row(ana, f"back {tag}")).to_have_count(1)
    expect(notices).to_have_count(1)

    bo.close(run_before_unload=True)  # as a browser closing a tab runs the page's unload handlers
    expect(people.filter(has_text=f"Bo {tag}")).to_have_count(0, timeout=3_000)


def test_fifteen_quick_sends_arrive_in_order_with_one_notice_about_the_limit(join, tag):
    room = f"burst-{tag}"
    ana, bo = join(f"Ana {tag}", room=room), join(f"Bo {tag}", room=room)
    texts = [f"burst {tag} #{n}" for n in range(1, 16)]
    assert len(texts) > SEND_PER_USER.amount
    for text in texts:
        send(ana, text)
    hold = ana.locator("#hold")
    expect(hold).to_have_text(re.compile(r"next goes in \d+ s"))
    expect(message_row(bo, texts[-1])).to_have_count(1, timeout=60_000)
    got = [t for t in bo.locator(".entry--message .entry__text").all_inner_texts() if t.startswith(f"burst {tag}")]
    assert got == texts
    expect(hold).to_be_hidden()
    expect(ana.locator('.entry[data-status="failed"]')).to_have_count(0)
