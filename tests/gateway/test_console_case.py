"""The console's case page and actions through the Flask test client: who may open and act on a case, what each
action writes (one transaction, nothing half-written), and what the page never shows. On SQLite and PostgreSQL."""

import re

import pytest
from sqlalchemy import select

from gateway.app import create_app
from gateway.workflow import escalate
from store import lifecycle
from store.conversations import follow_report
from store.models import Attachment, OutboundMessage, StatusEvent
from store.outbox import queue_outbound
from store.reporters import find_identity
from store.reports import get_report
from store.users import create_user
from tests.helpers import BLOK_M, MONAS, TRIAGE, bring_to, citizen, count, new_report, png_bytes

PASSWORD = "kata-sandi-uji-123"
USERS = {  # who → (role, unit)
    "triage": ("triage", None),
    "officer": ("officer", "31.71.01.1001"),  # Kelurahan Gambir (Monas)
    "other_officer": ("officer", "31.71.01.1005"),  # Kebon Kelapa
    "verifier": ("verifier", None),
    "admin": ("admin", None),
}


@pytest.fixture
def console(units_db, config, wilayah, normalizer):
    app = create_app(config, units_db, wilayah, environ={"LAPOR_SECRET_KEY": "test-secret"}, normalizer=normalizer,
                     adapters={})
    for who, (role, unit) in USERS.items():
        create_user(units_db, username=who, password=PASSWORD, role=role, unit_code=unit, display_name=who.title())
    return app


