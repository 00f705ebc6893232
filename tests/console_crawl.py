"""Shared by the console's security tests: a confidential reporter with distinctive identity strings,
the seeding of everything that could carry them (reports, messages, notes, a triage item, a rating),
logging a Flask test client in, and a breadth-first crawl of what a logged-in user can open."""

from __future__ import annotations

import html
import re
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, urljoin, urlsplit

from gateway.workflow import escalate
from store.models import ContactIdentity
from store.outbox import queue_outbound
from store.reporters import Contact, find_or_add_contact
from store.reports import Actor, add_note, get_report, transition_report
from store.triage import add_triage_item
from tests.helpers import HALTE_HARMONI, MONAS, bring_to

# ---- who must never be seen ----

NAME = "Siti Rahayu Wulandari"
PHONE = "+6281298765432"
EMAIL = "siti.wulandari@example.com"
TELEGRAM_CHAT = "731594268"
HANDLE = "sitiwulan_jkt"
CONTACTS = (
    Contact("sms", PHONE, NAME),
    Contact("email", EMAIL, NAME),
    Contact("telegram", TELEGRAM_CHAT, NAME),
    Contact("x", HANDLE, NAME),
)
# Every form the identity could take in a response: the phone's national and bare forms and its last 8 digits,
# the e-mail's local part, the surname alone, the handle with and without "@".
IDENTITY = (NAME, "Wulandari", PHONE, "081298765432", "6281298765432", "98765432", "0812-9876-5432",
            "0812 9876 5432", EMAIL, "siti.wulandari", TELEGRAM_CHAT, HANDLE, "@" + HANDLE)


def identity_forms() -> list[str]:
    """Each identity string as written, URL-encoded (both ways) and HTML-escaped."""
    forms = set()
    for value in IDENTITY:
        forms.update({value, quote(value, safe=""), quote_plus(value), html.escape(value)})
    return sorted(forms, key=len, reverse=True)


_FORMS = [form.lower() for form in identity_forms()]


def leaks(text: str) -> list[str]:
    """The identity strings found in `text` (case-insensitive), longest first."""
    lowered = text.lower()
    return [form for form in _FORMS if form in lowered]


# ---- a store full of places the identity could leak from ----

CITIZEN_TEXT = (f"Nama saya {NAME}, jalan berlubang besar di depan Monas. Hubungi saya di 0812-9876-5432 "
                f"atau {EMAIL}.")
OFFICER = Actor("officer", "console:petugas.gambir")
TRIAGE = Actor("triage", "console:tim.triase")


@dataclass
class Seeded:
    tickets: list[str]
    tokens: dict[str, str]  # ticket → public token (the citizen's tracking link)
    gambir_ticket: str  # at Monas, the Gambir officer's case
    kebon_kelapa_ticket: str  # at Halte Harmoni, escalated to DINAS-SDA
    closed_ticket: str  # selesai, rated through the tracking page
    triage_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    redacted_description: str = ""


def seed_confidential_reporter(site, report) -> Seeded:
    """Reports by one confidential reporter (every contact above) plus the trail such reports leave.

    `report(**kwargs)` makes a report through the real intake; `site` has `.db` and `.config`."""
    db, config = site.db, site.config
    gambir = report(where=MONAS, category="jalan", description=CITIZEN_TEXT, reporter_contacts=CONTACTS,
                    confidential=True, origin_channel="telegram", address_text="Jl. Medan Merdeka, dekat Monas")
    kebon = report(where=HALTE_HARMONI, category="saluran_air", confidential=True, origin_channel="sms",
                   description=f"Saluran mampet dekat halte. {NAME} 081298765432", reporter_contacts=CONTACTS[:1])
    closed = report(where=MONAS, category="jalan", confidential=True, origin_channel="email",
                    description=f"Lampu jalan mati. Salam, {NAME} ({EMAIL})", reporter_contacts=CONTACTS[1:2])
    escalate(db, config, kebon.ticket, Actor("officer", "console:petugas.kebon.kelapa"), note="perlu dinas SDA")
    transition_report(db, gambir.ticket, "ditangani", OFFICER, note="Petugas menuju lokasi")
    add_note(db, gambir.ticket, "Catatan internal: sudah dicek di lapangan", OFFICER, public=False)
    add_note(db, gambir.ticket, "Perbaikan dijadwalkan minggu ini", OFFICER, public=True)
    bring_to(db, config, closed.ticket, "selesai")
    with db.transaction() as session:
        identities = {i.channel: i for i in session.query(ContactIdentity)}
        for number, (channel, address) in enumerate((("sms", PHONE), ("email", EMAIL), ("telegram", TELEGRAM_CHAT))):
            queue_outbound(session, channel=channel, recipient=address, contact_id=identities[channel].id,
                           report_id=gambir.id, idempotency_key=f"security-{number}",
                           body=f"Halo {NAME}, laporan {gambir.ticket} sedang ditangani. Kami hubungi {PHONE} / {EMAIL}.",
                           reply_context={"to": address})
        handle = find_or_add_contact(session, CONTACTS[3])
        add_triage_item(session, channel="x", provider_message_id="1790000000000000001", contact_id=handle.id,
                        text=f"@kota_jakarta lampu mati depan Monas. Saya {NAME}, WA 081298765432, {EMAIL} @{HANDLE}",
                        latitude=MONAS[0], longitude=MONAS[1])
    seeded = Seeded(
        tickets=[gambir.ticket, kebon.ticket, closed.ticket],
        tokens={r.ticket: r.public_token for r in (gambir, kebon, closed)},
        gambir_ticket=gambir.ticket, kebon_kelapa_ticket=kebon.ticket, closed_ticket=closed.ticket,
        redacted_description=get_report(db, gambir.ticket).description,
    )
    with db.transaction() as session:
        from store.models import ConsoleUser, TriageItem

        seeded.triage_ids = [item.id for item in session.query(TriageItem)]
        seeded.user_ids = [user.id for user in session.query(ConsoleUser)]
    return seeded


