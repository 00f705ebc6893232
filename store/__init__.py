"""The CRM store: SQLAlchemy models and the only code that speaks SQL.

Other packages call small named functions (`store.reports.create_report`, …), each one transaction.
"""

from store.db import Database

__all__ = ["Database"]
