"""Reports in the store: tickets, history, every workflow move, ratings — on every backend."""

import re

import pytest
from sqlalchemy import func, select

from store import lifecycle
from store.lifecycle import TRANSITIONS, TransitionError
from store.models import StatusEvent
from store.reports import (
    Actor,
    NotFound,
    RatingError,
    get_report,
    rate_report,
    reassign_report,
    transition_report,
)
from tests.helpers import OFFICER, VERIFIER, bring_to, move, new_report, proof_photo

pytestmark = pytest.mark.sql_dialects


def count_events(db, report_id):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(StatusEvent).where(StatusEvent.report_id == report_id))


def test_a_new_report_gets_a_ticket_and_a_first_event(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah)
    assert re.fullmatch(r"JKT-\d{4}-\d{5}", report.ticket)
    local = report.created_at.astimezone(config.city.tz)
    assert report.ticket.startswith(f"JKT-{local:%y%m}-")
    assert report.status == "menunggu"
    assert [(e.from_status, e.to_status, e.unit.code) for e in report.events] == [(None, "menunggu", report.assigned_unit.code)]
    assert len(report.public_token) >= 32


def test_tickets_count_up_within_a_month(units_db, config, wilayah):
    numbers = [int(new_report(units_db, config, wilayah).ticket[-5:]) for _ in range(3)]
    assert numbers == [1, 2, 3]


TRANSITION_IDS = [f"{a}->{b}" for a, b in TRANSITIONS]


@pytest.mark.parametrize(("current", "target"), list(TRANSITIONS), ids=TRANSITION_IDS)
def test_every_allowed_move_writes_status_and_event_together(units_db, config, wilayah, current, target):
    original = new_report(units_db, config, wilayah)
    report = new_report(units_db, config, wilayah)
    bring_to(units_db, config, report.ticket, current, original_ticket=original.ticket)
    before = count_events(units_db, report.id)
    moved = move(units_db, config, report.ticket, target, original_ticket=original.ticket)
    assert moved.status == target
    assert count_events(units_db, report.id) == before + 1
    last = moved.events[-1]
    assert (last.from_status, last.to_status) == (current, target)
    assert (moved.closed_at is not None) == (target in lifecycle.CLOSED_STATUSES)
    assert (moved.duplicate_of_id == original.id) == (target == lifecycle.DUPLIKAT)


@pytest.mark.parametrize(
    ("current", "target"),
    [("menunggu", "selesai"), ("menunggu", "verifikasi"), ("selesai", "ditangani"), ("ditolak", "selesai"), ("disposisi", "menunggu")],
)
def test_an_illegal_move_is_refused_and_changes_nothing(units_db, config, wilayah, current, target):
    report = new_report(units_db, config, wilayah)
    bring_to(units_db, config, report.ticket, current)
    before = count_events(units_db, report.id)
    with pytest.raises(TransitionError, match=f"cannot go from {current} to {target}"):
        transition_report(units_db, report.ticket, target, Actor("admin"), note="x")
    assert get_report(units_db, report.ticket).status == current
    assert count_events(units_db, report.id) == before


def test_done_needs_proof_then_a_verifier(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah)
    transition_report(units_db, report.ticket, "ditangani", OFFICER)
    with pytest.raises(TransitionError, match="proof photo"):
        transition_report(units_db, report.ticket, "verifikasi", OFFICER)
    photo = proof_photo(units_db, config, report.ticket)
    waiting = transition_report(units_db, report.ticket, "verifikasi", OFFICER, proof_attachment_id=photo.id)
    assert waiting.events[-1].proof_attachment.sha256 == photo.sha256
    with pytest.raises(TransitionError, match="only be done by: verifier"):
        transition_report(units_db, report.ticket, "selesai", OFFICER)
    done = transition_report(units_db, report.ticket, "selesai", VERIFIER, note="Jalan sudah ditambal")
    assert done.status == "selesai" and done.closed_at is not None


def test_a_proof_photo_of_another_report_is_refused(units_db, config, wilayah):
    first, second = new_report(units_db, config, wilayah), new_report(units_db, config, wilayah)
    photo = proof_photo(units_db, config, first.ticket)
    transition_report(units_db, second.ticket, "ditangani", OFFICER)
    with pytest.raises(TransitionError, match="belongs to another report"):
        transition_report(units_db, second.ticket, "verifikasi", OFFICER, proof_attachment_id=photo.id)


def test_duplicates_point_at_the_root_report(units_db, config, wilayah):
    root, middle, last = (new_report(units_db, config, wilayah) for _ in range(3))
    transition_report(units_db, middle.ticket, "duplikat", Actor("triage"), duplicate_of_ticket=root.ticket)
    merged = transition_report(units_db, last.ticket, "duplikat", Actor("triage"), duplicate_of_ticket=middle.ticket)
    assert merged.duplicate_of_id == root.id
    with pytest.raises(TransitionError, match="cannot duplicate itself"):
        transition_report(units_db, root.ticket, "duplikat", Actor("triage"), duplicate_of_ticket=root.ticket)
    with pytest.raises(NotFound):
        transition_report(units_db, root.ticket, "duplikat", Actor("triage"), duplicate_of_ticket="JKT-0000-99999")
    reopened = transition_report(units_db, last.ticket, "menunggu", Actor("triage"), note="bukan duplikat")
    assert reopened.duplicate_of_id is None


