"""Likely duplicates of a new report among the store's recent open reports (same category,
within the category's radius and the configured window), for the conversation and the console."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gateway.config import Config
from normalizer.duplicates import Candidate, Duplicate, find_duplicates
from store import Database
from store.reports import open_reports_near


def likely_duplicates(
    db: Database | Session, config: Config, *, category: str, lat: float, lon: float, description: str, now: datetime,
    older_than_id: int | None = None,
) -> list[Duplicate]:
    settings = config.category(category)
    radius = (settings.duplicate_radius_m if settings else None) or config.normalizer.duplicate_radius_m
    window = timedelta(days=config.normalizer.duplicate_window_days)
    reports = open_reports_near(db, category, lat, lon, radius, since=now - window)
    candidates = [
        Candidate(r.ticket, r.category, r.latitude, r.longitude, r.description, r.created_at)
        for r in reports
        if (older_than_id is None or r.id < older_than_id) and r.latitude is not None and r.duplicate_of_id is None
    ]
    return find_duplicates(category, lat, lon, description, candidates, now=now, radius_m=radius, window=window)