def rate_through_tracking_page(client, ticket: str, token: str) -> int:
    """The citizen rates the closed report on the public page, naming themselves in the comment."""
    response = client.post(f"/t/{ticket}?k={token}", data={
        "score": "4", "comment": f"Terima kasih cepat. Salam, {NAME}, {PHONE}, {EMAIL}"},
        headers={"Origin": "http://localhost"})
    return response.status_code


# ---- logging in and crawling ----

def csrf_from(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'name="csrf-token"[^>]*content="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client, username: str, password: str):
    token = csrf_from(client.get("/console/login").get_data(as_text=True))
    response = client.post("/console/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, f"{username} could not log in ({response.status_code})"
    return client


CRAWLED_PREFIXES = ("/console/", "/t/", "/media/", "/open311/", "/static/console")
NEVER_FOLLOW = ("/console/logout",)
_LINK = re.compile(r'(?<![\w-])(?:href|src|action)\s*=\s*"([^"]*)"|data-[\w-]+\s*=\s*"(/[^"]*)"', re.IGNORECASE)
_QUOTED_PATH = re.compile(r'"(/(?:console|t|media|open311)/[^"\s]*)"')


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    text: str
    headers: str


def links_in(base: str, text: str) -> list[str]:
    found = []
    for raw in [a or b for a, b in _LINK.findall(text)] + _QUOTED_PATH.findall(text):
        target = html.unescape(raw).strip()
        if not target or target.startswith(("#", "javascript:", "mailto:", "data:")) or "{" in target:
            continue
        parts = urlsplit(urljoin(base, target))
        if parts.netloc not in ("", "localhost"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith(CRAWLED_PREFIXES) and not path.startswith(NEVER_FOLLOW):
            found.append(path)
    return found


def crawl(client, start: list[str], limit: int = 400, per_route: int = 12) -> dict[str, Page]:
    """Breadth-first GETs from `start`, following links inside the crawled prefixes: at most `limit` pages, and
    at most `per_route` followed links per URL rule (so 260 unit pages do not crowd out the rest)."""
    adapter = client.application.url_map.bind("localhost")
    seen: dict[str, Page] = {}
    queue = deque(dict.fromkeys(start))
    queued = set(queue)
    per: dict[str, int] = {}
    while queue and len(seen) < limit:
        url = queue.popleft()
        response = client.get(url)
        content_type = response.headers.get("Content-Type", "")
        textual = not content_type.startswith(("image/", "font/", "application/octet-stream"))
        text = response.get_data(as_text=True) if textual else ""
        headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
        seen[url] = Page(url, response.status_code, content_type, text, headers)
        response.close()
        if not textual or response.status_code >= 400:
            continue
        for link in links_in(url, text):
            route = route_of(adapter, link)
            if link in queued or per.get(route, 0) >= per_route:
                continue
            per[route] = per.get(route, 0) + 1
            queued.add(link)
            queue.append(link)
    return seen


def route_of(adapter, url: str) -> str:
    """The URL rule a path matches (its endpoint), or the path itself when none does."""
    try:
        return adapter.match(urlsplit(url).path, method="GET")[0]
    except Exception:
        return urlsplit(url).path


def console_get_urls(app, seeded: Seeded, units: tuple[str, ...]) -> list[str]:
    """Every GET rule of the console blueprint, with each seeded value for its parameters."""
    values = {"ticket": seeded.tickets, "user_id": seeded.user_ids, "item_id": seeded.triage_ids, "code": list(units)}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or "GET" not in rule.methods:
            continue
        combos = [{}]
        for argument in rule.arguments:
            choices = values.get(argument, ["1"])
            combos = [dict(combo, **{argument: choice}) for combo in combos for choice in choices]
        with app.test_request_context():
            from flask import url_for

            urls.extend(url_for(rule.endpoint, **combo) for combo in combos)
    return sorted(set(urls))


def public_urls(seeded: Seeded) -> list[str]:
    urls = ["/healthz", "/metrics", "/open311/v2/requests.json", "/open311/v2/requests.xml",
            "/open311/v2/services.json", "/open311/discovery.json"]
    for ticket, token in seeded.tokens.items():
        urls += [f"/t/{ticket}?k={token}", f"/t/{ticket}?k={token}&lang=en", f"/open311/v2/requests/{ticket}.json",
                 f"/open311/v2/requests/{ticket}.xml"]
    return urls
