"""What people do on a case: POST /console/cases/<ticket>/<action>, one route per action.

Each action is refused with 403 for a role it is not for, 404 for another unit's case, and with a flashed
reason (then a 303 back to the case) when the workflow or the input does not allow it. Every change is one
store transaction with the console user as actor."""

from __future__ import annotations

import re

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

from gateway.config import CategoryConfig
from gateway.console import blueprint
from gateway.console.access import actor, load_case, may_open
from gateway.console.auth import require
from gateway.console.case import allowed_actions
from gateway.console.i18n import labels, language, t
from gateway.dispatch import ON_BORDER, DispatchPlan, NamedPlace, plan_dispatch
from gateway.services import services
from gateway.workflow import escalate
from store import lifecycle
from store.attachments import AttachmentError, save_attachment
from store.models import Report
from store.outbox import queue_outbound
from store.reports import (
    PRIORITIES,
    NotFound,
    Recategorization,
    Relocation,
    Reprioritization,
    add_note,
    contacts_to_reply,
    get_report,
    reassign_report,
    recategorize_report,
    relocate_report,
    reprioritize_report,
    transition_report,
)
from store.types import utcnow

MAX_TEXT = 2000
REPLY_KEY = re.compile(r"^[\w-]{16,64}$")
HANDLERS: dict[str, object] = {}


