"""Who may see which report: officers only their own unit's cases; triage, verifiers and admins all."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from gateway.services import services
from store.models import ConsoleUser, Report
from store.reports import Actor, NotFound, get_report
from store.search import ReportFilter

SEES_ALL = frozenset({"triage", "verifier", "admin"})


def may_open(user: ConsoleUser, report: Report) -> bool:
    if user.role in SEES_ALL:
        return True
    return report.assigned_unit is not None and report.assigned_unit.code == user.unit_code


def scoped(where: ReportFilter, user: ConsoleUser) -> ReportFilter:
    """The filter narrowed to what this user may see."""
    return where if user.role in SEES_ALL else where.within_units((user.unit_code,))


def check_open(user: ConsoleUser, report: Report) -> None:
    """404, not 403, for another unit's case: the page does not even confirm the ticket exists."""
    if not may_open(user, report):
        abort(404)


def actor(user: ConsoleUser) -> Actor:
    """How the user appears in a report's history and the audit log."""
    return Actor(user.role, f"console:{user.username}")


def load_case(ticket: str) -> Report:
    """The report for the logged-in user, or 404 (unknown ticket, or another unit's case)."""
    try:
        report = get_report(services().db, ticket)
    except NotFound:
        abort(404)
    check_open(current_user.record, report)
    return report
