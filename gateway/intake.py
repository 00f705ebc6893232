"""Turning a submission from any channel into a dispatched report: one path for every channel."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config import Config
from gateway.dispatch import plan_dispatch
from normalizer import redact
from normalizer.wilayah import Wilayah
from store import Database
from store.reporters import Contact
from store.reports import Actor, NewReport, Report, create_report
from store.types import utcnow

TITLE_LENGTH = 80


@dataclass(frozen=True)
class Submission:
    category: str
    description: str
    origin_channel: str
    actor: Actor
    type: str | None = None  # defaults to the category's type
    latitude: float | None = None
    longitude: float | None = None
    address_text: str | None = None
    media_url: str | None = None
    priority: str = "normal"
    confidential: bool = True
    reporter_contacts: tuple[Contact, ...] = ()


def submit_report(db: Database, config: Config, wilayah: Wilayah, submission: Submission) -> Report:
    category = config.category(submission.category)
    if category is None:
        raise ValueError(f"unknown category {submission.category!r}")
    plan = plan_dispatch(
        config,
        wilayah,
        category=category.code,
        now=utcnow(),
        latitude=submission.latitude,
        longitude=submission.longitude,
        priority=submission.priority,
    )
    known_names = _names(submission.reporter_contacts)
    description = redact.redact(submission.description.strip(), known_names)
    has_point = submission.latitude is not None and submission.longitude is not None
    return create_report(
        db,
        NewReport(
            type=submission.type or category.type,
            category=category.code,
            title=make_title(description) or category.name.id,
            description=description,
            original_text=submission.description,
            origin_channel=submission.origin_channel,
            sla_due_at=plan.sla_due_at,
            priority=plan.priority,
            latitude=submission.latitude,
            longitude=submission.longitude,
            location_precision="point" if has_point else "none",
            address_text=redact.redact(submission.address_text, known_names) if submission.address_text else None,
            media_url=submission.media_url,
            kelurahan_code=plan.kelurahan_code,
            kecamatan_code=plan.kecamatan_code,
            kota_code=plan.kota_code,
            assigned_unit_code=plan.unit_code,
            outside_jurisdiction=plan.outside_jurisdiction,
            needs_review=plan.needs_review,
            review_reasons=plan.review_reasons,
            confidential=submission.confidential,
            reporter_contacts=submission.reporter_contacts,
        ),
        ticket_prefix=config.city.ticket_prefix,
        timezone=config.city.tz,
        actor=submission.actor,
    )


def make_title(description: str) -> str:
    """The first sentence, cut at a word boundary."""
    first = description.strip().split("\n", 1)[0]
    for stop in (". ", "! ", "? "):
        first = first.split(stop, 1)[0]
    if len(first) <= TITLE_LENGTH:
        return first.rstrip(".!? ")
    return first[:TITLE_LENGTH].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _names(contacts: tuple[Contact, ...]) -> tuple[str, ...]:
    """The reporter's own name and its parts, to be redacted from what they wrote."""
    names = {c.name.strip() for c in contacts if c.name and c.name.strip()}
    return tuple(sorted(names | {part for name in names for part in name.split() if len(part) >= 3}))
