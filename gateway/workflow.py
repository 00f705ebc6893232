"""Workflow moves that need the city's configuration (routing), on top of store.reports."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.config import Config
from gateway.dispatch import escalation_unit
from store import Database, lifecycle
from store.reports import Actor, Report, get_report, transition_report


def escalate(store: Database | Session, config: Config, ticket: str, actor: Actor, note: str | None = None,
             note_public: bool = True) -> Report:
    """The kelurahan cannot handle it: coordinate with the category's service unit (SOP step 2)."""
    report = get_report(store, ticket)
    return transition_report(
        store,
        ticket,
        lifecycle.KOORDINASI,
        actor,
        note=note,
        note_public=note_public,
        unit_code=escalation_unit(config, report.category),
    )
