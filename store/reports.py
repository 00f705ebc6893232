"""Reports and their history: create, move through the workflow, rate, query.

Every change of status or unit writes a StatusEvent in the same transaction; the rules of which
moves are allowed live in `store.lifecycle`.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session, aliased, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from store import lifecycle
from store.audit import add_audit_entry
from store.db import Database, unit_of_work
from store.models import (
    Attachment,
    ContactIdentity,
    OutboundMessage,
    Rating,
    Report,
    Reporter,
    ReportFollower,
    StatusEvent,
    Unit,
)
from store.reporters import Contact, find_or_add_reporter
from store.tickets import next_ticket
from store.types import utcnow


class NotFound(LookupError):
    pass


class RatingError(ValueError):
    pass


@dataclass(frozen=True)
class Actor:
    role: str  # one of lifecycle.ROLES
    id: str | None = None


SYSTEM = Actor("system")


@dataclass(frozen=True)
class NewReport:
    """Everything decided before a report is written (by intake and dispatch)."""

    type: str
    category: str
    title: str
    description: str
    origin_channel: str
    sla_due_at: datetime
    original_text: str | None = None
    priority: str = "normal"
    latitude: float | None = None
    longitude: float | None = None
    location_precision: str = "none"
    address_text: str | None = None
    media_url: str | None = None
    kelurahan_code: str | None = None
    kecamatan_code: str | None = None
    kota_code: str | None = None
    assigned_unit_code: str | None = None
    outside_jurisdiction: bool = False
    needs_review: bool = False
    review_reasons: tuple[str, ...] = ()
    confidential: bool = True
    reporter_contacts: tuple[Contact, ...] = ()
    reporter_id: int | None = None  # the reporter owning `reporter_contacts`, when known: not looked up again
    normalizer_confidence: float | None = None
    normalizer_evidence: dict[str, Any] | None = None
    note: str | None = None
    # An emergency assigned to its service: the area unit handed the case first (None: not located yet), and the
    # internal note of the hand-over to the service.
    area_unit_code: str | None = None
    handover_note: str | None = None


def create_report(
    target: Database | Session, new: NewReport, *, ticket_prefix: str, timezone: ZoneInfo, actor: Actor = SYSTEM
) -> Report:
    """Write the report, its reporter (encrypted) and its first event, all or nothing
    (in the caller's transaction when given a session). With a `handover_note` (an emergency goes to its service),
    the first event hands it to its area unit (or nobody, when it has none yet) and a second, internal one with the
    note to the assigned unit: each unit is forwarded its case (gateway/cases.py)."""
    with unit_of_work(target) as session:
        now = utcnow()
        unit = _unit_by_code(session, new.assigned_unit_code)
        handover = new.handover_note is not None and new.area_unit_code != new.assigned_unit_code
        area = _unit_by_code(session, new.area_unit_code) if handover else None
        reporter_id = new.reporter_id
        if reporter_id is None and new.reporter_contacts:
            reporter_id = find_or_add_reporter(session, list(new.reporter_contacts)).id
        values = dict(
            ticket=next_ticket(session, ticket_prefix, now.astimezone(timezone)),
            public_token=secrets.token_urlsafe(24),
            type=new.type,
            category=new.category,
            title=new.title,
            description=new.description,
            original_text=new.original_text,
            status=lifecycle.MENUNGGU,
            priority=new.priority,
            latitude=new.latitude,
            longitude=new.longitude,
            location_precision=new.location_precision,
            address_text=new.address_text,
            media_url=new.media_url,
            kelurahan_code=new.kelurahan_code,
            kecamatan_code=new.kecamatan_code,
            kota_code=new.kota_code,
            outside_jurisdiction=new.outside_jurisdiction,
            needs_review=new.needs_review,
            review_reasons=list(new.review_reasons),
            assigned_unit_id=unit.id if unit is not None else None,
            confidential=new.confidential,
            origin_channel=new.origin_channel,
            reporter_id=reporter_id,
            duplicate_of_id=None,
            sla_due_at=new.sla_due_at,
            created_at=now,
            updated_at=now,
            closed_at=None,
            normalizer_confidence=new.normalizer_confidence,
            normalizer_evidence=new.normalizer_evidence,
        )
        # Core INSERTs, then the rows as ORM objects already persistent (no unit-of-work flush: about half the cost
        # of a report); a new report has no photos yet, and its history is the events written here.
        connection = session.connection()
        report = _persistent(session, Report(id=connection.execute(_ADD_REPORT, values).scalar_one(), **values))
        set_committed_value(report, "assigned_unit", unit)
        set_committed_value(report, "attachments", [])
        steps = [(None, area if handover else unit, actor, new.note, True)]
        if handover:
            steps.append((lifecycle.MENUNGGU, unit, SYSTEM, new.handover_note, False))
        events = []
        for from_status, event_unit, by, note, public in steps:
            row = dict(report_id=report.id, from_status=from_status, to_status=lifecycle.MENUNGGU,
                       unit_id=event_unit.id if event_unit is not None else None, actor_role=by.role, actor_id=by.id,
                       note=note, note_public=public, proof_attachment_id=None, created_at=now)
            event = _persistent(session, StatusEvent(id=connection.execute(_ADD_EVENT, row).scalar_one(), **row))
            for name, value in (("report", report), ("unit", event_unit), ("proof_attachment", None)):
                set_committed_value(event, name, value)
            events.append(event)
        set_committed_value(report, "events", events)
        return report


_ADD_REPORT = insert(Report.__table__).returning(Report.__table__.c.id)
_ADD_EVENT = insert(StatusEvent.__table__).returning(StatusEvent.__table__.c.id)


def _persistent(session: Session, instance):
    """A row just written with Core as its ORM object: persistent in the session, as if read back, nothing to flush."""
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def transition_report(
    store: Database | Session,
    ticket: str,
    target: str,
    actor: Actor,
    *,
    note: str | None = None,
    note_public: bool = True,
    unit_code: str | None = None,
    proof_attachment_id: int | None = None,
    duplicate_of_ticket: str | None = None,
) -> Report:
    """Move a report to `target` if the workflow allows it; raises TransitionError otherwise. In a
    transaction of its own, or the caller's when handed a Session."""
    with unit_of_work(store) as session:
        report = _locked(session, ticket)
        proof = session.get(Attachment, proof_attachment_id) if proof_attachment_id else None
        if proof is not None and proof.report_id not in (None, report.id):
            raise lifecycle.TransitionError("the proof photo belongs to another report")
        original = None
        if duplicate_of_ticket is not None:
            original = session.scalar(select(Report).where(Report.ticket == duplicate_of_ticket))
            if original is None:
                raise NotFound(f"report {duplicate_of_ticket} not found")
            if original.id == report.id:
                raise lifecycle.TransitionError("a report cannot duplicate itself")
            while original.duplicate_of_id is not None:  # always point at the root report
                original = session.get(Report, original.duplicate_of_id)
        lifecycle.check_transition(
            report.status,
            target,
            actor.role,
            has_proof_photo=proof is not None,
            note=note,
            duplicate_of=original.id if original else None,
        )
        unit = _unit_by_code(session, unit_code) if unit_code else report.assigned_unit
        now = utcnow()
        event = _event(report, report.status, target, unit, actor, note, note_public, now)
        if proof is not None:
            proof.report_id, proof.purpose = report.id, "proof"
            event.proof_attachment = proof
        session.add(event)
        report.status = target
        report.assigned_unit = unit
        report.updated_at = now
        report.closed_at = now if target in lifecycle.CLOSED_STATUSES else None
        report.duplicate_of_id = original.id if target == lifecycle.DUPLIKAT else None
        if target == lifecycle.MENUNGGU:
            report.needs_review = report.needs_review or report.assigned_unit is None
        session.flush()
        return get_report(session, ticket)


def reassign_report(db: Database, ticket: str, unit_code: str, actor: Actor, reason: str) -> Report:
    """Re-dispatch to another unit without changing the status; the reason is kept in the history."""
    if not reason.strip():
        raise lifecycle.TransitionError("re-dispatching needs a reason")
    with db.transaction() as session:
        report, unit, now = _redispatched(session, ticket, unit_code, actor, reason)
        report.assigned_unit = unit
        report.updated_at = now
        report.needs_review = False
    return get_report(db, ticket)


@dataclass(frozen=True)
class Relocation:
    """A report's new place and where dispatch sends it from there (decided by the caller, as for NewReport)."""

    latitude: float | None
    longitude: float | None
    location_precision: str
    address_text: str | None
    kelurahan_code: str | None
    kecamatan_code: str | None
    kota_code: str | None
    assigned_unit_code: str | None
    outside_jurisdiction: bool = False
    needs_review: bool = False
    review_reasons: tuple[str, ...] = ()
    area_unit_code: str | None = None  # an emergency: its area unit, handed the case too (see create_report)
    handover_note: str | None = None


def relocate_report(target: Database | Session, ticket: str, place: Relocation, actor: Actor, note: str) -> Report:
    """Give an open report the place its reporter sent later and re-dispatch it there, status unchanged;
    the history keeps the move with an internal note, as for a reassignment."""
    with unit_of_work(target) as session:
        report, unit, now = _redispatched(session, ticket, place.assigned_unit_code, actor, note, place.area_unit_code,
                                          place.handover_note)
        report.latitude, report.longitude = place.latitude, place.longitude
        report.location_precision, report.address_text = place.location_precision, place.address_text
        report.kelurahan_code, report.kecamatan_code, report.kota_code = place.kelurahan_code, place.kecamatan_code, place.kota_code
        report.outside_jurisdiction = place.outside_jurisdiction
        report.needs_review, report.review_reasons = place.needs_review, list(place.review_reasons)
        report.assigned_unit = unit
        report.updated_at = now
        session.flush()
        return report


def add_report_detail(target: Database | Session, ticket: str, detail: str, original_text: str, actor: Actor, note: str) -> Report:
    """What the reporter adds later: `detail` (already redacted) joins the description, their own words the
    (encrypted) original text; the history notes it internally, status and unit unchanged."""
    with unit_of_work(target) as session:
        report = _locked(session, ticket)
        now = utcnow()
        report.description = "\n".join(part for part in (report.description, detail) if part)
        report.original_text = "\n".join(part for part in (report.original_text, original_text) if part)
        session.add(_event(report, report.status, report.status, report.assigned_unit, actor, note, False, now))
        report.updated_at = now
        session.flush()
        return report


def add_citizen_comment(session: Session, ticket: str, comment: str, actor: Actor) -> Report:
    """A follow-up from a reporter (already redacted): an internal note in the history, for the unit
    handling it; status and unit unchanged."""
    report = _locked(session, ticket)
    session.add(_event(report, report.status, report.status, report.assigned_unit, actor, comment, False, utcnow()))
    report.updated_at = utcnow()
    session.flush()
    return report


def unit_changes(session: Session, after_event_id: int, late_since: datetime, limit: int = 200) -> list[StatusEvent]:
    """Events that handed a report to a unit: its first dispatch, or a unit other than the one before
    (re-dispatch, coordination). Read like `citizen_updates`: after the cursor, and late ones again."""
    earlier = aliased(StatusEvent)
    previous_unit = (
        select(earlier.unit_id).where(earlier.report_id == StatusEvent.report_id, earlier.id < StatusEvent.id)
        .order_by(earlier.id.desc()).limit(1).scalar_subquery()
    )
    handed = (StatusEvent.unit_id.is_not(None), StatusEvent.unit_id.is_distinct_from(previous_unit))
    return _events_past(session, handed, after_event_id, late_since, limit)


def open_reports_due_by(session: Session, when: datetime, limit: int = 500) -> list[Report]:
    """Reports still with their unit (open, not awaiting verification) due at or before `when`, soonest
    first — except those already escalated past their current due time (a `note_once` mark "sla:…"
    written after it), so the overdue backlog never crowds out new cases."""
    escalated = select(StatusEvent.id).where(
        StatusEvent.report_id == Report.id, StatusEvent.actor_id.like("sla:%"), StatusEvent.created_at >= Report.sla_due_at
    )
    return list(session.scalars(
        select(Report).where(Report.status.in_(lifecycle.OPEN_STATUSES - {lifecycle.VERIFIKASI}),
                             Report.assigned_unit_id.is_not(None), Report.sla_due_at <= when, ~escalated.exists())
        .order_by(Report.sla_due_at).limit(limit)
    ))


def note_once(session: Session, ticket: str, mark: str, note: str, at: datetime | None = None) -> bool:
    """An internal system note in a report's history, written once per `mark` (e.g. an escalation for
    one due time); False when it was written before. The report row is locked while checking."""
    report = _locked(session, ticket)
    if session.scalar(select(StatusEvent.id).where(StatusEvent.report_id == report.id, StatusEvent.actor_id == mark)):
        return False
    session.add(_event(report, report.status, report.status, report.assigned_unit, Actor("system", mark), note, False,
                       at or utcnow()))
    session.flush()
    return True


def unrated_followers(session: Session, closed_between: tuple[datetime, datetime], limit: int = 500) -> list[tuple[Report, ContactIdentity]]:
    """Finished reports closed in the window and the followers whose reporter has not rated them yet."""
    rated = select(Rating.id).where(Rating.report_id == Report.id, Rating.reporter_id == ContactIdentity.reporter_id)
    return list(session.execute(
        select(Report, ContactIdentity)
        .join(ReportFollower, ReportFollower.report_id == Report.id)
        .join(ContactIdentity, ContactIdentity.id == ReportFollower.contact_id)
        .where(Report.status == lifecycle.SELESAI, Report.closed_at.between(*closed_between),
               ContactIdentity.stopped_at.is_(None), ~rated.exists())
        .order_by(Report.closed_at).limit(limit)
    ))


def _events_past(session: Session, conditions, after_event_id: int, late_since: datetime, limit: int) -> list[StatusEvent]:
    """Events meeting `conditions`: those written since `late_since` up to the cursor, then up to `limit` after it."""
    late = select(StatusEvent).where(*conditions, StatusEvent.id <= after_event_id, StatusEvent.created_at >= late_since)
    new = select(StatusEvent).where(*conditions, StatusEvent.id > after_event_id).order_by(StatusEvent.id).limit(limit)
    return list(session.scalars(late.order_by(StatusEvent.id))) + list(session.scalars(new))


def newest_event_id(session: Session) -> int:
    return session.scalar(select(func.max(StatusEvent.id))) or 0


OFFICIAL_ROLES = ("officer", "triage", "verifier", "admin")


def citizen_updates(session: Session, after_event_id: int, late_since: datetime, limit: int = 200) -> list[StatusEvent]:
    """What followers are told: status changes, and public notes the city's staff wrote without changing the
    status, after `after_event_id` — and, again, those written since `late_since` (a transaction that committed
    late may have left a lower id behind the cursor; whoever tells citizens keys each message so seeing an
    event twice is harmless)."""
    changed = and_(StatusEvent.from_status.is_not(None), StatusEvent.from_status != StatusEvent.to_status)
    public_note = and_(StatusEvent.from_status == StatusEvent.to_status, StatusEvent.note_public.is_(True),
                       StatusEvent.note.is_not(None), StatusEvent.actor_role.in_(OFFICIAL_ROLES))
    return _events_past(session, (or_(changed, public_note),), after_event_id, late_since, limit)


def rate_report(
    target: Database | Session, ticket: str, score: int, comment: str | None = None, reporter_id: int | None = None
) -> Rating:
    """A citizen's 1–5 rating of a finished report (one per reporter)."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise RatingError("a rating is a whole number from 1 to 5")
    with unit_of_work(target) as session:
        report = _locked(session, ticket)
        if report.status != lifecycle.SELESAI:
            raise RatingError(f"only a finished (selesai) report can be rated; this one is {report.status}")
        same_reporter = Rating.reporter_id.is_(None) if reporter_id is None else Rating.reporter_id == reporter_id
        existing = session.scalar(select(Rating).where(Rating.report_id == report.id, same_reporter))
        if existing is not None:
            existing.score, existing.comment = score, comment
            return existing
        rating = Rating(report_id=report.id, reporter_id=reporter_id, score=score, comment=comment)
        session.add(rating)
        return rating


def original_of(session: Session, report: Report) -> Report | None:
    """The report a duplicate was merged into, if it was."""
    return session.get(Report, report.duplicate_of_id) if report.duplicate_of_id is not None else None


def get_report(target: Database | Session, ticket: str) -> Report:
    with unit_of_work(target) as session:
        report = session.scalar(_with_history(select(Report)).where(Report.ticket == ticket))
        if report is None:
            raise NotFound(f"report {ticket} not found")
        return report


@dataclass(frozen=True)
class ReportQuery:
    tickets: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    created_from: datetime | None = None
    created_to: datetime | None = None
    limit: int = 1000


def find_reports(db: Database, query: ReportQuery) -> list[Report]:
    """Reports matching every given filter, newest first."""
    statement = _with_history(select(Report))
    if query.tickets:
        statement = statement.where(Report.ticket.in_(query.tickets))
    if query.categories:
        statement = statement.where(Report.category.in_(query.categories))
    if query.statuses:
        statement = statement.where(Report.status.in_(query.statuses))
    if query.created_from is not None:
        statement = statement.where(Report.created_at >= query.created_from)
    if query.created_to is not None:
        statement = statement.where(Report.created_at <= query.created_to)
    statement = statement.order_by(Report.created_at.desc(), Report.id.desc()).limit(query.limit)
    with db.transaction() as session:
        return list(session.scalars(statement).unique())


def open_reports_near(
    target: Database | Session, category: str, latitude: float, longitude: float, radius_m: float, since: datetime, limit: int = 200
) -> list[Report]:
    """Open reports of a category created since `since` inside a box around the point (radius_m)."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(0.1, math.cos(math.radians(latitude))))
    statement = (
        select(Report)
        .where(
            Report.category == category,
            Report.status.in_(lifecycle.OPEN_STATUSES),
            Report.created_at >= since,
            Report.latitude.between(latitude - dlat, latitude + dlat),
            Report.longitude.between(longitude - dlon, longitude + dlon),
        )
        .order_by(Report.created_at.desc())
        .limit(limit)
    )
    with unit_of_work(target) as session:
        return list(session.scalars(statement))


def _event(report, from_status, to_status, unit, actor: Actor, note, note_public: bool, at: datetime) -> StatusEvent:
    return StatusEvent(
        report=report,
        from_status=from_status,
        to_status=to_status,
        unit=unit,
        actor_role=actor.role,
        actor_id=actor.id,
        note=note,
        note_public=note_public,
        created_at=at,
    )


def _with_history(statement):
    return statement.options(
        selectinload(Report.events).joinedload(StatusEvent.proof_attachment),
        selectinload(Report.attachments),
    )


def _redispatched(session: Session, ticket: str, unit_code: str | None, actor: Actor, note: str,
                  area_unit_code: str | None = None, handover_note: str | None = None):
    """Lock an open report and write the internal event of its move to `unit_code` (status unchanged). An
    emergency's area unit (`area_unit_code`), when it holds neither the report nor the emergency, is handed it
    first: it hears of the change too, and the emergency service after it."""
    report = _locked(session, ticket)
    if report.status in lifecycle.CLOSED_STATUSES:
        raise lifecycle.TransitionError(f"a {report.status} report cannot be re-dispatched")
    unit = _unit_by_code(session, unit_code)
    current = report.assigned_unit.code if report.assigned_unit is not None else None
    now = utcnow()
    if area_unit_code is not None and area_unit_code not in (unit_code, current):
        session.add(_event(report, report.status, report.status, _unit_by_code(session, area_unit_code), actor, note,
                           False, now))
        note = handover_note or note
    session.add(_event(report, report.status, report.status, unit, actor, note, False, now))
    return report, unit, now


def _locked(session: Session, ticket: str) -> Report:
    report = session.scalar(select(Report).where(Report.ticket == ticket).with_for_update(of=Report))
    if report is None:
        raise NotFound(f"report {ticket} not found")
    return report


def _unit_by_code(session: Session, code: str | None) -> Unit | None:
    """The unit, read once a transaction (a batch's reports go to the same few units)."""
    if code is None:
        return None
    units = session.info.setdefault("units_by_code", {})
    if code not in units:
        units[code] = session.scalar(select(Unit).where(Unit.code == code))
    if units[code] is None:
        raise NotFound(f"unit {code} not found")
    return units[code]


# -- the console's case page and actions -----------------------------------------------------------


@dataclass(frozen=True)
class Recategorization:
    """A report's corrected category and what dispatch decides from it (decided by the caller, as for NewReport)."""

    category: str
    type: str
    priority: str
    sla_due_at: datetime
    assigned_unit_code: str | None
    needs_review: bool
    area_unit_code: str | None = None  # an emergency: its area unit, handed the case too (see create_report)
    handover_note: str | None = None


def recategorize_report(target: Database | Session, ticket: str, change: Recategorization, actor: Actor, note: str) -> Report:
    """Correct an open report's category and re-dispatch it (unit, priority, SLA), status unchanged; the history
    keeps the change with an internal note. All in one transaction."""
    with unit_of_work(target) as session:
        report, unit, now = _redispatched(session, ticket, change.assigned_unit_code, actor, note, change.area_unit_code,
                                          change.handover_note)
        report.category, report.type, report.priority = change.category, change.type, change.priority
        report.sla_due_at, report.needs_review = change.sla_due_at, change.needs_review
        report.assigned_unit = unit
        report.updated_at = now
        session.flush()
        return get_report(session, ticket)


PRIORITIES = ("normal", "darurat")


@dataclass(frozen=True)
class Reprioritization:
    """A report's priority set by hand and what dispatch decides from it: its due time and unit (decided by the
    caller, as for NewReport)."""

    priority: str
    sla_due_at: datetime
    assigned_unit_code: str | None
    area_unit_code: str | None = None  # raised to an emergency: its area unit, handed the case too
    handover_note: str | None = None


def reprioritize_report(target: Database | Session, ticket: str, change: Reprioritization, actor: Actor, note: str,
                        reason: str) -> Report:
    """Raise or lower an open report's priority, with its due time and unit, status unchanged: the history keeps
    an internal note, the audit log the change with its reason and the values before and after. One transaction."""
    if change.priority not in PRIORITIES:
        raise ValueError(f"unknown priority {change.priority!r}; priorities are {', '.join(PRIORITIES)}")
    if not reason.strip():
        raise lifecycle.TransitionError("changing the priority needs a reason")
    with unit_of_work(target) as session:
        report = _locked(session, ticket)
        if report.priority == change.priority:
            raise lifecycle.TransitionError(f"the report is already {change.priority}")
        before = _priority_facts(report.priority, report.sla_due_at, report.assigned_unit)
        report, unit, now = _redispatched(session, ticket, change.assigned_unit_code, actor, note, change.area_unit_code,
                                          change.handover_note)
        report.priority, report.sla_due_at = change.priority, change.sla_due_at
        report.assigned_unit = unit
        report.updated_at = now
        add_audit_entry(session, actor_role=actor.role, actor_id=actor.id, action="priority_changed", target_type="report",
                        target_id=ticket, reason=reason.strip(),
                        detail={"before": before, "after": _priority_facts(change.priority, change.sla_due_at, unit)})
        session.flush()
        return get_report(session, ticket)


def _priority_facts(priority: str, due: datetime, unit: Unit | None) -> dict[str, Any]:
    return {"priority": priority, "sla_due_at": due.isoformat(), "unit": unit.code if unit is not None else None}


def add_note(target: Database | Session, ticket: str, note: str, actor: Actor, public: bool) -> Report:
    """A note in a report's history (public ones reach the tracking page and the citizen), status and unit unchanged."""
    if not note.strip():
        raise lifecycle.TransitionError("a note cannot be empty")
    with unit_of_work(target) as session:
        report = _locked(session, ticket)
        now = utcnow()
        session.add(_event(report, report.status, report.status, report.assigned_unit, actor, note.strip(), public, now))
        report.updated_at = now
        session.flush()
        return report


@dataclass(frozen=True)
class SentMessage:
    """A message to a citizen about a report, as the console may show it: never its recipient."""

    channel: str
    status: str
    body: str
    created_at: datetime
    sent_at: datetime | None


def messages_about(target: Database | Session, report_id: int) -> list[SentMessage]:
    """What the outbox holds for a report, oldest first, without recipients."""
    statement = (
        select(OutboundMessage.channel, OutboundMessage.status, OutboundMessage.body, OutboundMessage.created_at,
               OutboundMessage.sent_at)
        .where(OutboundMessage.report_id == report_id)
        .order_by(OutboundMessage.id)
    )
    with unit_of_work(target) as session:
        return [SentMessage(*row) for row in session.execute(statement)]


@dataclass(frozen=True)
class RelatedReport:
    ticket: str
    status: str
    title: str
    created_at: datetime


def duplicates_around(target: Database | Session, report: Report) -> tuple[RelatedReport | None, list[RelatedReport]]:
    """The report this one duplicates (if any), and the reports merged into this one."""
    columns = (Report.ticket, Report.status, Report.title, Report.created_at)
    with unit_of_work(target) as session:
        original = None
        if report.duplicate_of_id is not None:
            row = session.execute(select(*columns).where(Report.id == report.duplicate_of_id)).first()
            original = RelatedReport(*row) if row else None
        merged = [RelatedReport(*row) for row in session.execute(
            select(*columns).where(Report.duplicate_of_id == report.id).order_by(Report.created_at))]
        return original, merged


def contacts_to_reply(session: Session, report: Report) -> list[ContactIdentity]:
    """Who hears a reply about a report: its followers; without any, its reporter's contacts on the channel
    it came in on, else all of them. Never contacts that asked to stop."""
    followers = list(session.scalars(
        select(ContactIdentity).join(ReportFollower, ReportFollower.contact_id == ContactIdentity.id)
        .where(ReportFollower.report_id == report.id, ContactIdentity.stopped_at.is_(None)).order_by(ContactIdentity.id)
    ))
    if followers or report.reporter_id is None:
        return followers
    own = list(session.scalars(
        select(ContactIdentity).where(ContactIdentity.reporter_id == report.reporter_id, ContactIdentity.stopped_at.is_(None))
        .order_by(ContactIdentity.id)
    ))
    on_origin = [contact for contact in own if contact.channel == report.origin_channel]
    return on_origin or own


def reporter_name(target: Database | Session, report: Report) -> str | None:
    """The reporter's own name, only to redact it from texts shown in the console (never to show it)."""
    if report.reporter_id is None:
        return None
    with unit_of_work(target) as session:
        return session.scalar(select(Reporter.name).where(Reporter.id == report.reporter_id))
