"""Reporting: what a citizen's conversation decided for the store (create a report, follow one, add to an
emergency, comment, rate), carried out in the worker's transaction, and what to say about it. Also what the
conversation may ask of the store (a likely duplicate, a report's status)."""

from __future__ import annotations

from geopy.geocoders.base import Geocoder
from sqlalchemy.orm import Session

from gateway.conversation import POINT_PRECISIONS, Addition, Comment, Draft, Outcome, Rating, Reply, State, StatusInfo
from gateway.dispatch import NamedPlace, plan_dispatch
from gateway.duplicates import likely_duplicates
from gateway.intake import Submission, reporter_names, submit_report
from gateway.services import Services
from normalizer import redact
from store import lifecycle
from store.attachments import attach_to_report
from store.conversations import add_follower, follow_report
from store.models import Report
from store.reporters import Contact, Sender
from store.reports import (
    Actor,
    NotFound,
    RatingError,
    Relocation,
    add_citizen_comment,
    add_report_detail,
    get_report,
    rate_report,
    relocate_report,
)
from store.types import utcnow

CITIZEN = Actor("citizen")
DETAIL_NOTE = "Keterangan tambahan dari pelapor"  # internal notes in a report's history, for officers
LOCATION_NOTE = "Lokasi dari pelapor: {place}"


