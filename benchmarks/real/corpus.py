"""The real citizen texts in ../shared/data/real/, read at run time and never copied into the project.

Labels are mapped onto this project's categories by `surabaya_topics.yaml` (beside this file).
`SPLITS` is the time split: train on January–August 2022, measure on September–December 2022;
2023 is a later month set, kept out of training.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"
MAPPING = Path(__file__).with_name("surabaya_topics.yaml")
OUTSIDE_KOTA = ("Bekasi", "Bogor", "Depok", "Tangerang", "Tangerang Selatan")


LABELS = Path(__file__).with_name("labels_type_urgency.jsonl")
# Lines Surabaya's topics do not draw, read message by message (benchmarks/real/LABELS.md): the flood/drain
# boundary (test and training months), and the one topic that mixes drains and garbage. A category read replaces
# the mapped one; "other" keeps it.
READINGS = tuple(Path(__file__).with_name(name) for name in (
    "labels_flood_drain.jsonl", "labels_flood_drain_train.jsonl", "labels_mixed_topic.jsonl"))


@dataclass(frozen=True)
class Judged:
    """A real message with our annotator's type (or "none": no city matter) and urgency."""

    text: str
    type: str
    urgency: str
    sample: str  # random, or candidates (sought for emergencies and their look-alikes)


@dataclass(frozen=True)
class Labelled:
    text: str
    category: str | None
    split: str  # train, test, later
    place: str | None = None  # the flood tweets' kota or kabupaten
    mapped: str | None = None  # Surabaya: the category the topic table gives, before the flood/drain reading


def available() -> bool:
    return (REAL / "surabaya_complaints_2022.jsonl").exists()


def _rows(name: str) -> Iterator[dict]:
    with (REAL / name).open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def surabaya() -> list[Labelled]:
    """Complaints with a mapped category (the flood/drain boundary read per message where it was), split by month."""
    mapping = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    topics, agencies = mapping["topics"], mapping["agencies"]
    boundary = {label["id"]: label["category"] for path in READINGS if path.exists()
                for label in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if label}
    found = []
    for row in _rows("surabaya_complaints_2022.jsonl"):
        topic = str(row.get("topic"))
        category = topics[topic] if topic in topics else agencies.get(row.get("agency"))
        if not category or not row.get("text"):
            continue
        month = str(row.get("date", ""))[:7]
        split = "later" if month >= "2023" else "train" if month <= "2022-08" else "test"
        read = boundary.get(row.get("id"), "other")
        found.append(Labelled(row["text"], category if read == "other" else read, split, mapped=category))
    return found


def surabaya_texts() -> list[str]:
    """Every Surabaya complaint's text, with or without a mapped category: all are from outside Jakarta."""
    return [row["text"] for row in _rows("surabaya_complaints_2022.jsonl") if row.get("text")]


def flood_tweets() -> list[Labelled]:
    """Flood tweets (category banjir) with the kota they came from; a fixed fifth (by text hash) is the test split."""
    found = []
    for row in _rows("jabodetabek_flood_tweets_2025.jsonl"):
        text = row.get("text") or ""
        fifth = int(hashlib.sha256(text.encode()).hexdigest(), 16) % 5
        found.append(Labelled(text, "banjir", "test" if fifth == 0 else "train", row.get("kota_kabupaten")))
    return found


def is_outside(place: str | None) -> bool | None:
    """True for Bekasi/Bogor/Depok/Tangerang…, False for Jakarta, None when unknown."""
    if not place:
        return None
    if place.startswith(("DKI Jakarta", "Jakarta")):
        return False
    return True if place in OUTSIDE_KOTA or not place.startswith("Jakarta") else None


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def judged(pattern: str = LABELS.name) -> list[Judged]:
    """The messages of our label files (ids and hashes only there; labels_type_urgency.jsonl by
    default, the development set), with their texts."""
    by_id = {row["id"]: row["text"] for row in _rows("surabaya_complaints_2022.jsonl")}
    by_sha = {sha(row["text"]): row["text"] for row in _rows("jabodetabek_flood_tweets_2025.jsonl")}
    found = []
    lines = [line for path in sorted(LABELS.parent.glob(pattern)) for line in path.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        if not line.strip():
            continue
        label = json.loads(line)
        text = by_id.get(label.get("id")) if label["source"] == "surabaya" else by_sha.get(label.get("sha"))
        if text:
            found.append(Judged(text, label["type"], label["urgency"], label["sample"]))
    return found
