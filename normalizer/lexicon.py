"""Phrase matching over normalised tokens, tolerant of Indonesian affixes and typos.

Every phrase list (category keywords, urgency cues, question cues…) becomes one `PhraseIndex`:
a dict from token tuples to labels. A message's words are first mapped onto the index's
vocabulary (`Vocabulary.canonical`): the word itself, else a stem without affixes
('sampahnya' → 'sampah', 'ditebang' → 'tebang'), else a close spelling ('smpah' → 'sampah', by
rapidfuzz, only for longer words that are no Indonesian word, cached), so matching stays a few
dictionary look-ups. Real words are told by PySastrawi's root-word dictionary and stemmer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import fuzz, process
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

from normalizer.text import Token, fold

MAX_PHRASE = 5
FUZZY_MIN_LENGTH = 5
FUZZY_CUTOFF = 86
_PARTICLES = ("nya", "lah", "kah", "pun")
_PREFIXES = ("meng", "meny", "mem", "men", "me", "peng", "pem", "pen", "pe", "ter", "ber", "be", "di", "ke", "se")
_SUFFIXES = ("kan", "an", "i")

# Frequent words that must never be "corrected" into a keyword.
COMMON = frozenset(
    """yang dan di ke dari ini itu ada tidak sudah belum akan sedang masih juga saja sangat banget sekali
    karena untuk dengan pada oleh atau tapi jadi kalau saya kami kita mereka dia anda bapak ibu admin
    tolong mohon minta terima kasih mau ingin bisa dapat harus perlu sampai sejak lama hari minggu bulan
    tahun pagi siang sore malam sekarang kemarin besok depan belakang samping sebelah dekat seberang
    warga rumah orang semua banyak sedikit lagi terus baru lama besar kecil tinggi rendah sampai sampai
    bekas baru lama jalan raya gang padahal kenapa bagaimana kapan dimana apakah berapa siapa selamat tanya informasi lapor laporan
    melapor pengaduan keluhan daerah wilayah sekitar kawasan lokasi tempat""".split()
)


@dataclass(frozen=True)
class Match:
    label: str
    phrase: str
    start: int  # token index, inclusive
    end: int  # token index, exclusive
    weight: float


class Vocabulary:
    """The words known to one or more indexes, and how to map a message word onto them."""

    def __init__(self, words: Iterable[str] = (), fuzzy_min_length: int = FUZZY_MIN_LENGTH,
                 never_fuzzy: frozenset[str] | set[str] = frozenset(), use_stems: bool = True,
                 fuzzy_cutoff: int = FUZZY_CUTOFF):
        self.words: set[str] = set()
        self.fuzzy_cutoff = fuzzy_cutoff
        self.use_stems = use_stems
        self.fuzzy_min_length = fuzzy_min_length
        self.never_fuzzy = never_fuzzy
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        self._cache: dict[str, str] = {}
        self.add(words)

    def add(self, words: Iterable[str]) -> None:
        for word in words:
            if word not in self.words:
                self.words.add(word)
                self._by_initial[word[:1]].append(word)
        self._cache.clear()

    def canonical(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is None:
            cached = self._cache[word] = self._resolve(word)
            if len(self._cache) > 200_000:  # bounded: a flood of random words cannot grow it forever
                self._cache.clear()
        return cached

    def _resolve(self, word: str) -> str:
        if word in self.words or word.isdigit():
            return word
        for stem in stems(word) if self.use_stems else ():
            if stem in self.words:
                return stem
        if len(word) < self.fuzzy_min_length or word in COMMON or word in self.never_fuzzy:
            return word
        choices = self._by_initial.get(word[:1], ())
        best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff)
        if not best or is_indonesian_word(word):  # a real word is never "corrected" into another
            return word  # (mengadukan is no mengajukan)
        return best[0]


@cache
def _root_words():
    """PySastrawi's Indonesian root-word dictionary and its stemmer (built once, about 0.1 s)."""
    factory = StemmerFactory()
    return frozenset(factory.get_words_from_file()), factory.create_stemmer()


@lru_cache(maxsize=50_000)
def is_indonesian_word(word: str) -> bool:
    """A root word of the dictionary, or one with affixes around such a root."""
    roots, stemmer = _root_words()
    return word in roots or stemmer.stem(word) in roots


def stems(word: str) -> list[str]:
    """Candidate roots without Indonesian particles, prefixes and suffixes, most likely first."""
    candidates: list[str] = []
    bases = [word]
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 3:
            bases.append(word[: -len(particle)])
    for base in bases:
        for prefix in ("",) + _PREFIXES:
            if prefix and not (base.startswith(prefix) and len(base) - len(prefix) >= 3):
                continue
            root = base[len(prefix):]
            candidates.append(root)
            for suffix in _SUFFIXES:
                if root.endswith(suffix) and len(root) - len(suffix) >= 3:
                    candidates.append(root[: -len(suffix)])
    seen: set[str] = set()
    return [c for c in candidates if c != word and not (c in seen or seen.add(c))]


def phrase_tokens(phrase: str, slang: dict[str, str]) -> tuple[str, ...]:
    """A configured phrase, normalised exactly like message text."""
    words = []
    for raw in phrase.replace("-", " - ").split():
        if raw == "-":
            continue
        word = fold(raw.strip(".,;:!?\"'()"))
        if word:
            words.extend(slang.get(word, word).split())
    return tuple(words)


class PhraseIndex:
    def __init__(self, vocabulary: Vocabulary, slang: dict[str, str], exclusive: bool = False):
        self.vocabulary = vocabulary
        self.slang = slang
        self.exclusive = exclusive  # one word, one meaning: overlapping phrases of different labels compete
        self._phrases: dict[tuple[str, ...], list[tuple[str, float]]] = defaultdict(list)
        self._longest: dict[str, int] = {}  # first word → longest phrase starting with it

    def add(self, phrase: str, label: str, weight: float | None = None) -> None:
        words = phrase_tokens(phrase, self.slang)
        if not words or len(words) > MAX_PHRASE:
            return
        self.vocabulary.add(words)
        self._longest[words[0]] = max(self._longest.get(words[0], 0), len(words))
        entries = self._phrases[words]
        weight = weight if weight is not None else 1.0 + 0.5 * (len(words) - 1)
        for index, (existing, old) in enumerate(entries):
            if existing == label:  # the same phrase listed twice: the stronger weight stands
                entries[index] = (label, max(old, weight))
                return
        entries.append((label, weight))

    def find(self, canonical_words: list[str]) -> list[Match]:
        """Every phrase occurrence; where two of the same label overlap, the longer one wins."""
        found: list[Match] = []
        count = len(canonical_words)
        longest = self._longest
        for start in range(count):
            most = longest.get(canonical_words[start])
            if most is None:
                continue
            for length in range(min(most, count - start), 0, -1):
                key = tuple(canonical_words[start : start + length])
                for label, weight in self._phrases.get(key, ()):
                    found.append(Match(label, " ".join(key), start, start + length, weight))
        found.sort(key=lambda m: (-(m.end - m.start), -m.weight, m.start))
        accepted: list[Match] = []
        taken: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for match in found:
            key = "" if self.exclusive else match.label
            if any(match.start < end and start < match.end for start, end in taken[key]):
                continue
            taken[key].append((match.start, match.end))
            accepted.append(match)
        accepted.sort(key=lambda m: m.start)
        return accepted


def canonical_words(tokens: list[Token], vocabulary: Vocabulary) -> list[str]:
    return [vocabulary.canonical(token.text) for token in tokens]
