"""The console's own words, Indonesian first and English too, from the YAML files under labels/.

Templates call `t("key")` (or `t("key", name=…)` for `{name}` placeholders); an unknown key is an error,
so a missing translation shows up in the tests, not as a raw key on a page.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from flask import request, session
from flask_login import current_user

LANGUAGES = ("id", "en")
LABELS_DIR = Path(__file__).with_name("labels")


@cache
def labels() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(LABELS_DIR.glob("*.yaml")):
        for key, texts in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in merged:
                raise ValueError(f"{path.name}: label {key!r} is defined twice")
            if set(texts) != set(LANGUAGES):
                raise ValueError(f"{path.name}: label {key!r} needs exactly {LANGUAGES}")
            merged[key] = texts
    return merged


def language() -> str:
    """?lang= (remembered in the session), else the user's own setting, else Indonesian."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    chosen = session.get("lang") or getattr(current_user, "language", None)
    return chosen if chosen in LANGUAGES else "id"


def t(key: str, **values: object) -> str:
    text = labels()[key][language()]
    return text.format(**values) if values else text
