"""Store objects → GeoReport v2 records. Nothing about the reporter is ever put in a record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.config import CategoryConfig, Config
from normalizer.wilayah import Wilayah
from store import lifecycle
from store.models import Report

CONFIDENTIAL_ATTRIBUTE = "rahasia"
CONFIDENTIAL_YES, CONFIDENTIAL_NO = "ya", "tidak"


def w3c(moment: datetime | None, config: Config) -> str | None:
    """W3C datetime in the city's zone, e.g. 2026-11-24T08:15:30+07:00."""
    return None if moment is None else moment.astimezone(config.city.tz).isoformat(timespec="seconds")


def service_record(category: CategoryConfig, language: str) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name.get(language),
        "description": category.description.get(language),
        "metadata": True,
        "type": "realtime",
        "keywords": category.group,
        "group": category.group,
    }


def service_definition(category: CategoryConfig, config: Config, language: str) -> dict[str, Any]:
    attribute = config.open311.confidential_attribute
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": CONFIDENTIAL_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": None,
                "order": 1,
                "description": attribute.description.get(language),
                "values": [
                    {"key": CONFIDENTIAL_YES, "name": attribute.confidential.get(language)},
                    {"key": CONFIDENTIAL_NO, "name": attribute.public.get(language)},
                ],
            }
        ],
    }


def request_record(report: Report, config: Config, wilayah: Wilayah, base_url: str, language: str) -> dict[str, Any]:
    category = config.category(report.category)
    unit = report.assigned_unit
    return {
        "service_request_id": report.ticket,
        "status": "closed" if report.status in lifecycle.CLOSED_STATUSES else "open",
        "status_notes": status_notes(report, config, language),
        "service_name": category.name.get(language) if category else report.category,
        "service_code": report.category,
        "description": report.description,
        "agency_responsible": unit.name if unit else None,
        "service_notice": None,
        "requested_datetime": w3c(report.created_at, config),
        "updated_datetime": w3c(report.updated_at, config),
        "expected_datetime": w3c(report.sla_due_at, config),
        "address": report.address_text or place_name(report, wilayah),
        "address_id": None,
        "zipcode": None,
        "lat": report.latitude,
        "long": report.longitude,
        "media_url": media_url(report, base_url),
    }


def place_name(report: Report, wilayah: Wilayah) -> str | None:
    """'Kel. Kebon Kelapa, Kec. Gambir, Kota Administrasi Jakarta Pusat' from the report's codes."""
    parts = []
    for prefix, code in (("Kel. ", report.kelurahan_code), ("Kec. ", report.kecamatan_code), ("", report.kota_code)):
        area = wilayah.areas.get(code or "")
        if area is not None:
            parts.append(prefix + area.name)
    return ", ".join(parts) or None


def status_notes(report: Report, config: Config, language: str) -> str:
    """The city's status label, with the latest public note written since the report reached that status
    (a closed request never shows a note from an earlier state)."""
    label = config.statuses[report.status].label.get(language)
    since = max((i for i, event in enumerate(report.events)
                 if event.to_status == report.status and event.from_status != event.to_status), default=0)
    public_notes = [event.note for event in report.events[since:] if event.note_public and event.note]
    return f"{label}: {public_notes[-1]}" if public_notes else label


def media_url(report: Report, base_url: str) -> str | None:
    """The proof photo when there is one (it is public by SOP), else the first photo."""
    proofs = [a for a in report.attachments if a.purpose == "proof"]
    photos = proofs or list(report.attachments)
    if photos:
        return f"{base_url}/media/{photos[-1 if proofs else 0].public_token}"
    return report.media_url
