"""The inbox: every report the user may see, newest first, with filters, SLA time left, paging and a
JSON twin (`inbox.json?after_id=`) that inbox.js polls so new reports appear without a reload."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from gateway.console import blueprint
from gateway.console.access import scoped
from gateway.console.auth import require
from gateway.console.i18n import labels, language, t
from gateway.services import services
from store import lifecycle
from store.models import Report
from store.search import ReportFilter, count_reports, search_reports
from store.types import utcnow

ROLES = ("triage", "officer", "verifier", "admin")
PAGE_SIZE = 50
LIVE_LIMIT = 50  # new rows one poll returns at most
CHANNELS = ("telegram", "sms", "email", "x", "chat", "open311")
PRIORITIES = ("normal", "darurat")
FILTER_KEYS = ("status", "category", "channel", "kota", "kecamatan", "kelurahan", "priority", "overdue", "review",
               "open", "q")


class BadFilter(ValueError):
    """A filter value the inbox does not know (a 400, not an empty list)."""


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's GET parameters, checked, as a store filter plus what the form shows back."""

    where: ReportFilter
    params: dict[str, list[str]]  # the filters as given (without page/after_id), for links and the live poll
    page: int

    @property
    def query_string(self) -> str:
        return urlencode(self.params, doseq=True)


def parse_query(args) -> InboxQuery:
    config, wilayah = services().config, services().wilayah
    statuses = tuple(dict.fromkeys(s for s in args.getlist("status") if s))
    _known("status", statuses, config.statuses)
    if args.get("open") == "1" and not statuses:
        statuses = tuple(s for s in lifecycle.STATUSES if s in lifecycle.OPEN_STATUSES)
    category = args.get("category") or None
    _known("category", (category,) if category else (), {c.code for c in config.categories})
    channel = args.get("channel") or None
    _known("channel", (channel,) if channel else (), CHANNELS)
    priority = args.get("priority") or None
    _known("priority", (priority,) if priority else (), PRIORITIES)
    areas = {}
    for level in ("kota", "kecamatan", "kelurahan"):
        code = args.get(level) or None
        area = wilayah.areas.get(code or "")
        if code and (area is None or area.level != level):
            raise BadFilter(level)
        areas[level] = code
    text = (args.get("q") or "").strip()[:200] or None
    where = ReportFilter(
        statuses=statuses, categories=(category,) if category else (), channels=(channel,) if channel else (),
        kota_code=areas["kota"], kecamatan_code=areas["kecamatan"], kelurahan_code=areas["kelurahan"],
        priority=priority, overdue=args.get("overdue") == "1", needs_review=True if args.get("review") == "1" else None,
        text=text, text_area_codes=_areas_named(text, wilayah),
    )
    params = {key: [v for v in args.getlist(key) if v] for key in FILTER_KEYS}
    page = args.get("page", "1")
    return InboxQuery(where, {k: v for k, v in params.items() if v}, int(page) if page.isdigit() and int(page) > 0 else 1)


def _areas_named(text: str | None, wilayah) -> tuple[str, ...]:
    """Codes of the areas whose name contains the searched text (a place search finds reports by area)."""
    if not text or len(text) < 3:
        return ()
    needle = text.casefold()
    return tuple(sorted(code for code, area in wilayah.areas.items() if needle in area.name.casefold()))


def has_label_key(key: str) -> bool:
    return key in labels()


def _known(name: str, values, known) -> None:
    for value in values:
        if value not in known:
            raise BadFilter(name)


# -- one row as every page and the JSON show it ----------------------------------------------------


def case_url(ticket: str) -> str:
    """The case page (built by its own module); a hand-made path until that endpoint exists."""
    try:
        return url_for("console.case_page", ticket=ticket)
    except BuildError:
        return "/console/cases/" + ticket


def row_of(report: Report, now: datetime) -> dict:
    """The display fields of one report: plain strings only (the page escapes them, inbox.js sets textContent)."""
    config, lang = services().config, language()
    category = config.category(report.category)
    status = config.statuses[report.status]
    sla_text, sla_class = sla_left(report, now)
    return {
        "id": report.id,
        "ticket": report.ticket,
        "url": case_url(report.ticket),
        "status": report.status,
        "status_label": status.label.get(lang),
        "status_colour": status.colour,
        "category": category.name.get(lang) if category else report.category,
        "title": report.title,
        "place": place_of(report),
        "unit": config.unit_name(report.assigned_unit, lang),
        "channel": t("channel_" + report.origin_channel) if has_label_key("channel_" + report.origin_channel)
        else report.origin_channel,
        "priority": report.priority,
        "priority_label": t("priority_" + report.priority),
        "needs_review": bool(report.needs_review),
        "review_reasons": review_reasons(report),
        "created": config.local_time(report.created_at),
        "sla": sla_text,
        "sla_class": sla_class,
    }


