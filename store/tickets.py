"""Human-friendly ticket numbers: PREFIX-YYMM-NNNNN (e.g. JKT-2611-00042), one sequence a month."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import TicketCounter


def next_ticket(session: Session, prefix: str, local_now: datetime) -> str:
    """Advance this month's counter in one atomic upsert and format the ticket."""
    period = local_now.strftime("%y%m")
    insert = (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert
    statement = (
        insert(TicketCounter)
        .values(period=period, last_value=1)
        .on_conflict_do_update(
            index_elements=[TicketCounter.period], set_={"last_value": TicketCounter.last_value + 1}
        )
        .returning(TicketCounter.last_value)
    )
    number = session.execute(statement).scalar_one()
    return f"{prefix}-{period}-{number:05d}"
