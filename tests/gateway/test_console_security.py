"""The console's security, across every page: no response ever carries a confidential reporter's identity
(except the admin's audited reveal), roles are enforced on the server, CSRF-less POSTs are refused, pages
carry a strict CSP and no inline script, and the session cookie is HttpOnly, SameSite=Lax, Secure on https."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import url_for
from sqlalchemy import func, select

from gateway.app import create_app
from store.models import (
    AuditLog,
    ConsoleUser,
    OutboundMessage,
    Rating,
    Report,
    StatusEvent,
    TriageItem,
    Unit,
)
from store.reports import get_report
from store.users import create_user
from tests.browser.conftest import CONSOLE_USERS, GAMBIR, KEBON_KELAPA, PASSWORD
from tests.console_crawl import (
    EMAIL,
    NAME,
    PHONE,
    console_get_urls,
    crawl,
    csrf_from,
    leaks,
    login,
    public_urls,
    rate_through_tracking_page,
    route_of,
    seed_confidential_reporter,
)
from tests.helpers import new_report

SECRET = "security-test-secret"
UNITS = (GAMBIR, KEBON_KELAPA, "DINAS-SDA")
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def build_site(units_db, config, wilayah, normalizer):
    app = create_app(config, units_db, wilayah, environ={"LAPOR_SECRET_KEY": SECRET}, normalizer=normalizer, adapters={})
    return SimpleNamespace(app=app, db=units_db, config=config,
                           report=lambda **kwargs: new_report(units_db, config, wilayah, **kwargs))


@pytest.fixture
def site(units_db, config, wilayah, normalizer):
    """The whole app (exceptions become 500 responses, as in production) with a user of every role."""
    built = build_site(units_db, config, wilayah, normalizer)
    built.usernames = {}
    for who, (username, unit) in CONSOLE_USERS.items():
        create_user(units_db, username=username, password=PASSWORD, role="officer" if who.endswith("officer") else who,
                    unit_code=unit, display_name=username.replace(".", " ").title())
        built.usernames[who] = username
    return built


@pytest.fixture
def seeded(site):
    data = seed_confidential_reporter(site, site.report)
    ticket = data.closed_ticket
    assert rate_through_tracking_page(site.app.test_client(), ticket, data.tokens[ticket]) == 303
    return data


def client_for(site, who: str):
    return login(site.app.test_client(), site.usernames[who], PASSWORD)


def counts(db) -> dict[str, object]:
    """What a refused POST must leave exactly as it was."""
    with db.transaction() as session:
        tally = {model.__name__: session.scalar(select(func.count()).select_from(model))
                 for model in (StatusEvent, AuditLog, OutboundMessage, ConsoleUser, Report, Rating, TriageItem)}
        tally["reports"] = sorted(session.execute(select(Report.ticket, Report.status, Report.category,
                                                         Report.assigned_unit_id, Report.latitude)).all())
        tally["triage"] = sorted(session.execute(select(TriageItem.id, TriageItem.status)).all())
        tally["users"] = sorted(session.execute(select(ConsoleUser.username, ConsoleUser.role, ConsoleUser.active,
                                                       ConsoleUser.password_hash)).all())
        tally["units"] = sorted((code, repr(contacts), active) for code, contacts, active in
                                session.execute(select(Unit.code, Unit.contacts, Unit.active)).all())
    return tally


# ---- the seed is real: the identity is in the store, so a leak would show ----

def test_the_identity_is_stored_and_the_description_is_redacted(site, seeded):
    report = get_report(site.db, seeded.gambir_ticket)
    assert report.confidential and "0812-9876-5432" in report.original_text and EMAIL in report.original_text
    assert leaks(seeded.redacted_description) == [], seeded.redacted_description
    assert "[nomor telepon]" in seeded.redacted_description and "[email]" in seeded.redacted_description
    with site.db.transaction() as session:
        recipients = {message.recipient for message in session.scalars(select(OutboundMessage))}
        comment = session.scalar(select(Rating.comment))
    assert PHONE in recipients and EMAIL in recipients
    assert comment and PHONE not in comment, "the tracking page redacts phone numbers from rating comments"


# ---- the leak crawl, per role ----

@pytest.mark.parametrize("who", list(CONSOLE_USERS))
def test_no_page_export_or_api_response_contains_the_identity(site, seeded, who):
    client = client_for(site, who)
    start = ["/console/inbox", "/console/inbox.json"] + console_get_urls(site.app, seeded, UNITS)
    pages = crawl(client, start, limit=500)
    failures = [f"{page.status} {url}" for url, page in pages.items() if page.status >= 500]
    assert not failures, f"server errors for {who}: {failures}"
    found = {url: leaks(page.text + "\n" + page.headers) for url, page in pages.items()}
    found = {url: forms for url, forms in found.items() if forms}
    assert not found, f"{who} sees the confidential reporter's identity: {found}"
    opened = {url for url, page in pages.items() if page.status == 200}
    assert "/console/inbox" in opened, f"{who} reached no inbox: the crawl tested nothing"
    case = f"/console/cases/{seeded.gambir_ticket}"
    if who in ("triage", "verifier", "admin", "officer"):
        assert case in opened, f"{who} could not open the Gambir case"
        assert seeded.redacted_description.split("[")[0].strip() in pages[case].text.replace("&#39;", "'")
    adapter = site.app.url_map.bind("localhost")
    routes: dict[str, set[int]] = {}
    for url, page in pages.items():
        routes.setdefault(route_of(adapter, url), set()).add(page.status)
    print(f"\n{who}: crawled {len(pages)} URLs: " + ", ".join(f"{r} {sorted(s)}" for r, s in sorted(routes.items())))


def test_the_public_pages_and_api_carry_no_identity_and_the_console_needs_a_login(site, seeded):
    client = site.app.test_client()
    pages = crawl(client, public_urls(seeded), limit=200)
    assert all(page.status < 500 for page in pages.values()), {u: p.status for u, p in pages.items()}
    found = {url: leaks(page.text + page.headers) for url, page in pages.items() if leaks(page.text + page.headers)}
    assert not found, f"the public sees the identity: {found}"
    tracking = f"/t/{seeded.gambir_ticket}?k={seeded.tokens[seeded.gambir_ticket]}"
    assert pages[tracking].status == 200 and pages["/open311/v2/requests.json"].status == 200
    for url in console_get_urls(site.app, seeded, UNITS):
        if url == "/console/login":
            continue
        response = client.get(url)
        if url.endswith(".json"):
            assert response.status_code == 401, url
        else:
            assert response.status_code == 302 and "/console/login" in response.headers["Location"], url
        assert not leaks(response.get_data(as_text=True))


def test_every_console_page_has_a_strict_csp_and_no_inline_script(site, seeded):
    client = client_for(site, "admin")
    pages = crawl(client, ["/console/login"] + console_get_urls(site.app, seeded, UNITS), limit=500)
    problems = []
    for url, page in pages.items():
        if not url.startswith("/console/") or page.status >= 400 and page.status != 403:
            continue  # a URL no rule matches is answered before the console's hooks
        csp = re.search(r"Content-Security-Policy: ([^\n]*)", page.headers)
        if not csp or "script-src 'self'" not in csp.group(1) or "unsafe-inline" in csp.group(1).split("script-src")[1].split(";")[0]:
            problems.append(f"{url}: CSP {csp.group(1) if csp else 'missing'}")
        if "text/html" in page.content_type:
            problems += [f"{url}: inline {tag}" for tag in INLINE_SCRIPT.findall(page.text)]
            problems += [f"{url}: event attribute {tag[:80]}" for tag in EVENT_ATTRIBUTE.findall(page.text)]
    assert not problems, problems


# ---- the reveal: the only place the identity shows, for admins, with a reason, audited ----

def _reveal_url(site, ticket):
    with site.app.test_request_context():
        try:
            return url_for("console.reveal", ticket=ticket)
        except Exception:
            return None


def test_only_the_admins_audited_reveal_shows_the_identity(site, seeded):
    url = _reveal_url(site, seeded.gambir_ticket)
    if url is None:
        pytest.skip("no reveal endpoint yet")
    for who in ("triage", "officer", "verifier"):
        client = client_for(site, who)
        token = csrf_from(client.get("/console/inbox").get_data(as_text=True))
        before = counts(site.db)
        response = client.post(url, data={"reason": "Permintaan resmi dari kepolisian nomor 12", "csrf_token": token})
        assert response.status_code in (403, 404), (who, response.status_code)
        assert not leaks(response.get_data(as_text=True)) and counts(site.db) == before
    admin = client_for(site, "admin")
    token = csrf_from(admin.get(f"/console/cases/{seeded.gambir_ticket}/reveal").get_data(as_text=True))
    before = counts(site.db)
    refused = admin.post(url, data={"reason": "", "csrf_token": token})
    assert refused.status_code == 400 and not leaks(refused.get_data(as_text=True)) and counts(site.db) == before
    shown = admin.post(url, data={"reason": "Permintaan resmi dari kepolisian nomor 12", "csrf_token": token})
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200 and (NAME in text or PHONE in text), "the reveal shows the identity"
    assert "no-store" in shown.headers.get("Cache-Control", "")
    report_id = str(get_report(site.db, seeded.gambir_ticket).id)
    with site.db.transaction() as session:
        entry = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert entry is not None and entry.actor_id == "console:admin" and entry.target_id in (
            seeded.gambir_ticket, report_id)
        assert "kepolisian" in (entry.reason or "")
        assert not leaks(repr(entry.detail)), "the audit entry itself must not store the identity"
    assert counts(site.db)["AuditLog"] == before["AuditLog"] + 1
    # After the reveal, the audit log and the case page still show no identity.
    for page in ("/console/admin/audit", f"/console/cases/{seeded.gambir_ticket}"):
        response = admin.get(page)
        assert response.status_code == 200 and not leaks(response.get_data(as_text=True)), page


# ---- roles, enforced on the server ----

# GET pages only some roles may open (everyone else: 403). Pages open to every role are not listed.
ONLY_FOR = {
    "/console/triage": {"triage", "admin"},
    "/console/admin/users": {"admin"},
    "/console/admin/audit": {"admin"},
    "/console/admin/units": {"admin"},
    "/console/admin/categories": {"admin"},
    f"/console/admin/units/{GAMBIR}": {"admin"},
    "/console/admin/users/{user_id}": {"admin"},
    "/console/cases/{gambir}/reveal": {"admin"},
}
# Case actions (POST) and the roles they are for (issue 6 "Who uses it"); any other role: 403.
ACTION_ROLES = {
    "category": {"triage", "admin"}, "location": {"triage", "admin"}, "merge": {"triage", "admin"},
    "reply": {"triage", "admin"}, "priority": {"triage", "admin"}, "accept": {"officer"}, "coordinate": {"officer"},
    "proof": {"officer"}, "verify": {"verifier"}, "sendback": {"verifier"},
}
OFFICER_ACTIONS = {"accept", "coordinate", "redispatch", "note", "proof"}
ROLE_OF = {who: "officer" if who.endswith("officer") else who for who in CONSOLE_USERS}


def _fill(url: str, seeded) -> str:
    return url.format(user_id=seeded.user_ids[0], gambir=seeded.gambir_ticket)


def _known(site, url: str) -> bool:
    adapter = site.app.url_map.bind("localhost")
    try:
        adapter.match(url.split("?")[0], method="GET")
        return True
    except Exception:
        return False


@pytest.mark.parametrize("who", list(CONSOLE_USERS))
def test_pages_refuse_the_roles_they_are_not_for(site, seeded, who):
    client = client_for(site, who)
    for template, roles in ONLY_FOR.items():
        url = _fill(template, seeded)
        if not _known(site, url):
            continue
        status = client.get(url).status_code
        if ROLE_OF[who] in roles:
            assert status == 200, (who, url, status)
        else:
            assert status == 403, (who, url, status)


def test_officers_of_another_unit_get_404_for_the_case_and_its_actions(site, seeded):
    gambir, kebon = seeded.gambir_ticket, seeded.kebon_kelapa_ticket
    cases = {"other_officer": [gambir, kebon], "officer": [kebon], "service_officer": [gambir]}
    for who, tickets in cases.items():
        client = client_for(site, who)
        token = csrf_from(client.get("/console/inbox").get_data(as_text=True))
        for ticket in tickets:
            before = counts(site.db)
            for url in _case_urls(site, ticket, "GET"):
                response = client.get(url)
                expected = 403 if url.endswith("/reveal") else 404  # admins only: refused before the case is looked up
                assert response.status_code == expected, (who, url, response.status_code)
                assert not leaks(response.get_data(as_text=True))
            for url in _case_urls(site, ticket, "POST"):
                if url.endswith("/reveal"):
                    continue  # admins only: 403 before the case is looked up
                response = client.post(url, data=_plausible_form(ticket, token))
                # An officer's own actions: 404 (the case is not theirs); other roles' actions may be refused first (403).
                expected = {404} if url.rsplit("/", 1)[1] in OFFICER_ACTIONS else {403, 404}
                assert response.status_code in expected, (who, url, response.status_code)
            assert counts(site.db) == before, (who, ticket)
    # …while their own unit's case opens.
    assert client_for(site, "service_officer").get(f"/console/cases/{kebon}").status_code == 200
    assert client_for(site, "officer").get(f"/console/cases/{gambir}").status_code == 200


def test_case_actions_refuse_the_roles_they_are_not_for(site, seeded):
    ticket = seeded.gambir_ticket
    for who in ("triage", "officer", "verifier", "admin"):
        client = client_for(site, who)
        token = csrf_from(client.get("/console/inbox").get_data(as_text=True))
        for name, roles in ACTION_ROLES.items():
            if ROLE_OF[who] in roles or not _known_post(site, f"/console/cases/{ticket}/{name}"):
                continue
            before = counts(site.db)
            response = client.post(f"/console/cases/{ticket}/{name}", data=_plausible_form(ticket, token))
            assert response.status_code == 403, (who, name, response.status_code)
            assert counts(site.db) == before, (who, name)
    officer = client_for(site, "officer")
    token = csrf_from(officer.get("/console/inbox").get_data(as_text=True))
    for rule in _post_rules(site):
        if rule.rule.startswith(("/console/triage/", "/console/admin/")) or rule.endpoint == "console.reveal":
            before = counts(site.db)
            response = officer.post(_fill_rule(site, rule, seeded), data=_plausible_form(ticket, token))
            assert response.status_code == 403, (rule.rule, response.status_code)
            assert counts(site.db) == before, rule.rule


def _case_urls(site, ticket: str, method: str) -> list[str]:
    return [rule.rule.replace("<ticket>", ticket) for rule in site.app.url_map.iter_rules()
            if rule.endpoint.startswith("console.") and rule.rule.startswith("/console/cases/<ticket>")
            and method in rule.methods]


def _known_post(site, url: str) -> bool:
    try:
        site.app.url_map.bind("localhost").match(url, method="POST")
        return True
    except Exception:
        return False


def _post_rules(site):
    return sorted((rule for rule in site.app.url_map.iter_rules()
                   if rule.endpoint.startswith("console.") and "POST" in rule.methods), key=lambda rule: rule.rule)


def _fill_rule(site, rule, seeded) -> str:
    values = {"ticket": seeded.gambir_ticket, "user_id": seeded.user_ids[0], "item_id": seeded.triage_ids[0],
              "code": GAMBIR}
    with site.app.test_request_context():
        return url_for(rule.endpoint, **{name: values.get(name, "1") for name in rule.arguments})


def _plausible_form(ticket: str, token: str | None) -> dict:
    """Fields enough for most actions to do something if the request got through."""
    form = {"note": "catatan uji keamanan", "public": "1", "reason": "alasan uji keamanan yang panjang",
            "category": "banjir", "text": "balasan uji", "reply_key": "k" * 24, "unit": KEBON_KELAPA,
            "latitude": "-6.1701", "longitude": "106.8301", "kelurahan": KEBON_KELAPA, "duplicate_of": ticket,
            "username": "penyusup", "password": "kata-sandi-penyusup-1", "role": "admin", "display_name": "Penyusup",
            "active": "0", "language": "en", "contacts": "{}", "score": "5",
            "priority": "darurat"}
    if token is not None:
        form["csrf_token"] = token
    return form


# ---- CSRF: every console POST ----

def test_every_console_post_without_a_valid_csrf_token_is_refused(site, seeded):
    admin = client_for(site, "admin")
    other = client_for(site, "triage")
    foreign_token = csrf_from(other.get("/console/inbox").get_data(as_text=True))
    rules = _post_rules(site)
    assert any(rule.endpoint == "console.logout" for rule in rules)
    for rule in rules:
        url = _fill_rule(site, rule, seeded)
        for token in (None, "ImZha2UtdG9rZW4i.Z0123.wrong", foreign_token):
            before = counts(site.db)
            response = admin.post(url, data=_plausible_form(seeded.gambir_ticket, token))
            assert response.status_code == 400, (url, token, response.status_code)
            assert counts(site.db) == before, (url, token)
    assert admin.get("/console/inbox").status_code == 200, "the admin is still logged in (logout was refused)"
    # Control: the same POST with the header a fetch sends is accepted.
    token = csrf_from(admin.get("/console/inbox").get_data(as_text=True))
    before = counts(site.db)["StatusEvent"]
    response = admin.post(f"/console/cases/{seeded.gambir_ticket}/note", data={"note": "catatan sah", "public": "0"},
                          headers={"X-CSRFToken": token})
    assert response.status_code in (302, 303) and counts(site.db)["StatusEvent"] == before + 1


def test_the_login_post_needs_its_csrf_token(site):
    client = site.app.test_client()
    for token in (None, "wrong"):
        data = {"username": "admin", "password": PASSWORD} | ({"csrf_token": token} if token else {})
        response = client.post("/console/login", data=data)
        assert response.status_code == 400
        assert client.get("/console/inbox").status_code == 302, "not logged in"


# ---- cookies ----

def _session_cookie(response) -> str:
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("lapor_console=")]
    assert cookies, response.headers
    return cookies[-1]


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_on_https(site, units_db, config, wilayah, normalizer):
    cookie = _session_cookie(site.app.test_client().get("/console/login"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = config.model_copy(update={"server": config.server.model_copy(
        update={"public_base_url": "https://lapor.jakarta.go.id"})})
    secure_site = build_site(units_db, https, wilayah, normalizer)
    cookie = _session_cookie(secure_site.app.test_client().get("/console/login", base_url="https://lapor.jakarta.go.id"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_webhooks_are_given_no_session_and_the_console_still_is(site):
    from flask import session

    for path, null in (("/webhooks/sms", True), ("/webhooks/telegram/status", True), ("/console/login", False),
                       ("/t/ABC", False)):
        with site.app.test_request_context(path, method="POST"):
            assert site.app.session_interface.is_null_session(session) is null, path
