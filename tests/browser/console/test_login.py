"""Logging in to the console: per role, wrong passwords, the lockout, CSRF on the login form."""

import re

import pytest

from store.models import ConsoleUser
from tests.browser.conftest import CONSOLE_USERS, PASSWORD
from tests.helpers import count


@pytest.mark.parametrize("who", list(CONSOLE_USERS))
def test_each_role_logs_in_and_sees_its_name_and_role(console_site, browser, who):
    page = console_site.login(browser, who)
    header = page.inner_text("header")
    assert CONSOLE_USERS[who][0].replace(".", " ").title() in header
    role = "officer" if who.endswith("officer") else who
    label = {"triage": "Tim triase", "officer": "Petugas unit", "verifier": "Verifikator", "admin": "Admin"}[role]
    assert label in header
    assert ("Log audit" in header) == (role == "admin")
    page.click("text=Keluar")
    page.wait_for_url("**/console/login")
    page.goto(console_site.base + "/console/inbox")
    assert "/console/login" in page.url, "logged out: the inbox sends back to the login page"
    page.close()


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_account(console_site, browser):
    page = browser.new_page()
    limit = console_site.config.console.max_failed_logins
    for _ in range(limit - 1):
        page.goto(console_site.base + "/console/login")
        page.fill("input[name=username]", "verifikator")
        page.fill("input[name=password]", "salah-sekali-123")
        with page.expect_navigation():
            page.click("#login button[type=submit]")
        assert "Nama pengguna atau kata sandi salah" in page.inner_text(".flash")
    page.fill("input[name=username]", "verifikator")
    page.fill("input[name=password]", "salah-sekali-123")
    with page.expect_navigation():  # each answer is a new page: read it, not the last one
        page.click("#login button[type=submit]")
    assert "dikunci" in page.inner_text(".flash")
    # Locked: even the right password is refused now.
    page.fill("input[name=username]", "verifikator")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():  # each answer is a new page: read it, not the last one
        page.click("#login button[type=submit]")
    assert "dikunci" in page.inner_text(".flash") and "/console/login" in page.url
    page.close()


def test_the_login_form_needs_its_csrf_token(console_site):
    client = console_site.app.test_client()
    response = client.post("/console/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400 and b"CSRF" in response.data
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/console/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/inbox")


def test_passwords_are_stored_only_as_salted_hashes(console_site):
    with console_site.db.transaction() as session:
        hashes = [user.password_hash for user in session.query(ConsoleUser)]
    assert count(console_site.db, ConsoleUser) == len(CONSOLE_USERS)
    assert all(PASSWORD not in value and value.startswith("scrypt:") for value in hashes)
    assert len(set(hashes)) == len(hashes), "each hash has its own salt"


def test_pages_need_a_login_and_never_redirect_off_site(console_site):
    client = console_site.app.test_client()
    response = client.get("/console/inbox")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/console/login?next=https://evil.example/", data={
        "username": "admin", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/console/inbox")
