"""The public tracking page in real Chromium: status colours, public timeline, proof photo, the rating round
trip (a second rating changes the first), inert XSS, no personal data, a phone-sized screen."""

from sqlalchemy import select

from store.models import Rating
from tests.helpers import VERIFIER, citizen, move, proof_photo

XSS = "<img src=x id=pwned onerror=alert(1)>Sudah diperbaiki"


def _finished_report(site):
    report = site.report(reporter_contacts=citizen(), confidential=True, description="Jalan berlubang, saya Siti Rahayu")
    move(site.db, site.config, report.ticket, "ditangani", note=XSS)
    move(site.db, site.config, report.ticket, "koordinasi", note="catatan internal petugas", note_public=False)
    move(site.db, site.config, report.ticket, "ditangani")
    photo = proof_photo(site.db, site.config, report.ticket)
    move(site.db, site.config, report.ticket, "verifikasi", proof_attachment_id=photo.id)
    move(site.db, site.config, report.ticket, "selesai", actor=VERIFIER, note="Lubang sudah ditambal")
    return report


def _ratings(db):
    with db.transaction() as session:
        return [(r.reporter_id, r.score, r.comment) for r in session.scalars(select(Rating))]


def test_a_citizen_rates_a_finished_report_and_can_change_the_rating(browser, console_site):
    report = _finished_report(console_site)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="id-ID")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    link = f"{console_site.base}/t/{report.ticket}?k={report.public_token}"
    page.goto(link)
    assert page.inner_text("#status") == "Selesai"
    assert page.eval_on_selector("#status", "e => getComputedStyle(e).backgroundColor") == "rgb(46, 125, 50)"
    timeline = page.inner_text("#timeline")
    assert "Lubang sudah ditambal" in timeline and "<img src=x" in timeline and "catatan internal" not in timeline
    assert page.locator("#pwned").count() == 0 and not dialogs
    page.wait_for_function("document.querySelector('#proof').complete")
    assert page.eval_on_selector("#proof", "img => img.naturalWidth") > 0
    for secret in ("Siti", "Rahayu", "+6281234567890", "siti.rahayu@example.com"):
        assert secret not in page.content()

    page.click("label[for=score-4]")
    page.fill("#comment", "Cepat, terima kasih. Salam, Siti Rahayu, 081234567890")
    page.click("#rating button[type=submit]")
    page.wait_for_selector("#given-rating")
    assert "Penilaian Anda: 4/5" in page.inner_text("#given-rating")
    assert "Terima kasih atas penilaian Anda." in page.inner_text("#rating")
    assert "081234567890" not in page.content() and "Siti" not in page.content()
    [(reporter_id, score, comment)] = _ratings(console_site.db)
    assert reporter_id == report.reporter_id and score == 4 and "081234567890" not in comment and "Siti" not in comment
    console_site.shot(page, "tracking-phone")

    page.click("label[for=score-2]")
    page.click("#rating button[type=submit]")
    page.wait_for_selector("#given-rating")
    assert "Penilaian Anda: 2/5" in page.inner_text("#given-rating")
    assert [score for _r, score, _c in _ratings(console_site.db)] == [2], "one rating per report: the second changes it"
    page.set_viewport_size({"width": 1280, "height": 900})
    console_site.shot(page, "tracking")
    page.close()


def test_the_rating_post_needs_the_token_and_this_site_as_origin(browser, console_site):
    report = _finished_report(console_site)
    page = browser.new_page()
    page.goto(f"{console_site.base}/t/{report.ticket}?k={report.public_token}")
    url = f"{console_site.base}/t/{report.ticket}"
    assert page.request.post(url + "?k=wrong", form={"score": "5"}, headers={"Origin": console_site.base}).status == 404
    assert page.request.post(url + f"?k={report.public_token}", form={"score": "5"},
                             headers={"Origin": "https://evil.example"}).status == 403
    assert page.request.post(url + f"?k={report.public_token}", form={"score": "9"},
                             headers={"Origin": console_site.base}).status == 400
    assert _ratings(console_site.db) == []
    page.close()


def test_an_unfinished_report_offers_no_rating(browser, console_site):
    report = console_site.report(reporter_contacts=citizen())
    page = browser.new_page(locale="id-ID")
    page.goto(f"{console_site.base}/t/{report.ticket}?k={report.public_token}")
    assert page.inner_text("#status") == "Menunggu" and page.locator("#rating").count() == 0
    answer = page.request.post(f"{console_site.base}/t/{report.ticket}?k={report.public_token}", form={"score": "5"},
                               headers={"Origin": console_site.base})
    assert answer.status == 409 and _ratings(console_site.db) == []
    page.close()


def test_a_wrong_key_gets_the_tracking_pages_own_not_found_in_the_citizens_language(browser, console_site):
    report = console_site.report(description="Lampu jalan mati di Jl. Kebon Sirih no. 10. Sudah seminggu gelap")
    page = browser.new_page(locale="id-ID")
    requested = []
    page.on("response", lambda response: requested.append((response.url, response.status)))
    response = page.goto(f"{console_site.base}/t/{report.ticket}?k=salah-kunci")
    assert response.status == 404 and response.headers["content-type"].startswith("text/html")
    assert "Laporan tidak ditemukan" in page.inner_text("#not-found") and "{" not in page.inner_text("body")
    console_site.shot(page, "tracking-not-found")
    page.goto(f"{console_site.base}/t/JKT-0000-00000?k=x&lang=en")
    assert "Report not found" in page.inner_text("#not-found")
    page.goto(f"{console_site.base}/t/{report.ticket}?k={report.public_token}")
    body = page.inner_text("main")
    assert body.count("Lampu jalan mati di Jl. Kebon Sirih no. 10") == 1, "the title is not repeated by the description"
    assert "Sudah seminggu gelap" in body and "Jalan." not in body
    console_site.shot(page, "tracking-title-once")
    assert all(status < 400 for url, status in requested if url.endswith("/favicon.ico")), requested
    icon = page.request.get(f"{console_site.base}/favicon.ico")
    assert icon.status == 200 and icon.body()[:4] == b"\x00\x00\x01\x00", "a real .ico"
    page.close()
