"""A submission becomes a dispatched report — the path every channel shares."""

import pytest

from gateway.workflow import escalate
from store.reports import get_report
from tests.helpers import BEKASI, HALTE_HARMONI, MONAS, OFFICER, citizen, new_report

pytestmark = pytest.mark.sql_dialects


def test_a_located_report_is_dispatched_to_its_kelurahan(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah, where=HALTE_HARMONI)
    assert report.assigned_unit.code == "31.71.01.1005" and report.assigned_unit.name == "Kelurahan Kebon Kelapa"
    assert (report.kelurahan_code, report.kecamatan_code, report.kota_code) == ("31.71.01.1005", "31.71.01", "31.71")
    assert report.location_precision == "point" and not report.needs_review


def test_outside_jakarta_is_flagged_and_assigned_to_nobody(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah, where=BEKASI)
    assert report.assigned_unit is None and report.kelurahan_code is None
    assert report.outside_jurisdiction and report.needs_review
    assert report.review_reasons == ["outside_jakarta"]
    assert report.status == "menunggu"


def test_no_location_waits_for_triage(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah, where=None, address_text="dekat pasar")
    assert report.assigned_unit is None and report.needs_review and not report.outside_jurisdiction
    assert report.location_precision == "none"


def test_escalation_goes_to_the_categorys_service(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah, category="pohon", where=MONAS)
    escalated = escalate(units_db, config, report.ticket, OFFICER, note="perlu alat berat")
    assert escalated.status == "koordinasi" and escalated.assigned_unit.code == "DINAS-PERTAMANAN"
    assert escalated.events[-1].unit.code == "DINAS-PERTAMANAN"


def test_fire_is_an_emergency(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah, category="kebakaran")
    minutes = (report.sla_due_at - report.created_at).total_seconds() / 60
    assert report.priority == "darurat" and minutes == pytest.approx(15, abs=0.1)


def test_personal_data_is_redacted_from_what_officers_see(units_db, config, wilayah):
    phone, email = citizen()
    text = "Nama saya Siti Rahayu (siti.rahayu@example.com, 0812-3456-7890). Lampu jalan mati sejak seminggu"
    report = new_report(units_db, config, wilayah, category="listrik", description=text, reporter_contacts=(phone, email))
    for secret in ("Siti", "Rahayu", "siti.rahayu@example.com", "0812-3456-7890"):
        assert secret not in report.description and secret not in report.title
    assert "Lampu jalan mati" in report.description
    assert get_report(units_db, report.ticket).original_text == text


def test_the_title_is_the_first_sentence_cut_at_a_word(units_db, config, wilayah):
    long = "Pohon besar " + "sangat " * 30 + "tumbang. Menutup jalan."
    report = new_report(units_db, config, wilayah, category="pohon", description=long)
    assert report.title.endswith("…") and len(report.title) <= 81 and " " in report.title
    short = new_report(units_db, config, wilayah, category="pohon", description="Pohon tumbang! Tolong")
    assert short.title == "Pohon tumbang"
    empty = new_report(units_db, config, wilayah, category="sampah", description="")
    assert empty.title == "Sampah"


def test_likely_duplicates_come_from_recent_open_reports_nearby(units_db, config, wilayah):
    from datetime import timedelta

    from gateway.duplicates import likely_duplicates
    from store.types import utcnow
    from tests.helpers import bring_to

    near = new_report(units_db, config, wilayah, where=(-6.17545, 106.82725), description="Jalan berlubang besar depan Monas")
    far = new_report(units_db, config, wilayah, where=(-6.1854, 106.8272), description="Jalan berlubang besar")
    other = new_report(units_db, config, wilayah, category="sampah", where=MONAS, description="Jalan berlubang")
    closed = new_report(units_db, config, wilayah, where=MONAS, description="Jalan berlubang besar")
    bring_to(units_db, config, closed.ticket, "ditolak")
    found = likely_duplicates(
        units_db, config, category="jalan", lat=MONAS[0], lon=MONAS[1], description="jalan berlubang besar", now=utcnow()
    )
    assert [d.ticket for d in found] == [near.ticket]
    assert far.ticket and other.ticket  # ~1.1 km away, another category
    later = likely_duplicates(
        units_db, config, category="jalan", lat=MONAS[0], lon=MONAS[1], description="x", now=utcnow() + timedelta(days=31)
    )
    assert later == [], "older than the window"


def test_a_fire_goes_at_once_to_the_fire_service_and_its_kelurahan_is_sent_the_case_too(units_db, config, wilayah, normalizer):
    from sqlalchemy import select

    from gateway.app import create_app
    from gateway.cases import forward_cases
    from store.models import OutboundMessage
    from store.units import update_unit_contacts

    update_unit_contacts(units_db, "DINAS-GULKARMAT", telegram_chats=["-1001110001"], emails=[])
    update_unit_contacts(units_db, "31.71.01.1001", telegram_chats=["-1001110002"], emails=[])  # Kelurahan Gambir
    services = create_app(config, units_db, wilayah, environ={"LAPOR_SECRET_KEY": "k"}, normalizer=normalizer,
                          adapters={"telegram": object()}).extensions["lapor"]
    forward_cases(services)  # what came before is not news
    fire = new_report(units_db, config, wilayah, category="kebakaran", where=MONAS,
                      description="Kebakaran rumah dekat Monas, api besar")
    assert fire.priority == "darurat" and fire.assigned_unit.code == "DINAS-GULKARMAT"
    assert fire.kelurahan_code == "31.71.01.1001", "it stays in its kelurahan for filters, maps and statistics"
    kelurahan_event, service_event = fire.events
    assert (kelurahan_event.from_status, kelurahan_event.unit.code) == (None, "31.71.01.1001")
    assert (service_event.to_status, service_event.unit.code, service_event.actor_role) == ("menunggu", "DINAS-GULKARMAT", "system")
    assert service_event.note.startswith("Darurat: langsung diteruskan ke Dinas Penanggulangan") and not service_event.note_public
    assert forward_cases(services) == 2
    with units_db.transaction() as session:
        sent = {m.recipient: m.body for m in session.scalars(select(OutboundMessage).where(OutboundMessage.report_id == fire.id))}
    assert set(sent) == {"-1001110001", "-1001110002"}, "the fire service and the kelurahan, at once"
    assert all(body.startswith(f"KASUS {fire.ticket} (DARURAT)") for body in sent.values())

    road = new_report(units_db, config, wilayah, category="jalan", where=MONAS)
    assert road.assigned_unit.code == "31.71.01.1001" and len(road.events) == 1, "not an emergency: its kelurahan only"
