"""Likely duplicates of a new report among recent open ones: same category, close by, recent,
ranked by distance and by how alike the descriptions are. Pure: the caller supplies candidates
(e.g. `store.reports.open_reports_near`) and the current time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from geopy.distance import great_circle
from rapidfuzz import fuzz, utils


@dataclass(frozen=True)
class Candidate:
    ticket: str
    category: str
    lat: float
    lon: float
    description: str
    created_at: datetime


@dataclass(frozen=True)
class Duplicate:
    ticket: str
    distance_m: float
    similarity: float  # 0..1, token-set similarity of the descriptions
    score: float  # 0..1, what the ranking uses


def find_duplicates(
    category: str,
    lat: float,
    lon: float,
    description: str,
    candidates: list[Candidate],
    *,
    now: datetime,
    radius_m: float = 250.0,
    window: timedelta = timedelta(days=30),
    limit: int = 5,
) -> list[Duplicate]:
    found = []
    for candidate in candidates:
        if candidate.category != category or now - candidate.created_at > window:
            continue
        distance = great_circle((lat, lon), (candidate.lat, candidate.lon)).meters
        if distance > radius_m:
            continue
        similarity = fuzz.token_set_ratio(description, candidate.description, processor=utils.default_process) / 100
        closeness = 1 - distance / radius_m
        found.append(Duplicate(candidate.ticket, round(distance, 1), round(similarity, 2), round(0.6 * closeness + 0.4 * similarity, 3)))
    found.sort(key=lambda d: (-d.score, d.distance_m))
    return found[:limit]