def place_of(report: Report) -> str:
    """'Gambir · Kec. Gambir · Jakarta Pusat' from the report's codes, else its (redacted) address text."""
    areas = services().wilayah.areas
    parts = []
    for prefix, code in (("", report.kelurahan_code), ("Kec. ", report.kecamatan_code), ("", report.kota_code)):
        area = areas.get(code or "")
        if area is not None:
            parts.append(prefix + area.name.removeprefix("Kota Administrasi "))
    return " · ".join(parts) or report.address_text or "—"


def review_reasons(report: Report) -> list[str]:
    """Why triage should look: the reasons intake/dispatch wrote, plus a low-confidence normalizer reading."""
    if not report.needs_review:
        return []
    reasons = list(dict.fromkeys(str(reason) for reason in report.review_reasons or ()))
    threshold = services().config.normalizer.category_confidence_threshold
    if report.normalizer_confidence is not None and report.normalizer_confidence < threshold:
        reasons.append("low_confidence")
    if report.assigned_unit is None and not reasons:
        reasons.append("unassigned")
    return [t("review_" + reason) if has_label_key("review_" + reason) else reason for reason in reasons]


def sla_left(report: Report, now: datetime) -> tuple[str, str]:
    """('sisa 3 j 20 m', 'sla-ok'), ('terlambat 2 j', 'sla-late'); nothing for a closed report."""
    if report.status in lifecycle.CLOSED_STATUSES or report.sla_due_at is None:
        return "", ""
    left = report.sla_due_at - now
    if left < timedelta(0):
        return t("sla_late", time=duration(-left)), "sla-late"
    soon = timedelta(minutes=services().config.cases.sla_reminder_minutes)
    return t("sla_left", time=duration(left)), "sla-soon" if left <= soon else "sla-ok"


def duration(span: timedelta) -> str:
    """The two largest units: '2 h 3 j', '3 j 20 m', '5 m' (Indonesian), '2 d 3 h', '5 min' (English)."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [("duration_days", days), ("duration_hours", hours)]
    elif hours:
        parts = [("duration_hours", hours), ("duration_minutes", minutes)]
    else:
        return t("duration_minutes", n=minutes)
    return " ".join(t(key, n=n) for key, n in parts if n)


# -- pages -----------------------------------------------------------------------------------------


@blueprint.get("/inbox")
@require(*ROLES)
def inbox():
    try:
        query = parse_query(request.args)
    except BadFilter as error:
        return render_template("console/error.html", status=400, message=t("inbox_bad_filter", name=str(error))), 400
    now, db = utcnow(), services().db
    where = scoped(query.where, current_user.record)
    total = count_reports(db, where, now=now)
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    page = min(query.page, pages)
    reports = search_reports(db, where, now=now, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "console/inbox.html", rows=[row_of(r, now) for r in reports], total=total, page=page, pages=pages,
        query=query, latest_id=max((r.id for r in reports), default=0), choices=filter_choices(query),
        page_link=lambda number: url_for("console.inbox") + "?" + urlencode({**query.params, "page": [number]}, doseq=True),
        views=_views(),
    )


@blueprint.get("/inbox.json")
@require(*ROLES)
def inbox_json():
    """Reports newer than `after_id` matching the same filters, in the user's scope; and the new total."""
    try:
        query = parse_query(request.args)
    except BadFilter as error:
        return {"error": {"status": 400, "message": f"unknown filter value: {error}"}}, 400
    after = request.args.get("after_id", "0")
    if not after.isdigit():
        return {"error": {"status": 400, "message": "after_id must be a number"}}, 400
    now, db = utcnow(), services().db
    where = scoped(query.where, current_user.record)
    reports = search_reports(db, replace(where, after_id=int(after)), now=now, limit=LIVE_LIMIT)
    total = count_reports(db, where, now=now)
    return {
        "rows": [row_of(r, now) for r in reports],
        "total": total,
        "total_label": t("inbox_total", count=total),
        "latest_id": max([r.id for r in reports] + [int(after)]),
    }


def _views() -> list[tuple[str, str]]:
    """The quick links: (label, query string)."""
    return [
        (t("view_all"), ""),
        (t("view_open"), "open=1"),
        (t("view_review"), "review=1&open=1"),
        (t("view_overdue"), "overdue=1"),
        (t("view_emergency"), "priority=darurat&open=1"),
    ]


def filter_choices(query: InboxQuery) -> dict:
    """Options of the filter form's selects."""
    config, wilayah, lang = services().config, services().wilayah, language()
    return {
        "statuses": [(code, config.statuses[code].label.get(lang)) for code in lifecycle.STATUSES],
        "categories": sorted(((c.code, c.name.get(lang)) for c in config.categories), key=lambda c: c[1]),
        "channels": [(code, t("channel_" + code)) for code in CHANNELS],
        "priorities": [(code, t("priority_" + code)) for code in PRIORITIES],
        "kota": wilayah.of_level("kota"),
        "kecamatan": sorted(wilayah.of_level("kecamatan"), key=lambda a: a.name),
        "kelurahan": sorted(wilayah.of_level("kelurahan"), key=lambda a: a.name),
    }
