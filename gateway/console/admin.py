"""Admin pages: console users, units and their contact points, categories, the audit log, and the
audited reveal of a confidential reporter's identity (the only way anyone in the console sees it)."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from gateway.console import blueprint
from gateway.console.access import actor, load_case
from gateway.console.auth import require
from gateway.console.i18n import t
from gateway.services import services
from store.audit import audit_actions, search_audit
from store.categories import category_settings, save_category_setting
from store.reporters import RevealRefused, reveal_identity
from store.types import utcnow
from store.units import UnitError, get_unit, list_units, stored_contacts, update_unit_contacts
from store.users import ROLES, UserError, create_user, get_user, list_users, unlock_user, update_user

MIN_REASON_LENGTH = 10
AUDIT_PAGE = 50
UNIT_KINDS = ("kelurahan", "kecamatan", "kota", "service")


# ---- users ----

@blueprint.get("/admin/users")
@require("admin")
def admin_users():
    db = services().db
    return render_template("console/admin_users.html", users=list_users(db), roles=ROLES, now=utcnow(),
                           units=list_units(db, limit=1000))


@blueprint.post("/admin/users")
@require("admin")
def admin_create_user():
    form = request.form
    try:
        user = create_user(services().db, username=form.get("username", ""), password=form.get("password", ""),
                           role=form.get("role", ""), display_name=form.get("display_name") or None,
                           unit_code=form.get("unit_code", "").strip() or None, language=_language(form.get("language")))
    except UserError as error:
        flash(t("admin_user_refused", reason=str(error)), "error")
        return redirect(url_for("console.admin_users"))
    flash(t("admin_user_created", username=user.username), "ok")
    return redirect(url_for("console.admin_users"))


@blueprint.get("/admin/users/<int:user_id>")
@require("admin")
def admin_user(user_id: int):
    db = services().db
    user = get_user(db, user_id)
    if user is None:
        abort(404)
    return render_template("console/admin_user.html", user=user, roles=ROLES, now=utcnow(),
                           units=list_units(db, limit=1000), is_self=user.id == current_user.record.id)


@blueprint.post("/admin/users/<int:user_id>")
@require("admin")
def admin_update_user(user_id: int):
    form, action = request.form, request.form.get("action", "save")
    try:
        if action == "unlock":
            unlock_user(services().db, user_id)
        elif action == "password":
            update_user(services().db, user_id, password=form.get("password", ""))
        else:
            role, active = form.get("role") or None, form.get("active") == "on"
            if user_id == current_user.record.id and (role not in (None, "admin") or not active):
                raise UserError(t("admin_not_yourself"))
            update_user(services().db, user_id, role=role, unit_code=form.get("unit_code", "").strip() or None,
                        display_name=form.get("display_name"), active=active, language=_language(form.get("language")))
    except UserError as error:
        flash(t("admin_user_refused", reason=str(error)), "error")
        return redirect(url_for("console.admin_user", user_id=user_id))
    flash(t("admin_saved"), "ok")
    return redirect(url_for("console.admin_user", user_id=user_id))


def _language(value: str | None) -> str:
    return value if value in ("id", "en") else "id"


# ---- units and their contact points ----

@blueprint.get("/admin/units")
@require("admin")
def admin_units():
    text, kind = request.args.get("q", ""), request.args.get("kind", "")
    units = list_units(services().db, text=text, kind=kind if kind in UNIT_KINDS else None, limit=201)
    return render_template("console/admin_units.html", units=units[:200], more=len(units) > 200, q=text, kind=kind,
                           kinds=UNIT_KINDS)


@blueprint.get("/admin/units/<code>")
@require("admin")
def admin_unit(code: str):
    unit = get_unit(services().db, code)
    if unit is None:
        abort(404)
    return render_template("console/admin_unit.html", unit=unit, configured=services().config.contacts_of(code))


@blueprint.post("/admin/units/<code>")
@require("admin")
def admin_update_unit(code: str):
    form = request.form
    try:
        update_unit_contacts(services().db, code, telegram_chats=form.get("telegram_chats", "").splitlines(),
                             emails=form.get("emails", "").splitlines())
    except UnitError as error:
        flash(t("admin_unit_refused", reason=str(error)), "error")
    else:
        services().config.apply_stored_contacts(stored_contacts(services().db))  # this process at once; others by their job
        flash(t("admin_saved"), "ok")
    return redirect(url_for("console.admin_unit", code=code))


# ---- categories: config.yaml's, with the SLA and coordination unit an admin may change ----

@blueprint.get("/admin/categories")
@require("admin")
def admin_categories():
    config = services().config
    return render_template("console/admin_categories.html", categories=[config.category(c.code) for c in config.categories],
                           defaults={c.code: c for c in config.categories},
                           services_by_code={u.code: u.name for u in config.service_units})


@blueprint.post("/admin/categories/<code>")
@require("admin")
def admin_update_category(code: str):
    app_services = services()
    config = app_services.config
    current = config.category(code)
    if current is None:
        abort(404)
    try:
        sla_hours = float(request.form.get("sla_hours", "").replace(",", "."))
    except ValueError:
        sla_hours = -1.0
    escalate_to = request.form.get("escalate_to", "")
    if not 0.25 <= sla_hours <= 8760:
        flash(t("admin_category_refused", reason=t("admin_category_bad_sla")), "error")
    elif config.service_unit(escalate_to) is None:
        flash(t("admin_category_refused", reason=t("admin_category_bad_unit")), "error")
    else:
        save_category_setting(app_services.db, code, sla_hours=sla_hours, escalate_to=escalate_to,
                              actor=actor(current_user.record),
                              previous={"sla_hours": current.sla_hours, "escalate_to": current.escalate_to})
        config.apply_category_settings(category_settings(app_services.db))  # this process at once; others by their job
        flash(t("admin_saved"), "ok")
    return redirect(url_for("console.admin_categories") + f"#category-{code}", 303)


# ---- the audit log (read-only; the table itself refuses UPDATE and DELETE) ----

@blueprint.get("/admin/audit")
@require("admin")
def audit_log():
    db = services().db
    action, who = request.args.get("action", "").strip(), request.args.get("actor", "").strip()
    before = request.args.get("before", "")
    entries = search_audit(db, action=action or None, actor=who or None,
                           before_id=int(before) if before.isdigit() else None, limit=AUDIT_PAGE + 1)
    return render_template("console/audit.html", entries=entries[:AUDIT_PAGE], actions=audit_actions(db),
                           action=action, actor=who, older=entries[AUDIT_PAGE - 1].id if len(entries) > AUDIT_PAGE else None)


# ---- revealing a confidential reporter's identity ----

@blueprint.get("/cases/<ticket>/reveal")
@require("admin")
def reveal_form(ticket: str):
    report = load_case(ticket)
    return render_template("console/admin_reveal_form.html", report=report)


@blueprint.post("/cases/<ticket>/reveal")
@require("admin")
def reveal(ticket: str):
    report = load_case(ticket)
    reason = " ".join(request.form.get("reason", "").split())
    if len(reason) < MIN_REASON_LENGTH:
        return render_template("console/admin_reveal_form.html", report=report, status=400,
                               error=t("reveal_reason_needed", n=MIN_REASON_LENGTH)), 400
    who = actor(current_user.record)
    try:
        identity = reveal_identity(services().db, ticket, actor_role=who.role, actor_id=who.id, reason=reason)
    except RevealRefused as refused:
        status = 404 if refused.reason == "unknown" else 409
        return render_template("console/admin_reveal_form.html", report=report, status=status,
                               error=t("reveal_refused_" + refused.reason)), status
    response = make_response(render_template("console/admin_reveal.html", report=report, identity=identity, reason=reason))
    response.headers["Cache-Control"] = "no-store"
    return response


