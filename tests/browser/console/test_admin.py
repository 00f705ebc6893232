"""Admin pages in real Chromium: users, the audited reveal of a confidential identity, the audit log, units."""

from sqlalchemy import select

from store.models import AuditLog
from tests.helpers import citizen, count

NEW_PASSWORD = "sandi-baru-petugas-42"

def test_admin_creates_an_officer_who_can_then_log_in(browser, console_site):
    page = console_site.login(browser, "admin")
    page.click("nav >> text=Admin")
    page.wait_for_url("**/console/admin/users")
    form = page.locator("#new-user")
    form.locator("input[name=username]").fill("Petugas.Baru")
    form.locator("input[name=display_name]").fill("Petugas Baru")
    form.locator("select[name=role]").select_option("officer")
    form.locator("input[name=unit_code]").fill("31.71.01.1001")
    form.locator("input[name=password]").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "Pengguna petugas.baru dibuat." in page.inner_text(".flash-ok")
    row = page.locator("#users tr[data-username='petugas.baru']")
    assert "31.71.01.1001" in row.inner_text() and "Petugas unit" in row.inner_text()
    console_site.shot(page, "admin-users")

    # an officer without a unit is refused with a message, nothing created
    form.locator("input[name=username]").fill("tanpa.unit")
    form.locator("select[name=role]").select_option("officer")
    form.locator("input[name=password]").fill(NEW_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "an officer needs a unit" in page.inner_text(".flash-error")
    assert page.locator("#users tr[data-username='tanpa.unit']").count() == 0

    officer = browser.new_page()
    officer.goto(console_site.base + "/console/login")
    officer.fill("input[name=username]", "petugas.baru")
    officer.fill("input[name=password]", NEW_PASSWORD)
    officer.click("#login button[type=submit]")
    officer.wait_for_url("**/console/inbox**")
    assert "Petugas Baru" in officer.inner_text(".who")
    assert officer.goto(console_site.base + "/console/admin/users").status == 403
    officer.close()
    page.close()

def test_an_admin_cannot_demote_or_deactivate_themselves(browser, console_site):
    page = console_site.login(browser, "admin")
    page.goto(console_site.base + "/console/admin/users")
    page.locator("#users tr[data-username='admin'] a").click()
    assert page.locator("#edit-user select[name=role]").is_disabled()
    assert page.locator("#edit-user input[type=checkbox][name=active]").is_disabled()
    # a forged form is refused on the server too
    token = page.get_attribute("meta[name=csrf-token]", "content")
    answer = page.request.post(page.url, form={"csrf_token": token, "action": "save", "role": "triage", "active": "on"})
    assert "tidak dapat menonaktifkan" in answer.text()
    page.goto(console_site.base + "/console/admin/users")
    assert "Admin" in page.locator("#users tr[data-username='admin']").inner_text()
    page.close()

def test_admin_reveals_a_confidential_identity_with_a_reason_and_it_is_audited(browser, console_site):
    report = console_site.report(reporter_contacts=citizen(), confidential=True, description="Jalan berlubang di depan Monas")
    reveal_url = f"{console_site.base}/console/cases/{report.ticket}/reveal"

    # officers (even of the report's own unit) and triage: 403, nothing recorded
    for who in ("officer", "triage"):
        other = console_site.login(browser, who)
        assert other.goto(reveal_url).status == 403
        token = other.get_attribute("meta[name=csrf-token]", "content")
        refused = other.request.post(reveal_url, form={"csrf_token": token, "reason": "ingin tahu siapa pelapornya"})
        assert refused.status == 403 and "Siti" not in refused.text() and "+6281234567890" not in refused.text()
        other.close()
    assert count(console_site.db, AuditLog) == 0

    page = console_site.login(browser, "admin")
    page.goto(reveal_url)
    page.fill("#reveal textarea[name=reason]", "pendek")
    page.evaluate("document.querySelector('#reveal textarea').removeAttribute('minlength')")  # the server decides
    page.click("#reveal button[type=submit]")
    page.wait_for_selector("#reveal-error")
    assert "Siti" not in page.content() and count(console_site.db, AuditLog) == 0

    token = page.get_attribute("meta[name=csrf-token]", "content")
    assert page.request.post(reveal_url, form={"csrf_token": token}).status == 400
    assert page.request.post(reveal_url, form={"reason": "tanpa token CSRF sama sekali"}).status == 400
    assert count(console_site.db, AuditLog) == 0

    reason = "Permintaan resmi kepolisian no. 12/XI/2026"
    page.fill("#reveal textarea[name=reason]", reason)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("#reveal button[type=submit]")
    assert answer.value.status == 200 and answer.value.headers["cache-control"] == "no-store"
    page.wait_for_selector("#revealed")
    assert page.inner_text("#reveal-name") == "Siti Rahayu"
    contacts = page.inner_text("#reveal-contacts")
    assert "+6281234567890" in contacts and "siti.rahayu@example.com" in contacts
    console_site.shot(page, "reveal")

    with console_site.db.transaction() as session:
        entry = session.scalars(select(AuditLog)).one()
        assert (entry.action, entry.actor_id, entry.target_id, entry.reason) == (
            "reveal_identity", "console:admin", report.ticket, reason)

    page.goto(console_site.base + "/console/admin/audit")
    row = page.locator(f"#audit tr[data-id='{entry.id}']")
    assert report.ticket in row.inner_text() and reason in row.inner_text() and "console:admin" in row.inner_text()
    assert "Siti" not in page.content()
    console_site.shot(page, "audit")
    page.goto(console_site.base + "/console/admin/audit?action=something_else")
    assert page.locator("#audit").count() == 0
    page.close()

def test_no_identity_to_reveal_for_a_public_report(browser, console_site):
    report = console_site.report(reporter_contacts=citizen(), confidential=False)
    page = console_site.login(browser, "admin")
    page.goto(f"{console_site.base}/console/cases/{report.ticket}/reveal")
    page.fill("#reveal textarea[name=reason]", "alasan yang cukup panjang")
    page.click("#reveal button[type=submit]")
    page.wait_for_selector("#reveal-error")
    assert "publik" in page.inner_text("#reveal-error") and "Siti" not in page.content()
    assert count(console_site.db, AuditLog) == 0
    page.close()

def test_admin_edits_a_units_contact_points(browser, console_site):
    page = console_site.login(browser, "admin")
    page.goto(console_site.base + "/console/admin/units?q=gambir&kind=kelurahan")
    page.locator("#units tr[data-code='31.71.01.1001'] a").click()
    page.fill("textarea[name=telegram_chats]", "-1001234567890\nbukan-id")
    page.click("#unit-contacts button[type=submit]")
    page.wait_for_selector(".flash-error")
    assert "bukan-id" in page.inner_text(".flash-error")
    page.fill("textarea[name=telegram_chats]", "-1001234567890")
    page.fill("textarea[name=emails]", "Kel.Gambir@jakarta.go.id")
    page.click("#unit-contacts button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert page.input_value("textarea[name=emails]") == "kel.gambir@jakarta.go.id"
    try:  # this process knows the new chat at once: what is said there is no citizen's report
        assert console_site.config.is_unit_address("telegram", "-1001234567890")
    finally:
        console_site.config.apply_stored_contacts({})
    page.goto(console_site.base + "/console/admin/units?q=1001")
    assert "Telegram 1" in page.locator("#units tr[data-code='31.71.01.1001']").inner_text()
    console_site.shot(page, "admin-units")
    page.goto(console_site.base + "/console/admin/categories")
    assert page.locator("#categories tr[data-code='jalan']").count() == 1
    console_site.shot(page, "admin-categories")
    page.close()

def test_users_page_works_at_phone_width(browser, console_site):
    page = console_site.login(browser, "admin", viewport={"width": 390, "height": 844})
    page.goto(console_site.base + "/console/admin/users")
    assert page.locator("#new-user").is_visible()
    console_site.shot(page, "admin-users-phone")
    page.close()
