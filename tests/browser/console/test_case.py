"""The case page in real Chromium: triage re-dispatches by category and by map pin, another unit's officer is
refused, accept → proof → verify reaches the citizen, roles are enforced, report text is inert, the reporter
is never named, and a bad upload is explained."""

import re

from sqlalchemy import select

from gateway.notifications import tell_followers
from gateway.workflow import escalate
from store import lifecycle
from store.attachments import save_attachment
from store.conversations import follow_report
from store.models import Attachment, OutboundMessage
from store.reporters import find_identity
from store.reports import get_report
from tests.helpers import TRIAGE, bring_to, citizen, count, png_bytes

XSS = '<script>window.__xss = 1</script><img src=x id=xss-img> jalan rusak "><b id=xss-b>tebal</b>'


def case_url(site, ticket):
    return f"{site.base}/console/cases/{ticket}"


def open_case(site, browser, who, ticket, viewport=None):
    page = site.login(browser, who, viewport=viewport)
    page.goto(case_url(site, ticket))
    return page


def csrf(page):
    return page.get_attribute('meta[name="csrf-token"]', "content")


def with_photo(site, report):
    save_attachment(site.db, png_bytes(40, 30), "image/png", max_bytes=site.config.storage.max_attachment_bytes,
                    report_ticket=report.ticket)


