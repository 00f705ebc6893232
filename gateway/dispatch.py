"""Where a new report goes and how long the city has (the SOP's first step), decided without I/O.

A report with a location goes to the kelurahan containing it. Without a location, or outside
DKI Jakarta, it is assigned to nobody and flagged for triage — never silently assigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.config import Config
from normalizer.wilayah import Wilayah

NO_LOCATION = "no_location"
IMPRECISE = "location_imprecise"
OUTSIDE_JAKARTA = "outside_jakarta"
ON_BORDER = "on_kelurahan_border"


@dataclass(frozen=True)
class NamedPlace:
    """A place the normalizer read from text (no coordinates): its codes, or outside Jakarta."""

    in_jakarta: bool | None
    kelurahan_code: str | None = None
    kecamatan_code: str | None = None
    kota_code: str | None = None


@dataclass(frozen=True)
class DispatchPlan:
    unit_code: str | None
    kelurahan_code: str | None
    kecamatan_code: str | None
    kota_code: str | None
    priority: str
    sla_due_at: datetime
    outside_jurisdiction: bool
    review_reasons: tuple[str, ...]

    @property
    def needs_review(self) -> bool:
        return bool(set(self.review_reasons) - {ON_BORDER})


def plan_dispatch(
    config: Config,
    wilayah: Wilayah,
    *,
    category: str,
    now: datetime,
    latitude: float | None = None,
    longitude: float | None = None,
    priority: str = "normal",
    named_place: NamedPlace | None = None,
) -> DispatchPlan:
    settings = config.category(category)
    if settings is None:
        raise ValueError(f"unknown category {category!r}")
    if settings.priority == "darurat":
        priority = "darurat"
    due = now + (
        timedelta(minutes=config.lifecycle.emergency_sla_minutes)
        if priority == "darurat"
        else timedelta(hours=settings.sla_hours)
    )
    if latitude is None or longitude is None:
        return _plan_from_name(named_place, priority, due)
    placement = wilayah.locate(latitude, longitude)
    if not placement.inside_jakarta:
        return DispatchPlan(None, None, None, None, priority, due, True, (OUTSIDE_JAKARTA,))
    kelurahan = placement.kelurahan
    return DispatchPlan(
        unit_code=kelurahan.code,
        kelurahan_code=kelurahan.code,
        kecamatan_code=kelurahan.kecamatan_code,
        kota_code=kelurahan.kota_code,
        priority=priority,
        sla_due_at=due,
        outside_jurisdiction=False,
        review_reasons=(ON_BORDER,) if placement.on_border else (),
    )


def _plan_from_name(place: NamedPlace | None, priority: str, due: datetime) -> DispatchPlan:
    if place is None or place.in_jakarta is None:
        return DispatchPlan(None, None, None, None, priority, due, False, (NO_LOCATION,))
    if place.in_jakarta is False:
        return DispatchPlan(None, None, None, None, priority, due, True, (OUTSIDE_JAKARTA,))
    if place.kelurahan_code:
        return DispatchPlan(place.kelurahan_code, place.kelurahan_code, place.kecamatan_code, place.kota_code, priority, due, False, ())
    return DispatchPlan(None, None, place.kecamatan_code, place.kota_code, priority, due, False, (IMPRECISE,))


def escalation_unit(config: Config, category: str) -> str:
    """The service that takes over when the kelurahan escalates (koordinasi)."""
    settings = config.category(category)
    if settings is None:
        raise ValueError(f"unknown category {category!r}")
    return settings.escalate_to