def logged_in(app, who):
    client = app.test_client()
    token = _token(client.get("/console/login").get_data(as_text=True))
    response = client.post("/console/login", data={"username": who, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def _token(html):
    """The CSRF token of a page: a form's hidden field, or the meta tag every console page carries."""
    return re.search(r'name="csrf[-_]token" (?:value|content)="([^"]+)"', html).group(1)


def act(client, ticket, action, **form):
    token = _token(client.get(f"/console/cases/{ticket}").get_data(as_text=True))
    return client.post(f"/console/cases/{ticket}/{action}", data={"csrf_token": token, **form})


def _multipart(csrf_token: str, photo: bytes) -> bytes:
    return (b"--b0und\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + csrf_token.encode()
            + b"\r\n--b0und\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"besar.png\"\r\n"
            b"Content-Type: image/png\r\n\r\n" + photo + b"\r\n--b0und--\r\n")


def make(db, config, wilayah, **extra):
    return new_report(db, config, wilayah, **extra)


def test_the_case_page_shows_the_report_without_who_reported_it(console, units_db, config, wilayah):
    report = make(units_db, config, wilayah, description="Jalan berlubang besar dekat Monas, hub saya 081234567890",
                  reporter_contacts=citizen(), confidential=True)
    with units_db.transaction() as session:  # the reporter follows it, and a message went out
        follow_report(session, report.ticket, find_identity(units_db, "sms", "+6281234567890").id)
        queue_outbound(session, channel="sms", recipient="+6281234567890", report_id=report.id, idempotency_key="t1",
                       body="Halo Siti Rahayu, laporan diterima. Lacak: http://x/t/T?k=secret-token-123")
    for who in ("triage", "officer", "verifier", "admin"):
        html = logged_in(console, who).get(f"/console/cases/{report.ticket}").get_data(as_text=True)
        assert report.ticket in html and "Jalan berlubang" in html and "Kel. Gambir" in html
        for secret in ("081234567890", "6281234567890", "Siti", "Rahayu", "siti.rahayu@example.com", "secret-token-123"):
            assert secret not in html, (who, secret)
        assert "laporan diterima" in html, "the message out is in the timeline, redacted"


def test_another_units_officer_gets_404_for_the_page_every_action_and_the_map_data(console, units_db, config, wilayah):
    report = make(units_db, config, wilayah)
    client = logged_in(console, "other_officer")
    assert client.get(f"/console/cases/{report.ticket}").status_code == 404
    assert client.get(f"/console/cases/{report.ticket}/area.json").status_code == 404
    token = _token(client.get(f"/console/cases/{report.ticket}").get_data(as_text=True))  # from the 404 page
    for action in ("accept", "coordinate", "redispatch", "note", "proof"):
        response = client.post(f"/console/cases/{report.ticket}/{action}", data={"csrf_token": token, "note": "x",
                                                                                  "unit": "31.71.01.1005", "reason": "x"})
        assert response.status_code == 404, action
    assert get_report(units_db, report.ticket).status == lifecycle.MENUNGGU
    assert count(units_db, StatusEvent) == 1


def test_a_role_may_not_take_another_roles_actions(console, units_db, config, wilayah):
    report = make(units_db, config, wilayah)
    bring_to(units_db, config, report.ticket, lifecycle.VERIFIKASI)
    officer = logged_in(console, "officer")
    assert act(officer, report.ticket, "verify").status_code == 403
    assert act(logged_in(console, "triage"), report.ticket, "accept").status_code == 403
    assert act(logged_in(console, "verifier"), report.ticket, "category", category="pohon").status_code == 403
    assert get_report(units_db, report.ticket).status == lifecycle.VERIFIKASI


def test_actions_need_their_csrf_token(console, units_db, config, wilayah):
    report = make(units_db, config, wilayah)
    response = logged_in(console, "officer").post(f"/console/cases/{report.ticket}/accept")
    assert response.status_code == 400 and get_report(units_db, report.ticket).status == lifecycle.MENUNGGU


def test_a_category_fix_re_dispatches_to_the_new_categorys_service(console, units_db, config, wilayah):
    report = make(units_db, config, wilayah, category="jalan")
    escalate(units_db, config, report.ticket, TRIAGE)  # with Dinas Bina Marga now
    response = act(logged_in(console, "triage"), report.ticket, "category", category="saluran_air")
    assert response.status_code == 303
    fixed = get_report(units_db, report.ticket)
    assert fixed.category == "saluran_air" and fixed.assigned_unit.code == "DINAS-SDA"
    hours = config.category("saluran_air").sla_hours
    assert abs((fixed.sla_due_at - fixed.created_at).total_seconds() - hours * 3600) < 2
    assert fixed.events[-1].note.startswith("Kategori diperbaiki") and not fixed.events[-1].note_public


def test_a_location_fix_by_kelurahan_or_pin_re_dispatches(console, units_db, config, wilayah):
    report = make(units_db, config, wilayah, where=None, description="jalan rusak parah")
    client = logged_in(console, "triage")
    assert act(client, report.ticket, "location", kelurahan="31.71.01.1001").status_code == 303
    assert get_report(units_db, report.ticket).assigned_unit.code == "31.71.01.1001"
    act(client, report.ticket, "location", latitude=str(BLOK_M[0]), longitude=str(BLOK_M[1]))
    moved = get_report(units_db, report.ticket)
    assert "Melawai" in moved.assigned_unit.name
    assert (moved.latitude, moved.longitude) == BLOK_M and moved.location_precision == "point"
    before = count(units_db, StatusEvent)
    page = act(client, report.ticket, "location", latitude="abc", longitude="106.8")
    assert page.status_code == 303 and count(units_db, StatusEvent) == before
    assert "lintang" in client.get(f"/console/cases/{report.ticket}").get_data(as_text=True)


def test_merge_reject_and_reply(console, units_db, config, wilayah):
    original = make(units_db, config, wilayah)
    copy = make(units_db, config, wilayah, reporter_contacts=citizen())
    client = logged_in(console, "triage")
    act(client, copy.ticket, "merge", original=original.ticket.lower())
    merged = get_report(units_db, copy.ticket)
    assert merged.status == lifecycle.DUPLIKAT and merged.duplicate_of_id == original.id
    html = client.get(f"/console/cases/{original.ticket}").get_data(as_text=True)
    assert copy.ticket in html, "the original lists its duplicate"

    page = client.get(f"/console/cases/{copy.ticket}").get_data(as_text=True)
    key = re.search(r'name="reply_key" value="([^"]+)"', page).group(1)
    form = {"csrf_token": _token(page), "reply_key": key, "text": "Terima kasih, sudah digabung."}
    client.post(f"/console/cases/{copy.ticket}/reply", data=form)
    client.post(f"/console/cases/{copy.ticket}/reply", data=form)  # sent twice: queued once
    with units_db.transaction() as session:
        sent = list(session.scalars(select(OutboundMessage).where(OutboundMessage.report_id == copy.id)))
    assert len(sent) == 2 and {m.channel for m in sent} == {"sms", "email"}, "once per contact of the reporter"
    assert all("sudah digabung" in m.body for m in sent)

    act(client, original.ticket, "reject", reason="")
    assert get_report(units_db, original.ticket).status == lifecycle.MENUNGGU, "a rejection needs a reason"
    act(client, original.ticket, "reject", reason="Bukan wewenang Pemprov")
    assert get_report(units_db, original.ticket).status == lifecycle.DITOLAK


def test_officer_flow_and_a_bad_upload_leaves_nothing(console, units_db, config, wilayah):
    report = make(units_db, config, wilayah)
    officer = logged_in(console, "officer")
    act(officer, report.ticket, "accept")
    assert get_report(units_db, report.ticket).status == lifecycle.DITANGANI
    act(officer, report.ticket, "note", note="Tim dikirim besok pagi", public="1")
    assert get_report(units_db, report.ticket).events[-1].note_public

    token = _token(officer.get(f"/console/cases/{report.ticket}").get_data(as_text=True))
    from io import BytesIO

    bad = officer.post(f"/console/cases/{report.ticket}/proof", content_type="multipart/form-data",
                       data={"csrf_token": token, "photo": (BytesIO(b"not an image"), "x.png", "image/png")})
    assert bad.status_code == 303
    assert "Tidak dapat dilakukan: the file is not a valid image/png image" in officer.get(bad.headers["Location"]).get_data(as_text=True)
    text = officer.post(f"/console/cases/{report.ticket}/proof", content_type="multipart/form-data",
                        data={"csrf_token": token, "photo": (BytesIO(b"hello"), "x.txt", "text/plain")})
    assert "text/plain is not accepted" in officer.get(text.headers["Location"]).get_data(as_text=True)
    huge = b"\x89PNG\r\n\x1a\n" + bytes(config.storage.max_attachment_bytes + 100_000)
    too_large = officer.post(f"/console/cases/{report.ticket}/proof", content_type="multipart/form-data; boundary=b0und",
                             data=_multipart(csrf_token=token, photo=huge))  # built here: no temporary file left open
    assert too_large.status_code == 413 and "Berkas terlalu besar" in too_large.get_data(as_text=True)
    assert count(units_db, Attachment) == 0 and get_report(units_db, report.ticket).status == lifecycle.DITANGANI

    good = officer.post(f"/console/cases/{report.ticket}/proof", content_type="multipart/form-data",
                        data={"csrf_token": token, "photo": (BytesIO(png_bytes()), "bukti.png", "image/png")})
    assert good.status_code == 303
    done = get_report(units_db, report.ticket)
    assert done.status == lifecycle.VERIFIKASI and done.events[-1].proof_attachment is not None

    verifier = logged_in(console, "verifier")
    act(verifier, report.ticket, "sendback", note="")
    assert get_report(units_db, report.ticket).status == lifecycle.VERIFIKASI, "sending back needs a note"
    act(verifier, report.ticket, "verify")
    assert get_report(units_db, report.ticket).status == lifecycle.SELESAI


def test_an_officer_who_redispatches_away_lands_on_the_inbox(console, units_db, config, wilayah):
    report = make(units_db, config, wilayah, where=MONAS)
    response = act(logged_in(console, "officer"), report.ticket, "redispatch", unit="31.71.01.1005", reason="Lokasi di Kebon Kelapa")
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/inbox")
    assert get_report(units_db, report.ticket).assigned_unit.code == "31.71.01.1005"


def test_triage_lowers_a_false_emergency_with_a_reason_and_it_goes_back_to_its_kelurahan(console, units_db, config, wilayah):
    from store.audit import search_audit

    fire = make(units_db, config, wilayah, category="kebakaran", where=MONAS, description="Kebakaran dekat Monas")
    assert (fire.priority, fire.assigned_unit.code) == ("darurat", "DINAS-GULKARMAT")
    client = logged_in(console, "triage")
    page = client.get(f"/console/cases/{fire.ticket}").get_data(as_text=True)
    assert 'data-action="priority"' in page and 'name="priority" value="normal"' in page and "Turunkan ke Biasa" in page
    events = count(units_db, StatusEvent)
    assert act(client, fire.ticket, "priority", priority="normal", reason="").status_code == 303
    assert act(client, fire.ticket, "priority", priority="tinggi", reason="x").status_code == 303
    assert act(client, fire.ticket, "priority", priority="darurat", reason="x").status_code == 303
    assert get_report(units_db, fire.ticket).priority == "darurat" and count(units_db, StatusEvent) == events, "all refused"
    assert "prioritasnya sudah itu" in client.get(f"/console/cases/{fire.ticket}").get_data(as_text=True)

    response = act(client, fire.ticket, "priority", priority="normal", reason="Hanya pembakaran sampah, sudah padam")
    assert response.status_code == 303
    lowered = get_report(units_db, fire.ticket)
    assert (lowered.priority, lowered.assigned_unit.code, lowered.status) == ("normal", "31.71.01.1001", "menunggu")
    hours = config.category("kebakaran").sla_hours
    assert abs((lowered.sla_due_at - lowered.created_at).total_seconds() - hours * 3600) < 2, "the category's SLA, from the report"
    last = lowered.events[-1]
    assert last.note == "Prioritas diubah: Darurat → Biasa. Alasan: Hanya pembakaran sampah, sudah padam"
    assert not last.note_public and last.actor_id == "console:triage" and last.unit.code == "31.71.01.1001"
    [entry] = search_audit(units_db, action="priority_changed")
    assert (entry.actor_id, entry.target_id, entry.reason) == ("console:triage", fire.ticket, "Hanya pembakaran sampah, sudah padam")
    assert entry.detail["before"]["unit"] == "DINAS-GULKARMAT" and entry.detail["after"]["unit"] == "31.71.01.1001"
    assert "Prioritas diubah; tenggat dan unit disesuaikan." in client.get(f"/console/cases/{fire.ticket}").get_data(as_text=True)
    assert "Raise to Emergency" in client.get(f"/console/cases/{fire.ticket}?lang=en").get_data(as_text=True)


def test_admin_raises_a_missed_emergency_and_the_services_officers_have_it_in_their_inbox(console, units_db, config, wilayah):
    from datetime import timedelta

    from store.types import utcnow

    create_user(units_db, username="damkar", password=PASSWORD, role="officer", unit_code="DINAS-GULKARMAT")
    tree = make(units_db, config, wilayah, category="pohon", where=MONAS, description="Pohon besar miring di dekat Monas")
    assert (tree.priority, tree.assigned_unit.code) == ("normal", "31.71.01.1001")
    damkar = logged_in(console, "damkar")
    assert tree.ticket not in damkar.get("/console/inbox").get_data(as_text=True)
    before = count(units_db, StatusEvent)
    assert act(logged_in(console, "admin"), tree.ticket, "priority", priority="darurat",
               reason="Pohon tumbang menimpa pengendara, ada korban").status_code == 303
    raised = get_report(units_db, tree.ticket)
    assert (raised.priority, raised.assigned_unit.code) == ("darurat", "DINAS-GULKARMAT")
    assert abs((raised.sla_due_at - (utcnow() + timedelta(minutes=15))).total_seconds()) < 30, "15 minutes from now"
    assert count(units_db, StatusEvent) == before + 1, "the kelurahan has it already: one hand-over, to the service"
    assert raised.events[-1].note.startswith("Prioritas diubah: Biasa → Darurat")
    inbox = damkar.get("/console/inbox").get_data(as_text=True)
    assert tree.ticket in inbox
    assert damkar.get(f"/console/cases/{tree.ticket}").status_code == 200
    assert logged_in(console, "officer").get(f"/console/cases/{tree.ticket}").status_code == 404, "now the service's case"


def test_only_triage_and_admin_change_a_priority_and_never_without_the_csrf_token(console, units_db, config, wilayah):
    report = make(units_db, config, wilayah)
    for who in ("officer", "verifier"):
        client = logged_in(console, who)
        assert 'data-action="priority"' not in client.get(f"/console/cases/{report.ticket}").get_data(as_text=True)
        assert act(client, report.ticket, "priority", priority="darurat", reason="x").status_code == 403
    triage = logged_in(console, "triage")
    assert triage.post(f"/console/cases/{report.ticket}/priority",
                       data={"priority": "darurat", "reason": "tanpa token"}).status_code == 400
    assert get_report(units_db, report.ticket).priority == "normal"
    bring_to(units_db, config, report.ticket, lifecycle.DITOLAK)
    assert 'data-action="priority"' not in triage.get(f"/console/cases/{report.ticket}").get_data(as_text=True)
    act(triage, report.ticket, "priority", priority="darurat", reason="terlambat")
    assert get_report(units_db, report.ticket).priority == "normal", "a closed report keeps its priority"


def test_an_emergency_reported_at_once_is_in_its_services_inbox(console, units_db, config, wilayah):
    create_user(units_db, username="bpbd", password=PASSWORD, role="officer", unit_code="BPBD")
    flood = make(units_db, config, wilayah, category="banjir", where=MONAS,
                 description="Banjir setinggi dada, warga terjebak di atap, tolong evakuasi")
    assert (flood.priority, flood.assigned_unit.code) == ("darurat", "BPBD")
    assert flood.ticket in logged_in(console, "bpbd").get("/console/inbox").get_data(as_text=True)