def test_triage_fixes_the_category_and_the_report_is_re_dispatched(console_site, browser):
    report = console_site.report(category="jalan", description="Jalan berlubang besar di depan Monas, bahaya untuk motor")
    with_photo(console_site, report)
    escalate(console_site.db, console_site.config, report.ticket, TRIAGE)  # coordinated with Dinas Bina Marga
    before = get_report(console_site.db, report.ticket)
    page = open_case(console_site, browser, "triage", report.ticket)
    assert "Dinas Bina Marga" in page.inner_text("[data-field=unit]")
    page.click("[data-action=category] summary")
    page.select_option("[data-action=category] select[name=category]", "saluran_air")
    page.click("[data-action=category] button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert "didisposisi ulang" in page.inner_text(".flash-ok")
    assert "Dinas Sumber Daya Air" in page.inner_text("[data-field=unit]")
    assert "Saluran" in page.inner_text("[data-field=category]")
    assert "Kategori diperbaiki: Jalan → Saluran" in page.inner_text("#case-timeline")
    after = get_report(console_site.db, report.ticket)
    assert after.assigned_unit.code == "DINAS-SDA" and after.sla_due_at != before.sla_due_at
    page.wait_for_function("document.getElementById('case-map').dataset.areaShown === '1'")
    assert page.locator("#case-map path.leaflet-interactive").count() >= 2, "the kelurahan polygon and the marker"
    assert page.locator("#case-map .leaflet-tile").count() == 0, "no tile server configured: no tiles"
    assert page.locator("#case-photos img").count() == 1
    console_site.shot(page, "case")
    page.close()


def test_triage_moves_a_report_with_a_pin_on_the_map(console_site, browser):
    report = console_site.report(category="sampah", description="Sampah menumpuk di trotoar dekat Monas")
    page = open_case(console_site, browser, "triage", report.ticket)
    page.click("[data-action=location] summary")
    page.wait_for_selector("#case-map[data-ready='1']")
    box = page.locator("#case-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.2)
    latitude, longitude = float(page.input_value("#pin-lat")), float(page.input_value("#pin-lon"))
    assert abs(latitude - report.latitude) < 0.05 and abs(longitude - report.longitude) < 0.05
    page.click("#location-by-pin button[type=submit]")
    page.wait_for_selector(".flash-ok")
    moved = get_report(console_site.db, report.ticket)
    assert (round(moved.latitude, 6), round(moved.longitude, 6)) == (latitude, longitude)
    assert moved.location_precision == "point" and "Lokasi diperbaiki" in page.inner_text("#case-timeline")
    page.close()


def test_an_officer_of_another_unit_cannot_open_the_case_nor_act_on_it(console_site, browser):
    report = console_site.report(description="Lampu jalan mati di dekat Monas")
    page = console_site.login(browser, "other_officer")
    response = page.goto(case_url(console_site, report.ticket))
    assert response.status == 404 and report.ticket not in page.content()
    token = csrf(page)
    for action in ("accept", "note", "proof"):
        refused = page.request.post(f"{case_url(console_site, report.ticket)}/{action}",
                                    form={"csrf_token": token, "note": "coba"}, max_redirects=0)
        assert refused.status == 404, action
    assert get_report(console_site.db, report.ticket).status == lifecycle.MENUNGGU
    assert len(get_report(console_site.db, report.ticket).events) == 1
    page.close()


def test_accept_proof_verify_and_the_citizen_is_told(console_site, browser):
    services = console_site.services
    tell_followers(services)  # the job's first run only marks where news begins
    report = console_site.report(description="Jalan berlubang dalam di sekitar Monas", reporter_contacts=citizen())
    sms = find_identity(console_site.db, "sms", "+6281234567890")
    with console_site.db.transaction() as session:
        follow_report(session, report.ticket, sms.id)

    page = open_case(console_site, browser, "officer", report.ticket)
    assert page.locator("[data-action=verify]").count() == 0, "no verify button for an officer"
    page.click("[data-action=accept] button")
    page.wait_for_selector(".flash-ok")
    assert "Sedang ditangani" in page.inner_text(".case-head")

    page.set_input_files("[data-action=proof] input[type=file]",
                         files=[{"name": "catatan.txt", "mimeType": "text/plain", "buffer": b"bukan foto"}])
    page.click("[data-action=proof] button[type=submit]")
    page.wait_for_selector(".flash-error")
    assert "text/plain is not accepted" in page.inner_text(".flash-error")
    assert count(console_site.db, Attachment) == 0 and get_report(console_site.db, report.ticket).status == lifecycle.DITANGANI

    page.set_input_files("[data-action=proof] input[type=file]",
                         files=[{"name": "bukti.png", "mimeType": "image/png", "buffer": png_bytes(60, 40)}])
    page.fill("[data-action=proof] textarea[name=note]", "Lubang sudah ditambal")
    page.click("[data-action=proof] button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert "Menunggu verifikasi" in page.inner_text(".case-head")
    assert page.locator("#case-photos figure.proof img").count() == 1
    page.close()

    verifier = open_case(console_site, browser, "verifier", report.ticket)
    verifier.click("[data-action=verify] button")
    verifier.wait_for_selector(".flash-ok")
    assert "Selesai" in verifier.inner_text(".case-head")
    verifier.close()

    assert tell_followers(services) >= 1
    with console_site.db.transaction() as session:
        told = list(session.scalars(select(OutboundMessage).where(OutboundMessage.contact_id == sms.id)))
    done = [m for m in told if f"Laporan {report.ticket} SELESAI" in m.body]
    assert len(done) == 1 and done[0].channel == "sms" and "/media/" in done[0].body

    again = open_case(console_site, browser, "triage", report.ticket)
    timeline = again.inner_text("#case-timeline")
    assert "SELESAI" in timeline and "Pesan keluar ke pelapor" in timeline
    assert "6281234567890" not in again.content()
    again.close()


def test_a_role_cannot_take_an_action_that_is_not_its_own(console_site, browser):
    report = console_site.report(description="Pohon tumbang menutup jalan dekat Monas")
    bring_to(console_site.db, console_site.config, report.ticket, lifecycle.VERIFIKASI)
    page = open_case(console_site, browser, "officer", report.ticket)
    assert page.locator("[data-action=verify]").count() == 0
    refused = page.request.post(f"{case_url(console_site, report.ticket)}/verify", form={"csrf_token": csrf(page)},
                                max_redirects=0)
    assert refused.status == 403
    triage = open_case(console_site, browser, "triage", report.ticket)
    refused = triage.request.post(f"{case_url(console_site, report.ticket)}/proof", form={"csrf_token": csrf(triage)},
                                  max_redirects=0)
    assert refused.status == 403
    assert get_report(console_site.db, report.ticket).status == lifecycle.VERIFIKASI
    page.close()
    triage.close()


def test_report_text_and_notes_render_inert(console_site, browser):
    report = console_site.report(description=XSS)
    page = open_case(console_site, browser, "officer", report.ticket)
    page.click("[data-action=note] summary")
    page.fill("[data-action=note] textarea", XSS)
    page.click("[data-action=note] button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#xss-img, #xss-b").count() == 0
    assert "<script>" in page.inner_text(".description") and "<script>" in page.inner_text("#case-timeline")
    page.close()


def test_the_case_page_never_names_the_reporter(console_site, browser):
    report = console_site.report(
        description="Saya Siti Rahayu, hp 081234567890, email siti.rahayu@example.com. Jalan rusak parah dekat Monas",
        reporter_contacts=citizen(), confidential=True)
    for who in ("triage", "officer", "verifier", "admin"):
        page = open_case(console_site, browser, who, report.ticket)
        html = page.content()
        for secret in ("Siti", "Rahayu", "081234567890", "6281234567890", "siti.rahayu", "example.com"):
            assert secret not in html, (who, secret)
        assert "Rahasia" in page.inner_text("[data-field=confidential]")
        page.close()


def test_the_case_page_on_a_phone(console_site, browser):
    report = console_site.report(description="Saluran air tersumbat sampah di dekat Monas, air meluap ke jalan",
                                 category="saluran_air")
    with_photo(console_site, report)
    page = open_case(console_site, browser, "officer", report.ticket, viewport={"width": 390, "height": 844})
    page.wait_for_selector("#case-map[data-area-shown='1']")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"no sideways scrolling on a phone (page is {width}px wide)"
    console_site.shot(page, "case-phone")
    assert re.search(r"Terima", page.inner_text("#case-actions"))
    page.close()


def test_triage_lowers_a_false_emergency_and_admin_raises_a_missed_one(console_site, browser):
    from store.users import create_user
    from tests.browser.conftest import PASSWORD

    fire = console_site.report(category="kebakaran", description="Ada api di tempat sampah dekat Monas, asap hitam")
    assert fire.assigned_unit.code == "DINAS-GULKARMAT"
    page = open_case(console_site, browser, "triage", fire.ticket)
    assert "Darurat" in page.inner_text("[data-field=priority]")
    page.click("[data-action=priority] summary")
    assert "Prioritas sekarang: Darurat" in page.inner_text("[data-action=priority]")
    page.click("[data-action=priority] button[type=submit]")  # the reason is required: the browser keeps the form
    assert get_report(console_site.db, fire.ticket).priority == "darurat"
    page.fill("[data-action=priority] textarea[name=reason]", "Hanya sampah dibakar warga, sudah padam")
    console_site.shot(page, "case-priority-form")
    page.click("[data-action=priority] button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert "Prioritas diubah" in page.inner_text(".flash-ok")
    assert "Biasa" in page.inner_text("[data-field=priority]")
    assert "Kelurahan Gambir" in page.inner_text("[data-field=unit]")
    assert "Prioritas diubah: Darurat → Biasa. Alasan: Hanya sampah dibakar warga" in page.inner_text("#case-timeline")
    console_site.shot(page, "case-priority-lowered")
    page.close()

    create_user(console_site.db, username="petugas.damkar", password=PASSWORD, role="officer", unit_code="DINAS-GULKARMAT")
    console_site.usernames["fire_officer"] = "petugas.damkar"
    tree = console_site.report(category="pohon", description="Pohon besar miring di dekat Monas")
    admin = open_case(console_site, browser, "admin", tree.ticket)
    admin.click("[data-action=priority] summary")
    assert "Dinas Penanggulangan Kebakaran dan Penyelamatan" in admin.inner_text("[data-action=priority]")
    admin.fill("[data-action=priority] textarea[name=reason]", "Pohon tumbang menimpa pengendara motor")
    admin.click("[data-action=priority] button:has-text('Naikkan ke Darurat')")
    admin.wait_for_selector(".flash-ok")
    assert "Darurat" in admin.inner_text("[data-field=priority]")
    assert "Dinas Penanggulangan Kebakaran" in admin.inner_text("[data-field=unit]")
    console_site.shot(admin, "case-priority-raised")
    admin.goto(console_site.base + "/console/admin/audit")
    assert tree.ticket in admin.inner_text("#audit") and "Mengubah prioritas laporan" in admin.inner_text("#audit")
    admin.close()

    damkar = console_site.login(browser, "fire_officer")
    rows = damkar.inner_text("#inbox-rows")
    assert tree.ticket in rows, "the fire service's officers have it in their inbox"
    console_site.shot(damkar, "inbox-fire-service")
    damkar.close()
