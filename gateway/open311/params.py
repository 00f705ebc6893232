"""Validation of GeoReport v2 parameters. Every problem becomes a 400 that says which field and why."""

from __future__ import annotations

import math
import re
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from werkzeug.datastructures import MultiDict

from gateway.config import Config
from gateway.intake import Submission
from gateway.open311.formats import Open311Error
from gateway.open311.records import CONFIDENTIAL_ATTRIBUTE, CONFIDENTIAL_NO, CONFIDENTIAL_YES
from store.lifecycle import CLOSED_STATUSES, OPEN_STATUSES
from store.reporters import Contact
from store.reports import Actor, ReportQuery
from store.types import utcnow

MAX_DESCRIPTION = 4000
MAX_IDS = 1000
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{5,22}$")
_TRUE = {CONFIDENTIAL_YES, "true", "1", "yes"}
_FALSE = {CONFIDENTIAL_NO, "false", "0", "no"}
_ATTRIBUTE = re.compile(r"^attribute\[(.+)\]$")


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


def parse_submission(form: MultiDict, config: Config, actor: Actor) -> Submission:
    """POST requests: form fields → a Submission, or Open311Error(400)."""
    code = _text(form, "service_code", 40)
    if not code:
        raise bad("service_code is required")
    if config.category(code) is None:
        raise bad(f"service_code {code!r} not found; GET services for the list")
    latitude, longitude = _coordinates(form)
    address = _text(form, "address_string", 500)
    if latitude is None and not address:
        if form.get("address_id"):
            raise bad("address_id is not supported here; send lat and long, or address_string")
        raise bad("a location is required: lat and long, or address_string")
    description = _text(form, "description", MAX_DESCRIPTION, strip=False) or ""
    return Submission(
        category=code,
        description=description,
        origin_channel="open311",
        actor=actor,
        latitude=latitude,
        longitude=longitude,
        address_text=address,
        media_url=_media_url(form),
        confidential=_confidential(form, code),
        reporter_contacts=_contacts(form),
    )


def parse_query(args: MultiDict, config: Config) -> ReportQuery:
    """GET requests: the standard filters → a ReportQuery, or Open311Error(400)."""
    limit = config.open311.max_results
    if "status" in args and not _list(args, "status"):
        raise bad("status must be open or closed (or left out), not empty")
    statuses = _statuses(_list(args, "status"))
    start = _date(args, "start_date", config)  # malformed filters are refused even where ids make them moot
    end = _date(args, "end_date", config)
    ids = _list(args, "service_request_id")
    if ids:  # the spec: with ids, every other filter is ignored
        if len(ids) > MAX_IDS:
            raise bad(f"at most {MAX_IDS} service_request_id values at once")
        return ReportQuery(tickets=tuple(ids), limit=limit)
    codes = _list(args, "service_code")
    for code in codes:
        if config.category(code) is None:
            raise bad(f"service_code {code!r} not found")
    window = timedelta(days=config.open311.default_window_days)
    if start is None and end is None:
        end = utcnow()
        start = end - window
    elif start is None:
        start = end - window
    elif end is None:
        end = start + window
    if end < start:
        raise bad("end_date is before start_date")
    if end - start > window:
        raise bad(f"start_date and end_date may not span more than {window.days} days")
    return ReportQuery(categories=tuple(codes), statuses=statuses, created_from=start, created_to=end, limit=limit)


def _statuses(values: list[str]) -> tuple[str, ...]:
    chosen: set[str] = set()
    for value in values:
        if value == "open":
            chosen |= OPEN_STATUSES
        elif value == "closed":
            chosen |= CLOSED_STATUSES
        else:
            raise bad(f"status must be open or closed, not {value!r}")
    return tuple(sorted(chosen))


def _text(form: MultiDict, key: str, limit: int, strip: bool = True) -> str | None:
    values = form.getlist(key)
    if len(values) > 1:
        raise bad(f"{key} was given {len(values)} times")
    if not values:
        return None
    value = values[0]
    if "\x00" in value:
        raise bad(f"{key} contains a NUL character")
    if len(value) > limit:
        raise bad(f"{key} is longer than {limit} characters")
    value = value.strip() if strip else value
    return value or None


def _list(args: MultiDict, key: str) -> list[str]:
    values = args.getlist(key)
    if any("\x00" in value for value in values):
        raise bad(f"{key} contains a NUL character")
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _coordinates(form: MultiDict) -> tuple[float | None, float | None]:
    raw_lat, raw_lon = _text(form, "lat", 40), _text(form, "long", 40)
    if raw_lat is None and raw_lon is None:
        return None, None
    if raw_lat is None or raw_lon is None:
        raise bad("lat and long must be given together")
    latitude, longitude = _number("lat", raw_lat, 90), _number("long", raw_lon, 180)
    return latitude, longitude


def _number(key: str, raw: str, bound: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise bad(f"{key} must be a decimal number in WGS84 degrees, not {raw[:40]!r}") from None
    if not math.isfinite(value) or not -bound <= value <= bound:
        raise bad(f"{key} must be between -{bound:g} and {bound:g}")
    return value


def _date(args: MultiDict, key: str, config: Config) -> datetime | None:
    if key not in args:
        return None
    raw = args.get(key, "").strip()
    if not raw:
        raise bad(f"{key} is empty: give a W3C datetime such as 2026-11-24T08:00:00+07:00, or leave it out")
    try:
        if len(raw) == 10:  # a date alone: midnight in the city
            return datetime.combine(datetime.fromisoformat(raw).date(), time(), config.city.tz)
        value = datetime.fromisoformat(raw.replace(" ", "+"))  # '+' often arrives decoded as a space
    except ValueError:
        raise bad(f"{key} must be a W3C datetime such as 2026-11-24T08:00:00+07:00") from None
    if value.tzinfo is None:
        raise bad(f"{key} must include a time zone (Z or +07:00)")
    return value


def _media_url(form: MultiDict) -> str | None:
    url = _text(form, "media_url", 500)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise bad("media_url must be an http or https URL")
    return url


def _confidential(form: MultiDict, code: str) -> bool:
    for key in form:
        match = _ATTRIBUTE.match(key)
        if match and match.group(1) != CONFIDENTIAL_ATTRIBUTE:
            raise bad(f"{key} is not an attribute of service {code}")
    value = (_text(form, f"attribute[{CONFIDENTIAL_ATTRIBUTE}]", 10) or CONFIDENTIAL_YES).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise bad(f"attribute[{CONFIDENTIAL_ATTRIBUTE}] must be {CONFIDENTIAL_YES} or {CONFIDENTIAL_NO}")


def _contacts(form: MultiDict) -> tuple[Contact, ...]:
    names = [_text(form, "first_name", 100), _text(form, "last_name", 100)]
    name = " ".join(n for n in names if n) or None
    contacts = []
    email = _text(form, "email", 254)
    if email:
        if not EMAIL.match(email):
            raise bad("email is not a valid e-mail address")
        contacts.append(Contact("email", email.lower(), name))
    phone = _text(form, "phone", 30)
    if phone:
        if not PHONE.match(phone):
            raise bad("phone is not a valid phone number")
        contacts.append(Contact("sms", normalise_phone(phone), name))
    return tuple(contacts)


def normalise_phone(phone: str) -> str:
    """E.164 for Indonesian numbers: 0812… and 62812… become +62812…."""
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("0"):
        return "+62" + digits[1:]
    if digits.startswith("62"):
        return "+" + digits
    return digits
