"""Text preparation shared by every field: tokens with their positions, elongations folded,
slang expanded, hashtags split, URLs and mentions set aside."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

DATA = Path(__file__).parent / "data"
T = TypeVar("T")
MAX_ANALYSED_CHARS = 20_000  # longer messages are analysed on their head; redaction covers all

URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
MENTION = re.compile(r"(?<!\w)@\w+")
HASHTAG = re.compile(r"#(\w+)")
WORD = re.compile(r"[^\W_]+", re.UNICODE)
ELONGATION = re.compile(r"([a-z])\1{2,}")
CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True)
class Token:
    text: str  # one normalised word (lowercase, folded, slang expanded)
    raw: str  # as written
    start: int  # character span in the original text
    end: int


def load_slang(path: Path = DATA / "slang.csv") -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        return {row["slang"].strip().lower(): row["standard"].strip().lower() for row in csv.DictReader(handle)}


def fold(word: str) -> str:
    """Lowercase, strip accents, and fold elongations: 'Banjirrr' → 'banjir'."""
    word = unicodedata.normalize("NFKD", word.lower())
    word = "".join(ch for ch in word if not unicodedata.combining(ch))
    return ELONGATION.sub(r"\1", word)


def urls(text: str) -> list[str]:
    return URL.findall(text)


def tokenize(text: str, slang: dict[str, str]) -> list[Token]:
    """Words of the message (URLs and @mentions skipped, hashtags split at capitals)."""
    text = text[:MAX_ANALYSED_CHARS]
    skip = [m.span() for m in URL.finditer(text)] + [m.span() for m in MENTION.finditer(text)]
    tokens: list[Token] = []
    for match in WORD.finditer(text):
        start, end = match.span()
        if any(a <= start < b for a, b in skip):
            continue
        raw = match.group(0)
        if len(raw) > 40:  # no word is this long: a pasted blob, not language
            continue
        pieces = [raw]
        if start > 0 and text[start - 1] == "#":
            pieces = [p for p in CAMEL.split(raw) if p]
        offset = start
        for piece in pieces:
            for single in _NORMALISED.get(piece, slang):
                tokens.append(Token(single, piece, offset, offset + len(piece)))
            offset += len(piece)
    return tokens


class WordCache:
    """What a function makes of each written word under one slang table, computed once: most words repeat
    across messages. Bounded (random words cannot grow it forever); per table, and each table is kept alive
    with its entries, so no other table can come to share its id."""

    LIMIT = 200_000

    def __init__(self, compute: Callable[[str, dict[str, str]], T]):
        self._compute = compute
        self._tables: dict[int, tuple[dict[str, str], dict[str, T]]] = {}

    def get(self, word: str, slang: dict[str, str]) -> T:
        entry = self._tables.get(id(slang))
        if entry is None:
            entry = self._tables[id(slang)] = (slang, {})
        results = entry[1]
        found = results.get(word)
        if found is None:
            if len(results) > self.LIMIT:
                results.clear()
            found = results[word] = self._compute(word, slang)
        return found


def _normalise(piece: str, slang: dict[str, str]) -> tuple[str, ...]:
    """The normalised word(s) for one written word."""
    word = _reduplication(fold(piece))
    if word not in slang and word.endswith("nya") and word[:-3] in slang:
        word = word[:-3]  # 'lobangnya' → 'lobang' → 'lubang'
    # 'gada' → 'tidak', 'ada'; 'rt05' → 'rt', '05'
    return tuple(single for part in _split_number_suffix(slang.get(word, word)) for single in part.split())


_NORMALISED = WordCache(_normalise)


def _reduplication(word: str) -> str:
    """'dahan2nya' → 'dahan', 'anak2' → 'anak' (the 2 marks a plural)."""
    match = re.fullmatch(r"([a-z]{3,})2(nya|an)?", word)
    return match.group(1) if match else word


def _split_number_suffix(word: str) -> list[str]:
    """'rt05' → ['rt', '05']; 'jalan2' stays (reduplication handled by slang)."""
    match = re.fullmatch(r"(rt|rw|no|km)(\d+)", word)
    return [match.group(1), match.group(2)] if match else [word]
