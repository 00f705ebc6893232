"""The web chat in a real browser: a photo sent when the bot asks for one, a bad file refused with the bot's
words, and the whole conversation (photo included) shown again after a reload. Under the page's CSP:
no inline script, nothing a message says run as HTML."""

from pathlib import Path

from tests.helpers import png_bytes
from tests.test_serve import start_gateway  # noqa: F401  (the served gateway fixture)

SHOTS = Path(__file__).resolve().parent.parent / "artifacts"


def say(page, text, expect):
    page.fill("#text", text)
    page.click("#send")
    wait_for_text(page, expect)


def wait_for_text(page, expect):
    page.wait_for_function("(t) => document.getElementById('log').innerText.includes(t)", arg=expect, timeout=15000)


def test_a_photo_goes_with_the_report_and_a_bad_file_is_refused(start_gateway, browser, tmp_path):  # noqa: F811
    base, _ = start_gateway()
    page = browser.new_page(viewport={"width": 420, "height": 820}, locale="id-ID")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base + "/chat")
    say(page, "kebakaran! rumah terbakar, ada orang terjebak", "DARURAT")
    wait_for_text(page, "sebutkan lokasi kejadian")
    say(page, "di Jl. Kramat Raya, kel. Kramat", "Kirim foto")

    fake = tmp_path / "bukan-foto.png"
    fake.write_text("#!/bin/sh\necho this is no photo\n")
    page.set_input_files("#photo", str(fake))
    page.wait_for_selector(".msg.error")
    refusal = page.inner_text(".msg.error")
    assert refusal.startswith("Foto tidak bisa disimpan:") and "not a valid image/png" in refusal
    assert page.locator(".msg.me.failed .photo-tag").count() == 1, "the refused photo is shown as not sent"
    problems.clear()  # the browser logs the refused POST's 415 itself

    good = tmp_path / "api.png"
    good.write_bytes(png_bytes(64, 48))
    page.fill("#text", "apinya besar")
    page.set_input_files("#photo", str(good))
    wait_for_text(page, "Foto ditambahkan ke laporan JKT-")  # the bot confirms the photo joined the report
    sent = page.locator(".msg.me").last
    assert sent.locator(".photo-tag").inner_text() == "Foto" and "apinya besar" in sent.inner_text()
    assert page.input_value("#text") == "", "the caption went with the photo"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-photo.png"))

    shown = page.eval_on_selector_all("#log .msg:not(.error):not(.failed)", "(all) => all.map((m) => m.innerText)")
    page.reload()
    page.wait_for_function("(n) => document.querySelectorAll('#log .msg').length >= n", arg=len(shown), timeout=15000)
    again = page.eval_on_selector_all("#log .msg", "(all) => all.map((m) => m.innerText)")
    assert again == shown, "the whole conversation, photo included, in order (the refused file never was sent)"
    assert page.locator(".msg.me .photo-tag").count() == 1
    page.screenshot(path=str(SHOTS / "chat-photo-reloaded.png"), full_page=True)
    assert problems == [], problems  # no CSP violation, no script error
