"""The citizen-facing pages in a real browser: the web chat and the tracking page it links to."""

import re
from pathlib import Path

from tests.test_serve import start_gateway  # noqa: F401  (the served gateway fixture)

SHOTS = Path(__file__).resolve().parent.parent / "artifacts"


def test_chatting_in_the_browser_ends_on_the_tracking_page(start_gateway, browser):  # noqa: F811
    base, _ = start_gateway()
    page = browser.new_page(viewport={"width": 420, "height": 800}, locale="id-ID")
    page.goto(base + "/chat")
    for text, expect in (
        ("lampu jalan mati udh seminggu", "Di mana lokasinya?"),
        ("di Jl. Kenari, kel. Kenari", "dirahasiakan"),
        ("rahasia", "Ringkasan"),
        ("ya", "Laporan diterima"),
    ):
        page.fill("#text", text)
        page.click("button")
        page.wait_for_function("(t) => document.getElementById('log').innerText.includes(t)", arg=expect, timeout=15000)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat.png"))
    before = _conversation(page)
    page.reload()
    page.wait_for_function("(n) => document.querySelectorAll('#log .msg').length >= n", arg=len(before), timeout=15000)
    after = _conversation(page)
    assert after == before, "a reload shows the whole conversation again: the citizen's messages and the bot's, in order"
    assert [who for who, _ in after[:3]] == ["bot", "me", "bot"] and after[1][1] == "lampu jalan mati udh seminggu"
    page.screenshot(path=str(SHOTS / "chat-reloaded.png"))
    link = page.locator("#log a").last
    assert re.fullmatch(r"http://\S+/t/JKT-\d{4}-\d{5}\?k=\S+", link.get_attribute("href"))
    link.click()
    page.wait_for_load_state()
    assert page.inner_text("h1").startswith("Lacak laporan")
    assert "Menunggu" in page.inner_text(".chip") and "Kelurahan Kenari" in page.content()
    page.screenshot(path=str(SHOTS / "tracking.png"), full_page=True)


def test_a_message_is_shown_as_text_never_run(start_gateway, browser):  # noqa: F811
    base, _ = start_gateway()
    page = browser.new_page()
    page.goto(base + "/chat")
    page.fill("#text", "<img src=x onerror=\"document.title='pwned'\">")
    page.click("button")
    page.wait_for_function("() => document.querySelectorAll('.msg.me').length == 1")
    page.wait_for_function("() => document.querySelectorAll('.msg.bot').length >= 2")  # the bot has answered it
    assert page.title() != "pwned" and page.locator(".msg img").count() == 0
    page.reload()  # shown again from the history: still text
    page.wait_for_function("() => document.querySelectorAll('.msg.me').length == 1")
    assert page.inner_text(".msg.me").startswith("<img src=x")
    assert page.title() != "pwned" and page.locator(".msg img").count() == 0


def _conversation(page):
    """(who, text) of every message on the page, in order."""
    return page.eval_on_selector_all("#log .msg", "(all) => all.map((m) => [m.classList.contains('me') ? 'me' : 'bot', m.innerText])")
