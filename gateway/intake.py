"""Turning a submission from any channel into a dispatched report: one path for every channel."""

from __future__ import annotations

from dataclasses import dataclass

from geopy.geocoders.base import Geocoder
from sqlalchemy.orm import Session

from gateway.config import Config
from gateway.dispatch import NamedPlace, plan_dispatch
from normalizer import redact
from normalizer.clean import make_title
from normalizer.core import NormalizedReport, Normalizer
from normalizer.location import LocationResult
from store import Database
from store.reporters import Contact
from store.reports import Actor, NewReport, Report, create_report
from store.types import utcnow


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
    reporter_id: int | None = None  # the reporter of those contacts, when the caller already knows them (the worker)


def submit_report(
    db: Database | Session, config: Config, normalizer: Normalizer, submission: Submission, geocoder: Geocoder | None = None
) -> Report:
    """Normalize, dispatch and store a submission whose category is already known.

    Without coordinates the place comes from the address text, then the description; `geocoder`
    (the gazetteer with an online fallback, when configured) is asked last.
    """
    category = config.category(submission.category)
    if category is None:
        raise ValueError(f"unknown category {submission.category!r}")
    known_names = reporter_names(submission.reporter_contacts)
    normalized = normalizer.normalize(
        submission.description, submission.latitude, submission.longitude, known_names=known_names
    )
    location = normalized.location
    if submission.address_text and submission.latitude is None:
        from_address = normalizer.locate_text(submission.address_text)
        if from_address.in_jakarta is not None:
            location = from_address
        elif location.in_jakarta is None and geocoder is not None:
            location = _geocoded(geocoder, submission.address_text) or location
    point = _point(submission, location)
    priority = "darurat" if normalized.urgency == "darurat" else submission.priority
    plan = plan_dispatch(
        config,
        normalizer.locator.wilayah,
        category=category.code,
        now=utcnow(),
        latitude=point[0],
        longitude=point[1],
        priority=priority,
        named_place=NamedPlace(location.in_jakarta, location.kelurahan_code, location.kecamatan_code, location.kota_code),
    )
    description = normalized.description
    return create_report(
        db,
        NewReport(
            type=submission.type or category.type,
            category=category.code,
            title=make_title(description, category.name.id),
            description=description,
            original_text=submission.description,
            origin_channel=submission.origin_channel,
            sla_due_at=plan.sla_due_at,
            priority=plan.priority,
            latitude=point[0],
            longitude=point[1],
            location_precision=location.precision if location.in_jakarta is not False else "none",
            address_text=redact.redact(submission.address_text, known_names) if submission.address_text else location.address,
            media_url=submission.media_url,
            kelurahan_code=plan.kelurahan_code,
            kecamatan_code=plan.kecamatan_code,
            kota_code=plan.kota_code,
            assigned_unit_code=plan.unit_code,
            area_unit_code=plan.area_unit_code,
            handover_note=plan.handover_note,
            outside_jurisdiction=plan.outside_jurisdiction,
            needs_review=plan.needs_review,
            review_reasons=plan.review_reasons,
            confidential=submission.confidential,
            reporter_contacts=submission.reporter_contacts,
            reporter_id=submission.reporter_id,
            normalizer_confidence=min(normalized.category_confidence or 1.0, location.confidence or 1.0),
            normalizer_evidence=_evidence(normalized, location),
        ),
        ticket_prefix=config.city.ticket_prefix,
        timezone=config.city.tz,
        actor=submission.actor,
    )


def _point(submission: Submission, location: LocationResult) -> tuple[float | None, float | None]:
    """Given coordinates, or those of a landmark/street the text named; area centroids are no point."""
    if submission.latitude is not None and submission.longitude is not None:
        return submission.latitude, submission.longitude
    if location.precision in ("point", "landmark", "street") and location.in_jakarta:
        return location.lat, location.lon
    return None, None


def _geocoded(geocoder: Geocoder, address: str) -> LocationResult | None:
    found = geocoder.geocode(address, exactly_one=True)
    if found is None:
        return None
    raw = found.raw
    return LocationResult(
        lat=found.latitude, lon=found.longitude, precision="point" if raw.get("in_jakarta") else "none",
        in_jakarta=raw.get("in_jakarta"), kelurahan_code=raw.get("kelurahan_code"),
        kecamatan_code=raw.get("kecamatan_code"), kota_code=raw.get("kota_code"),
        evidence=[f"geocoded ({raw.get('source', 'geocoder')})"], confidence=0.6,
    )


def _evidence(normalized: NormalizedReport, location: LocationResult) -> dict:
    """What the normalizer saw, without the personal data it found (only its kinds)."""
    return {
        "category": {"value": normalized.category, "confidence": normalized.category_confidence,
                     "others": normalized.other_categories, "evidence": normalized.evidence.get("category", [])},
        "type": {"value": normalized.type, "confidence": normalized.type_confidence},
        "urgency": {"value": normalized.urgency, "evidence": normalized.evidence.get("urgency", [])},
        "location": {"precision": location.precision, "in_jakarta": location.in_jakarta,
                     "confidence": location.confidence, "evidence": location.evidence,
                     "rt": location.rt, "rw": location.rw},
        "pii_kinds": sorted({item["kind"] for item in normalized.pii}),
    }


def reporter_names(contacts: tuple[Contact, ...]) -> tuple[str, ...]:
    """The reporter's own name and its parts, to be redacted from what they wrote."""
    names = {c.name.strip() for c in contacts if c.name and c.name.strip()}
    return tuple(sorted(names | {part for name in names for part in name.split() if len(part) >= 3}))