def test_reassigning_keeps_the_status_and_records_why(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah)
    moved = reassign_report(units_db, report.ticket, "31.71.01.1002", Actor("triage", "t1"), "lokasi di kelurahan sebelah")
    assert moved.status == "menunggu" and moved.assigned_unit.code == "31.71.01.1002"
    last = moved.events[-1]
    assert (last.from_status, last.to_status, last.note, last.note_public) == (
        "menunggu", "menunggu", "lokasi di kelurahan sebelah", False
    )
    with pytest.raises(TransitionError, match="needs a reason"):
        reassign_report(units_db, report.ticket, "31.71.01.1001", Actor("triage"), " ")
    with pytest.raises(NotFound, match="unit NOPE not found"):
        reassign_report(units_db, report.ticket, "NOPE", Actor("triage"), "x")


def test_ratings_only_for_finished_reports_from_1_to_5(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah)
    with pytest.raises(RatingError, match="only a finished"):
        rate_report(units_db, report.ticket, 5)
    bring_to(units_db, config, report.ticket, "selesai")
    for wrong in (0, 6, 2.5, True):
        with pytest.raises(RatingError, match="1 to 5"):
            rate_report(units_db, report.ticket, wrong)
    rate_report(units_db, report.ticket, 2, "lama sekali")
    again = rate_report(units_db, report.ticket, 4, "sudah baik")
    assert (again.score, again.comment) == (4, "sudah baik")


def test_unknown_ticket_is_not_found(units_db):
    with pytest.raises(NotFound, match="JKT-2611-99999"):
        get_report(units_db, "JKT-2611-99999")


def test_a_priority_change_writes_the_report_its_event_and_the_audit_entry_together(units_db, config, wilayah):
    from datetime import timedelta

    from store.audit import search_audit
    from store.models import AuditLog
    from store.reports import Reprioritization, reprioritize_report

    report = new_report(units_db, config, wilayah)  # a road at Monas: Kelurahan Gambir, normal
    due = report.created_at + timedelta(minutes=15)
    triage = Actor("triage", "console:tim.triase")
    raised = reprioritize_report(units_db, report.ticket, Reprioritization("darurat", due, "DINAS-GULKARMAT"), triage,
                                 "Prioritas diubah: Biasa → Darurat. Alasan: ada korban", "ada korban")
    assert (raised.priority, raised.sla_due_at, raised.assigned_unit.code, raised.status) == (
        "darurat", due, "DINAS-GULKARMAT", "menunggu")
    event = raised.events[-1]
    assert (event.from_status, event.to_status, event.unit.code, event.actor_id) == ("menunggu", "menunggu", "DINAS-GULKARMAT",
                                                                                   "console:tim.triase")
    assert event.note.endswith("ada korban") and not event.note_public
    [entry] = search_audit(units_db, action="priority_changed")
    assert (entry.actor_role, entry.actor_id, entry.target_type, entry.target_id, entry.reason) == (
        "triage", "console:tim.triase", "report", report.ticket, "ada korban")
    assert entry.detail["before"] == {"priority": "normal", "sla_due_at": report.sla_due_at.isoformat(), "unit": "31.71.01.1001"}
    assert entry.detail["after"] == {"priority": "darurat", "sla_due_at": due.isoformat(), "unit": "DINAS-GULKARMAT"}

    events = count_events(units_db, report.id)
    with pytest.raises(TransitionError, match="already darurat"):
        reprioritize_report(units_db, report.ticket, Reprioritization("darurat", due, None), triage, "x", "lagi")
    with pytest.raises(TransitionError, match="needs a reason"):
        reprioritize_report(units_db, report.ticket, Reprioritization("normal", due, None), triage, "x", "  ")
    with pytest.raises(ValueError, match="unknown priority"):
        reprioritize_report(units_db, report.ticket, Reprioritization("tinggi", due, None), triage, "x", "alasan")
    bring_to(units_db, config, report.ticket, lifecycle.DITOLAK)
    with pytest.raises(TransitionError, match="cannot be re-dispatched"):
        reprioritize_report(units_db, report.ticket, Reprioritization("normal", due, None), triage, "x", "alasan")
    assert count_events(units_db, report.id) == events + 1, "only the rejection: refused changes leave nothing"
    with units_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 1
    assert get_report(units_db, report.ticket).priority == "darurat"


def test_moving_an_emergency_hands_it_to_its_new_kelurahan_and_again_to_its_service(units_db, config, wilayah):
    from store.reports import Relocation, relocate_report

    fire = new_report(units_db, config, wilayah, category="kebakaran", where=None, description="kebakaran rumah")
    assert fire.assigned_unit.code == "DINAS-GULKARMAT" and [e.unit.code if e.unit else None for e in fire.events] == [
        None, "DINAS-GULKARMAT"], "not located yet: the service alone"
    place = Relocation(None, None, "kelurahan", None, "31.71.01.1001", "31.71.01", "31.71", "DINAS-GULKARMAT",
                       area_unit_code="31.71.01.1001", handover_note="Darurat: langsung diteruskan ke Gulkarmat")
    relocate_report(units_db, fire.ticket, place, Actor("citizen"), "Lokasi dari pelapor: Kel. Gambir")
    moved = get_report(units_db, fire.ticket)
    assert moved.assigned_unit.code == "DINAS-GULKARMAT" and moved.kelurahan_code == "31.71.01.1001"
    assert [(e.unit.code, e.note) for e in moved.events[2:]] == [
        ("31.71.01.1001", "Lokasi dari pelapor: Kel. Gambir"), ("DINAS-GULKARMAT", "Darurat: langsung diteruskan ke Gulkarmat")]