class BadInput(ValueError):
    """Input the action cannot use; `key` names the label saying why."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values


def action(name: str, *roles: str):
    """Register `handler(report, form) -> label key of the success message` as POST /cases/<ticket>/<name>."""

    def register(handler):
        HANDLERS[name] = handler

        @require(*roles)
        def view(ticket: str):
            report = load_case(ticket)
            config = services().config
            category = config.category(report.category)
            if name not in allowed_actions(current_user.role, report, category.escalate_to if category else None):
                flash(t("case_refused", reason=t("case_err_not_now", status=config.statuses[report.status].label.get(language()))),
                      "error")
                return _back(report)
            try:
                flash(t(handler(report, request.form)), "ok")
            except BadInput as error:
                flash(t("case_refused", reason=t(error.key, **error.values)), "error")
            except (lifecycle.TransitionError, NotFound, AttachmentError) as error:
                flash(t("case_refused", reason=str(error)), "error")
            return _back(report)

        blueprint.add_url_rule(f"/cases/<ticket>/{name}", endpoint=f"case_{name}", view_func=view, methods=["POST"])
        return handler

    return register


@blueprint.before_request
def _photo_size_limit():
    """A proof photo may be as large as config allows for attachments (the app's default body limit is smaller).
    Runs before the CSRF check reads the form."""
    if request.endpoint == "console.case_proof":
        request.max_content_length = services().config.storage.max_attachment_bytes + 65_536


# -- triage and admin --------------------------------------------------------------------------------

FIXERS = ("triage", "admin")


@action("category", *FIXERS)
def fix_category(report: Report, form: ImmutableMultiDict) -> str:
    """A corrected category re-dispatches the report: its priority and SLA (from when it was made), and its
    unit when it was with the old category's service (see `_unit_after`)."""
    app = services()
    config = app.config
    new, old = config.category(form.get("category", "")), config.category(report.category)
    if new is None:
        raise BadInput("case_err_category")
    if new.code == report.category:
        raise BadInput("case_err_same_category")
    urgent = ((report.normalizer_evidence or {}).get("urgency") or {}).get("value") == "darurat"
    priority = ("darurat" if urgent else "normal") if old and old.priority == "darurat" else report.priority
    plan = plan_dispatch(config, app.wilayah, category=new.code, now=report.created_at, latitude=report.latitude,
                         longitude=report.longitude, priority=priority, named_place=_named_place(report))
    change = Recategorization(
        category=new.code, type=new.type, priority=plan.priority, sla_due_at=plan.sla_due_at,
        assigned_unit_code=_unit_after(report, old, new, plan), needs_review=bool(set(report.review_reasons or []) - {ON_BORDER}),
        **_handover(plan),
    )
    note = _stored("case_note_category", old=old.name.id if old else report.category, new=new.name.id)
    recategorize_report(app.db, report.ticket, change, actor(current_user.record), note)
    return "case_done_category"


@action("location", *FIXERS)
def fix_location(report: Report, form: ImmutableMultiDict) -> str:
    """A map pin (latitude/longitude) or a kelurahan: the report is dispatched again from there."""
    app = services()
    latitude, longitude = _coordinate(form.get("latitude"), -90, 90), _coordinate(form.get("longitude"), -180, 180)
    if latitude is not None and longitude is not None:
        named, precision = None, "point"
    else:
        area = app.wilayah.areas.get(form.get("kelurahan", ""))
        if area is None or area.level != "kelurahan":
            raise BadInput("case_err_location")
        latitude = longitude = None
        named, precision = NamedPlace(True, area.code, area.kecamatan_code, area.kota_code), "kelurahan"
    plan = plan_dispatch(app.config, app.wilayah, category=report.category, now=utcnow(), latitude=latitude,
                         longitude=longitude, priority=report.priority, keep_priority=True, named_place=named)
    place = Relocation(
        latitude, longitude, precision if not plan.outside_jurisdiction else "none", report.address_text,
        plan.kelurahan_code, plan.kecamatan_code, plan.kota_code, plan.unit_code, plan.outside_jurisdiction,
        plan.needs_review, plan.review_reasons, **_handover(plan),
    )
    kelurahan = app.wilayah.areas.get(plan.kelurahan_code or "")
    where = kelurahan.name if kelurahan else _stored("case_outside_jakarta")
    relocate_report(app.db, report.ticket, place, actor(current_user.record), _stored("case_note_location", place=where))
    return "case_done_location"


@action("priority", *FIXERS)
def change_priority(report: Report, form: ImmutableMultiDict) -> str:
    """Raise a missed emergency or lower a false one, with a reason (history and audit log). Raised: due
    `lifecycle.emergency_sla_minutes` from now (the city knows it is one only now) and handed at once to the
    category's emergency service, its area unit told too. Lowered: the category's SLA from when the report was
    made, and back to its area unit when it was with the emergency service only for being one."""
    app = services()
    config, priority = app.config, form.get("priority", "")
    if priority not in PRIORITIES:
        raise BadInput("case_err_priority")
    if priority == report.priority:
        raise BadInput("case_err_same_priority")
    reason = _text(form, "reason")
    category = config.category(report.category)
    if category is None:
        raise BadInput("case_err_category")
    raised = priority == "darurat"
    plan = plan_dispatch(config, app.wilayah, category=report.category, now=utcnow() if raised else report.created_at,
                         latitude=report.latitude, longitude=report.longitude, priority=priority, keep_priority=True,
                         named_place=_named_place(report))
    change = Reprioritization(priority, plan.sla_due_at, _unit_after(report, category, category, plan), **_handover(plan))
    note = _stored("case_note_priority", old=_stored(f"case_priority_{report.priority}"),
                   new=_stored(f"case_priority_{priority}"), reason=reason)
    reprioritize_report(app.db, report.ticket, change, actor(current_user.record), note, reason)
    return "case_done_priority"


@action("merge", *FIXERS)
def merge_duplicate(report: Report, form: ImmutableMultiDict) -> str:
    original = form.get("original", "").strip().upper()
    if not original:
        raise BadInput("case_err_original")
    transition_report(services().db, report.ticket, lifecycle.DUPLIKAT, actor(current_user.record),
                      duplicate_of_ticket=original, note=_text(form, "note", required=False))
    return "case_done_merge"


@action("reject", *FIXERS)
def reject(report: Report, form: ImmutableMultiDict) -> str:
    transition_report(services().db, report.ticket, lifecycle.DITOLAK, actor(current_user.record),
                      note=_text(form, "reason"), note_public=True)
    return "case_done_reject"


@action("reply", *FIXERS)
def reply_to_citizen(report: Report, form: ImmutableMultiDict) -> str:
    """Queue the reply to the report's followers (or its reporter) on their own channel, once per form."""
    app = services()
    config, text, key = app.config, _text(form, "text"), form.get("reply_key", "")
    if not REPLY_KEY.match(key):
        raise BadInput("case_err_reply_key")
    queued = reachable = 0
    with app.db.transaction() as session:
        for contact in contacts_to_reply(session, report):
            adapter = app.adapters.get(contact.channel)
            if adapter is not None and adapter.capabilities.public:
                continue  # public channels (X) carry no messages to one citizen
            reachable += 1
            language = contact.reporter.language if contact.reporter.language in ("id", "en") else "id"
            queued += queue_outbound(
                session, channel=contact.channel, recipient=contact.address, contact_id=contact.id, report_id=report.id,
                body=config.message("console_reply", language, ticket=report.ticket, text=text,
                                    link=config.tracking_link(report)),
                idempotency_key=f"console-reply:{report.id}:{key}:{contact.id}",
            )
    if not reachable:
        raise BadInput("case_err_no_contact")
    return "case_done_reply" if queued else "case_done_reply_again"


# -- officers of the case's unit ---------------------------------------------------------------------


@action("accept", "officer")
def accept(report: Report, form: ImmutableMultiDict) -> str:
    transition_report(services().db, report.ticket, lifecycle.DITANGANI, actor(current_user.record))
    return "case_done_accept"


@action("coordinate", "officer")
def coordinate(report: Report, form: ImmutableMultiDict) -> str:
    note = _text(form, "note", required=False) or _stored("case_note_coordinate", name=current_user.display_name)
    escalate(services().db, services().config, report.ticket, actor(current_user.record), note=note, note_public=False)
    return "case_done_coordinate"


@action("redispatch", "officer", *FIXERS)
def redispatch(report: Report, form: ImmutableMultiDict) -> str:
    app = services()
    unit = form.get("unit", "")
    known = {u.code for u in app.config.service_units} | {a.code for a in app.wilayah.of_level("kelurahan")}
    if unit not in known:
        raise BadInput("case_err_unit")
    if report.assigned_unit is not None and report.assigned_unit.code == unit:
        raise BadInput("case_err_same_unit")
    reassign_report(app.db, report.ticket, unit, actor(current_user.record), _text(form, "reason"))
    return "case_done_redispatch"


@action("note", "triage", "officer", "verifier", "admin")
def note(report: Report, form: ImmutableMultiDict) -> str:
    add_note(services().db, report.ticket, _text(form, "note"), actor(current_user.record), public=form.get("public") == "1")
    return "case_done_note"


@action("proof", "officer")
def proof(report: Report, form: ImmutableMultiDict) -> str:
    """The proof photo of the finished work: stored and the case moved to verifikasi (through ditangani when it
    was not accepted yet, as from Telegram) in one transaction; a refused file leaves nothing behind."""
    app = services()
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        raise BadInput("case_err_no_photo")
    data = upload.read()
    who = actor(current_user.record)
    with app.db.transaction() as session:
        photo = save_attachment(app.db, data, upload.mimetype or "", max_bytes=app.config.storage.max_attachment_bytes,
                                session=session)
        if get_report(session, report.ticket).status != lifecycle.DITANGANI:
            transition_report(session, report.ticket, lifecycle.DITANGANI, who)
        transition_report(session, report.ticket, lifecycle.VERIFIKASI, who, proof_attachment_id=photo.id,
                          note=_text(form, "note", required=False), note_public=False)
    return "case_done_proof"


# -- verifiers (Biro Pemerintahan) -------------------------------------------------------------------


@action("verify", "verifier")
def verify(report: Report, form: ImmutableMultiDict) -> str:
    transition_report(services().db, report.ticket, lifecycle.SELESAI, actor(current_user.record),
                      note=_text(form, "note", required=False), note_public=True)
    return "case_done_verify"


@action("sendback", "verifier")
def send_back(report: Report, form: ImmutableMultiDict) -> str:
    transition_report(services().db, report.ticket, lifecycle.DITANGANI, actor(current_user.record),
                      note=_text(form, "note"), note_public=False)
    return "case_done_sendback"


# -- helpers -----------------------------------------------------------------------------------------


def _back(report: Report):
    """Back to the case, or to the inbox when the user may no longer open it (re-dispatched elsewhere)."""
    try:
        fresh = get_report(services().db, report.ticket)
    except NotFound:
        fresh = None
    if fresh is not None and may_open(current_user.record, fresh):
        return redirect(url_for("console.case_page", ticket=report.ticket), 303)
    return redirect(url_for("console.inbox"), 303)


def _text(form: ImmutableMultiDict, field: str, required: bool = True) -> str | None:
    value = (form.get(field) or "").strip()
    if not value:
        if required:
            raise BadInput("case_err_text_needed")
        return None
    if len(value) > MAX_TEXT:
        raise BadInput("case_err_text_long", limit=MAX_TEXT)
    return value


def _coordinate(value: str | None, low: float, high: float) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        raise BadInput("case_err_location") from None
    if number is not None and not (low <= number <= high):  # also refuses nan
        raise BadInput("case_err_location")
    return number


def _unit_after(report: Report, old: CategoryConfig | None, new: CategoryConfig, plan: DispatchPlan) -> str | None:
    """Who has the report after its category or priority changed (`plan`: dispatch under the new ones)."""
    unit = report.assigned_unit
    if plan.to_emergency_service or unit is None:
        return plan.unit_code  # an emergency goes to its service at once; a report with nobody, where dispatch says
    if (old is not None and report.priority == "darurat" and report.status == lifecycle.MENUNGGU
            and unit.code == old.emergency_unit):
        return plan.unit_code  # with the service only for being an emergency, not taken up yet: back to its area
    if old is not None and unit.code == old.escalate_to:
        return new.escalate_to  # coordinated with the old category's service: the new one's takes over
    if unit.kind == "service":
        return unit.code
    return plan.unit_code or unit.code


def _handover(plan: DispatchPlan) -> dict:
    """An emergency's area unit and the hand-over's note, for the store's re-dispatching functions."""
    if not plan.to_emergency_service:
        return {}
    return {"area_unit_code": plan.area_unit_code, "handover_note": plan.handover_note}


def _named_place(report: Report) -> NamedPlace:
    if report.outside_jurisdiction:
        return NamedPlace(False)
    if report.kelurahan_code or report.kecamatan_code or report.kota_code:
        return NamedPlace(True, report.kelurahan_code, report.kecamatan_code, report.kota_code)
    return NamedPlace(None)


def _stored(key: str, **values) -> str:
    """A note written into the history: in Indonesian, the city's working language, whatever the UI shows."""
    return labels()[key]["id"].format(**values)