class Reporting:
    def __init__(self, services: Services):
        self.services = services

    def carry_out(self, session: Session, outcome: Outcome, contact: Contact, sender: Sender, state: State,
                   geocoder: Geocoder | None) -> list[Reply]:
        """What the conversation decided for the store (create, follow, add to a report), and what to say about it."""
        replies = []
        if outcome.create is not None:
            replies.append(self._create(session, outcome, contact, sender, state, geocoder))
        if outcome.follow is not None:
            report = follow_report(session, outcome.follow, sender.id)
            if report is not None:
                state.last_ticket = report.ticket
                replies.append(Reply(self.services.config.message(
                    "subscribed", state.language, ticket=report.ticket, link=self.services.config.tracking_link(report))))
        if outcome.add is not None:
            replies.append(self._add_to_report(session, outcome.add, contact, state.language))
        if outcome.comment is not None:
            replies.append(self._comment(session, outcome.comment, contact, state.language))
        if outcome.rate is not None:
            replies.append(self._rate(session, outcome.rate, contact, sender, state.language))
        return replies

    def _comment(self, session: Session, comment: Comment, contact: Contact, language: str) -> Reply:
        """A follow-up about a followed report: redacted as intake does, an internal note for its unit."""
        text = self.services.normalizer.normalize(comment.text, known_names=reporter_names((contact,))).description
        report = add_citizen_comment(session, comment.ticket, text or "(foto)", CITIZEN)
        attach_to_report(session, list(comment.photos), report.id)
        config = self.services.config
        unit = config.unit_name(report.assigned_unit, language)
        return Reply(config.message("comment_added", language, ticket=report.ticket, unit=unit))

    def _rate(self, session: Session, rating: Rating, contact: Contact, sender: Sender, language: str) -> Reply:
        config = self.services.config
        comment = rating.comment and redact.redact(rating.comment, reporter_names((contact,)))  # no personal data kept
        try:
            rate_report(session, rating.ticket, rating.score, comment or None, reporter_id=sender.reporter_id)
        except RatingError:
            status = config.statuses[get_report(session, rating.ticket).status].label.get(language)
            return Reply(config.message("rating_refused", language, ticket=rating.ticket, status=status))
        return Reply(config.message("rating_thanks", language, ticket=rating.ticket, score=rating.score))

    def _create(self, session: Session, outcome: Outcome, contact: Contact, sender: Sender, state: State,
                geocoder: Geocoder | None) -> Reply:
        services, draft = self.services, outcome.create
        report = submit_report(session, services.config, services.normalizer, _submission(draft, contact, sender), geocoder)
        attach_to_report(session, draft.photos, report.id)
        add_follower(session, report.id, sender.id)
        state.report_created(report.ticket)
        unit = services.config.unit_name(report.assigned_unit, state.language)
        return Reply(services.config.message(
            outcome.created_message, state.language, ticket=report.ticket, unit=unit, link=services.config.tracking_link(report),
            number=services.config.city.emergency_number,
        ))

    def _add_to_report(self, session: Session, addition: Addition, contact: Contact, language: str) -> Reply:
        """An emergency's details: a place re-dispatches the report, words join its description (redacted
        as intake does), photos are attached; one short confirmation names the ticket."""
        config, names = self.services.config, reporter_names((contact,))
        report = get_report(session, addition.ticket)
        key = "emergency_photo_added" if addition.photos else "emergency_detail_added"
        if addition.location is not None:
            report, key = self._relocate(session, report, addition, names), "emergency_located"
        if addition.text:
            detail = self.services.normalizer.normalize(addition.text, known_names=names).description
            add_report_detail(session, report.ticket, detail, addition.text, CITIZEN, DETAIL_NOTE)
        attach_to_report(session, list(addition.photos), report.id)
        unit = config.unit_name(report.assigned_unit, language)
        return Reply(config.message(key, language, ticket=report.ticket, place=report.address_text or "?", unit=unit))

    def _relocate(self, session: Session, report: Report, addition: Addition, names: tuple[str, ...]) -> Report:
        """Dispatch the report again from its new place (its SLA stays the one it was created with)."""
        services, location = self.services, addition.location
        latitude, longitude = (location.lat, location.lon) if location.precision in POINT_PRECISIONS else (None, None)
        plan = plan_dispatch(
            services.config, services.normalizer.locator.wilayah, category=report.category, now=utcnow(),
            latitude=latitude, longitude=longitude, priority=report.priority, keep_priority=True,
            named_place=NamedPlace(location.in_jakarta, location.kelurahan_code, location.kecamatan_code, location.kota_code),
        )
        address = redact.redact(addition.place, names) if addition.place else location.address
        place = Relocation(
            latitude, longitude, location.precision, address, plan.kelurahan_code, plan.kecamatan_code, plan.kota_code,
            plan.unit_code, plan.outside_jurisdiction, plan.needs_review, plan.review_reasons, plan.area_unit_code,
            plan.handover_note,
        )
        return relocate_report(session, report.ticket, place, CITIZEN, LOCATION_NOTE.format(place=address or "?"))

    def duplicate(self, session: Session, category: str, lat: float, lon: float, text: str, language: str):
        found = likely_duplicates(session, self.services.config, category=category, lat=lat, lon=lon,
                                  description=text, now=utcnow())
        if not found:
            return None
        report = get_report(session, found[0].ticket)
        return report.ticket, self.services.config.statuses[report.status].label.get(language)

    def status(self, session: Session, ticket: str, language: str) -> StatusInfo | None:
        config = self.services.config
        try:
            report = get_report(session, ticket)
        except NotFound:
            return None
        status = config.statuses[report.status]
        unit = config.unit_name(report.assigned_unit, language)
        due = config.local_time(report.sla_due_at)
        return StatusInfo(report.ticket, status.label.get(language), config.message(f"colour_{status.colour}", language), unit, due,
                          closed=report.status in lifecycle.CLOSED_STATUSES)


def _submission(draft: Draft, contact: Contact, sender: Sender) -> Submission:
    return Submission(
        category=draft.category or "lainnya",
        description=draft.description,
        origin_channel=contact.channel,
        actor=CITIZEN,
        latitude=draft.latitude,
        longitude=draft.longitude,
        address_text=draft.place,
        priority="darurat" if draft.urgency == "darurat" else "normal",
        confidential=True if draft.confidential is None else draft.confidential,
        reporter_contacts=(contact,),
        reporter_id=sender.reporter_id,
    )
