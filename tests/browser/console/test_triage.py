"""The mentions triage queue in real Chromium: redacted text, convert (with the public reply) and dismiss."""

import re

from sqlalchemy import select

from store.models import OutboundMessage, Report, TriageItem
from store.reporters import Contact, find_or_add_contact
from store.triage import add_triage_item
from tests.helpers import MONAS, count

HANDLE = "budi_warga88"
NAME = "Budi Santoso"


def mention(site, key, text, where=None):
    """A pending triage item from an X author (handle and name stored, as the poller would)."""
    with site.db.transaction() as session:
        identity = find_or_add_contact(session, Contact("x", HANDLE, NAME))
        add_triage_item(session, channel="x", provider_message_id=key, text=text, contact_id=identity.id,
                        latitude=where[0] if where else None, longitude=where[1] if where else None)
    with site.db.transaction() as session:
        return session.scalar(select(TriageItem.id).where(TriageItem.provider_message_id == key))


def test_triage_converts_one_mention_and_dismisses_another(console_site, browser):
    pothole = mention(console_site, "1001", f"min ada lubang di jalan, saya {NAME} hp 081234567890 budi@example.com", MONAS)
    chatter = mention(console_site, "1002", "selamat pagi jakarta, cuaca cerah hari ini")
    page = console_site.login(browser, "triage")
    page.click("header >> text=Triase mention")
    page.wait_for_url("**/console/triage")
    assert "2 menunggu keputusan" in page.inner_text("main")
    card = page.locator(f"article[data-item='{pothole}']")
    shown = card.locator(".text").inner_text()
    assert "lubang di jalan" in shown and "[nomor telepon]" in shown and "[email]" in shown and "[nama]" in shown
    body = page.content()
    for secret in (NAME, "Budi", HANDLE, "081234567890", "budi@example.com"):
        assert secret not in body, f"{secret!r} must not reach the page"
    assert "Gambir" in card.locator(".meta").inner_text(), "the location of the post, named"
    console_site.shot(page, "triage")

    card.locator("select[name=category]").select_option("jalan")
    card.locator("button", has_text="Jadikan laporan").click()
    page.wait_for_url("**/console/triage")
    flash = page.inner_text(".flash-ok >> nth=0")
    ticket = re.search(r"laporan (\S+)\.", flash).group(1)
    link = page.locator("#converted-link a")
    assert link.inner_text() == f"Buka kasus {ticket}" and link.get_attribute("href") == f"/console/cases/{ticket}"
    with console_site.db.transaction() as session:
        report = session.scalar(select(Report).where(Report.ticket == ticket))
        assert (report.category, report.origin_channel, report.confidential) == ("jalan", "x", True)
        assert report.assigned_unit.code == "31.71.01.1001"
        item = session.get(TriageItem, pothole)
        assert (item.status, item.report_id, item.decided_by) == ("converted", report.id, "triage:console:tim.triase")
        reply = session.scalar(select(OutboundMessage).where(OutboundMessage.idempotency_key == f"triage:{pothole}:reply"))
        assert reply.channel == "x" and reply.recipient == HANDLE and ticket in reply.body, "the usual public reply"
        assert NAME not in report.description and "081234567890" not in report.description
    assert page.locator(f"article[data-item='{pothole}']").count() == 0

    page.locator(f"article[data-item='{chatter}'] button", has_text="Abaikan").click()
    page.wait_for_url("**/console/triage")
    assert "Mention diabaikan" in page.inner_text(".flash-ok")
    assert page.locator("article.mention").count() == 0 and "Tidak ada mention" in page.inner_text("main")
    with console_site.db.transaction() as session:
        assert session.get(TriageItem, chatter).status == "dismissed"
    assert count(console_site.db, Report) == 1, "dismissing makes no report"
    page.close()


def test_deciding_twice_or_an_unknown_category_is_refused_without_a_500(console_site, browser):
    item = mention(console_site, "2001", "pohon tumbang di jalan dekat monas", MONAS)
    page = console_site.login(browser, "admin")
    page.goto(console_site.base + "/console/triage")
    card = page.locator(f"article[data-item='{item}']")
    card.locator("select[name=category]").evaluate("s => { s.options[1].value = 'tidak_ada'; s.selectedIndex = 1; }")
    card.locator("button", has_text="Jadikan laporan").click()
    page.wait_for_url("**/console/triage")
    assert "Kategori tidak dikenal" in page.inner_text(".flash-error")
    assert count(console_site.db, Report) == 0
    # Two people: the second one's click comes after the first decided it.
    second = console_site.login(browser, "triage")
    second.goto(console_site.base + "/console/triage")
    page.locator(f"article[data-item='{item}'] button", has_text="Abaikan").click()
    page.wait_for_url("**/console/triage")
    second.locator(f"article[data-item='{item}'] button", has_text="Jadikan laporan").click()
    second.wait_for_url("**/console/triage")
    assert "sudah diputuskan" in second.inner_text(".flash-error")
    assert count(console_site.db, Report) == 0
    missing = second.request.post(console_site.base + "/console/triage/999999/dismiss",
                                  form={"csrf_token": second.get_attribute("meta[name=csrf-token]", "content")},
                                  max_redirects=0)
    assert missing.status == 303
    second.close()
    page.close()


def test_only_triage_and_admins_may_open_the_queue_or_act(console_site, browser):
    item = mention(console_site, "3001", "ada pohon tumbang", MONAS)
    page = console_site.login(browser, "officer")
    assert "Triase mention" not in page.inner_text("header")
    response = page.goto(console_site.base + "/console/triage")
    assert response.status == 403
    token = page.get_attribute("meta[name=csrf-token]", "content")
    refused = page.request.post(console_site.base + f"/console/triage/{item}/convert", form={"csrf_token": token})
    assert refused.status == 403
    page.close()
    page = console_site.login(browser, "verifier")
    assert page.goto(console_site.base + "/console/triage").status == 403
    page.close()
    with console_site.db.transaction() as session:
        assert session.get(TriageItem, item).status == "pending"


def test_actions_need_the_csrf_token(console_site, browser):
    item = mention(console_site, "4001", "ada pohon tumbang", MONAS)
    page = console_site.login(browser, "triage")
    refused = page.request.post(console_site.base + f"/console/triage/{item}/dismiss", form={})
    assert refused.status == 400
    with console_site.db.transaction() as session:
        assert session.get(TriageItem, item).status == "pending"
    page.close()
