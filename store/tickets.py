"""Human-friendly ticket numbers: PREFIX-YYMM-NNNNN (e.g. JKT-2611-00042), one sequence a month."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import TicketCounter

_counters = TicketCounter.__table__
# Built once per dialect (the worker takes a number for every report): this month's counter advanced in one upsert.
_ADVANCE = {
    name: dialect.insert(_counters).values(period=bindparam("period"), last_value=1)
    .on_conflict_do_update(index_elements=[_counters.c.period], set_={"last_value": _counters.c.last_value + 1})
    .returning(_counters.c.last_value)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def next_ticket(session: Session, prefix: str, local_now: datetime) -> str:
    """Advance this month's counter in one atomic upsert (Core, on the session's connection) and format the ticket."""
    period = local_now.strftime("%y%m")
    connection = session.connection()
    number = connection.execute(_ADVANCE[connection.dialect.name], {"period": period}).scalar_one()
    return f"{prefix}-{period}-{number:05d}"
