"""Where a new report goes and how long the city has (the SOP's first step), decided without I/O.

A report with a location goes to the kelurahan containing it. Without a location, or outside
DKI Jakarta, it is assigned to nobody and flagged for triage — never silently assigned.

An emergency (darurat) in Jakarta, or not yet located, is assigned at once to its category's emergency
service (`emergency_unit`: Gulkarmat for a fire, BPBD for a flood…), the unit that responds and whose
15-minute deadline it is; the kelurahan containing it (`area_unit_code`) is handed the case as well,
first, so both hear of it at once (gateway/cases.py forwards every hand-over).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from gateway.config import Config
from normalizer.wilayah import Wilayah

NO_LOCATION = "no_location"
IMPRECISE = "location_imprecise"
OUTSIDE_JAKARTA = "outside_jakarta"
ON_BORDER = "on_kelurahan_border"
# Written into the history (in Indonesian, the city's working language) when an emergency is handed to its service.
EMERGENCY_NOTE = "Darurat: langsung diteruskan ke {unit}"


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
    to_emergency_service: bool = False  # an emergency: unit_code is its category's emergency service
    area_unit_code: str | None = None  # …and this area unit (its kelurahan, else kecamatan) is handed the case too
    handover_note: str | None = None  # the internal note of the hand-over to the emergency service

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
    keep_priority: bool = False,
) -> DispatchPlan:
    """Where the report goes and when it is due. A category with `priority: darurat` makes every report an
    emergency, unless `keep_priority`: the report's priority was decided already (it is being moved, or triage
    set it by hand, e.g. lowered a false emergency)."""
    settings = config.category(category)
    if settings is None:
        raise ValueError(f"unknown category {category!r}")
    if settings.priority == "darurat" and not keep_priority:
        priority = "darurat"
    due = now + (
        timedelta(minutes=config.lifecycle.emergency_sla_minutes)
        if priority == "darurat"
        else timedelta(hours=settings.sla_hours)
    )
    plan = _plan_from_point(wilayah, latitude, longitude, priority, due) if latitude is not None and longitude is not None \
        else _plan_from_name(named_place, priority, due)
    if priority != "darurat" or plan.outside_jurisdiction:
        return plan  # the city's services do not answer outside Jakarta: triage points the citizen elsewhere
    service = settings.emergency_unit
    unit = config.service_unit(service)
    return replace(plan, unit_code=service, to_emergency_service=True, area_unit_code=plan.unit_code or plan.kecamatan_code,
                   handover_note=EMERGENCY_NOTE.format(unit=unit.name if unit else service))


def _plan_from_point(wilayah: Wilayah, latitude: float, longitude: float, priority: str, due: datetime) -> DispatchPlan:
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


def emergency_unit(config: Config, category: str) -> str:
    """The service an emergency of the category goes to at once."""
    settings = config.category(category)
    if settings is None:
        raise ValueError(f"unknown category {category!r}")
    return settings.emergency_unit


def escalation_unit(config: Config, category: str) -> str:
    """The service that takes over when the kelurahan escalates (koordinasi)."""
    settings = config.category(category)
    if settings is None:
        raise ValueError(f"unknown category {category!r}")
    return settings.escalate_to
