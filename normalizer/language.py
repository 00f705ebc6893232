"""Indonesian or English? Counted from frequent function words; Indonesian when unsure."""

from __future__ import annotations

import re

ENGLISH = frozenset(
    """the a an is are was were be been there this that it its of in on at to for with from my our your we you
    they have has had not no please can could would will there's it's i i'm don't isn't been near street road
    how do does what when where who why thank thanks hello good morning evening any update so much""".split()
)
INDONESIAN = frozenset(
    """yang di ke dari dan ini itu ada tidak gak ga udah sudah belum mohon tolong saya kami kita jalan dengan
    untuk karena sama juga aja banget bgt yg dpn dkt sdh tdk min pak bu kak""".split()
)


def detect_language(text: str) -> str:
    words = re.findall(r"[a-z']+", text.lower())
    english = sum(word in ENGLISH for word in words)
    indonesian = sum(word in INDONESIAN for word in words)
    return "en" if english >= 2 and english > 1.5 * indonesian else "id"
