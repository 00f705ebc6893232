"""An offline gazetteer: every kota, kecamatan and kelurahan of DKI Jakarta (with the ways people
abbreviate them), the operator's landmark/street table, and places outside Jakarta that people name.

`find_places` returns every mention in a message; `normalizer.location` decides among them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from normalizer.lexicon import Vocabulary, canonical_words, phrase_tokens
from normalizer.text import DATA, Token
from normalizer.wilayah import Wilayah

# First words people shorten ("kb jeruk", "tn abang", "ps minggu", "kp melayu", "pd labu", "tj priok").
ABBREVIATIONS = {
    "kebon": ["kb"], "tanah": ["tn"], "pasar": ["ps", "psr"], "kampung": ["kp", "kampong"], "pondok": ["pd", "pdk"],
    "tanjung": ["tj", "tg", "tanjong"], "pulau": ["p", "pulo"], "pulo": ["pulau"], "bukit": ["bkt"], "kelapa": ["klp"],
    "cempaka": ["cemp"], "jembatan": ["jemb"], "rawa": ["rw"], "sungai": ["sei"], "kali": ["k"], "karang": ["krg"],
}
DIRECTIONS = {"barat": ["brt", "bar"], "timur": ["tim", "tmr"], "utara": ["utr", "ut"], "selatan": ["sel", "slt", "sltn"], "pusat": ["pst"]}
KOTA_SHORT = {
    "31.71": ["jakpus", "jkpus", "jakarta pusat", "jkt pusat", "jak pus", "central jakarta"],
    "31.72": ["jakut", "jkut", "jakarta utara", "jkt utara", "jak ut", "north jakarta"],
    "31.73": ["jakbar", "jkbar", "jakarta barat", "jkt barat", "jak bar", "west jakarta"],
    "31.74": ["jaksel", "jksel", "jakarta selatan", "jkt selatan", "jak sel", "south jakarta"],
    "31.75": ["jaktim", "jktim", "jakarta timur", "jkt timur", "jak tim", "east jakarta"],
    "31.01": ["kepulauan seribu", "pulau seribu", "kep seribu", "thousand islands"],
}
MARKERS = {"kelurahan": "kelurahan", "desa": "kelurahan", "kecamatan": "kecamatan", "kota": "kota", "kabupaten": "kota"}
CUES = frozenset(
    """di ke dari daerah wilayah sekitar dekat depan belakang samping sebelah seberang area kawasan lokasi alamat
    arah menuju jalan gang gg komplek kompleks perumahan perum kelurahan kecamatan kota in at near around""".split()
)
FUZZY_CUTOFF = 88
STREET_WORDS = frozenset({"jalan", "gang", "gg", "jembatan", "flyover", "tol", "kali", "sungai"})
TOWARDS = frozenset({"arah", "menuju", "perbatasan", "tembus", "towards", "toward"})
# Nouns that start a proper name of their own: 'Kp. Pulo', 'perumahan Baru', 'Pasar Baru' are not kelurahan.
PLACE_NOUNS = frozenset(
    """kp kampung komplek kompleks perumahan perum pasar masjid musala taman stasiun halte sekolah rs rumah
    gedung mall toko warung apartemen rusun kantor terminal""".split()
)


@dataclass(frozen=True)
class Place:
    key: str  # unique: area code, "landmark:<name>", "outside:<name>"
    name: str
    kind: str  # kota | kecamatan | kelurahan | landmark | street | outside
    lat: float | None
    lon: float | None
    kelurahan_code: str | None = None
    kecamatan_code: str | None = None
    kota_code: str | None = None
    region: str | None = None  # outside places: where they are
    guarded: bool = False  # a common word: counts only with a cue, a marker or a capital letter


@dataclass(frozen=True)
class Mention:
    place: Place
    start: int  # token index
    end: int
    text: str  # as written
    marker: str | None  # kelurahan | kecamatan | kota when the writer said so
    cued: bool  # preceded by a location word (di, dekat, depan…)
    fuzzy: bool
    in_street_name: bool = False  # 'Jl. Tomang Raya', 'Jl. Raya Bekasi': a street named after the place
    towards: bool = False  # 'arah Depok', 'perbatasan Bekasi': a direction, not the place itself


class Gazetteer:
    def __init__(self, wilayah: Wilayah, slang: dict[str, str], guarded_words: set[str], data_dir: Path = DATA):
        self.wilayah = wilayah
        self.slang = slang
        # Place names are fuzzy-matched only when long: 'bekas' must never become 'Bekasi'.
        # …and never by stripping affixes: 'sekarang' is not 'Karang', 'dikali' is not 'Kali'.
        self.vocabulary = Vocabulary(fuzzy_min_length=7, never_fuzzy=frozenset(guarded_words), use_stems=False,
                                     fuzzy_cutoff=90)
        self._names: dict[tuple[str, ...], list[Place]] = defaultdict(list)
        self._fuzzy_pool: dict[str, list[str]] = defaultdict(list)  # first word → joined names
        self._joined: dict[str, tuple[str, ...]] = {}
        self._first_words: set[str] = set()
        self.places: list[Place] = []
        self._by_key: dict[str, Place] = {}
        self._add_areas(guarded_words)
        self._add_partial_names(guarded_words)
        province = Place("31", "DKI Jakarta", "province", None, None)
        self._add_place(province)
        for variant in ("jakarta", "dki", "dki jakarta", "jkt", "ibukota", "ibu kota jakarta", "pemprov dki"):
            self._index(variant, province)
        self._add_table(data_dir / "landmarks.csv", outside=False)
        self._add_table(data_dir / "outside_places.csv", outside=True)

    # -- building -------------------------------------------------------------------------------

    def _add_areas(self, guarded_words: set[str]) -> None:
        for area in self.wilayah.areas.values():
            lat, lon = area.centroid
            kelurahan = area.code if area.level == "kelurahan" else None
            kecamatan = area.code if area.level == "kecamatan" else area.kecamatan_code
            kota = area.code if area.level == "kota" else area.kota_code
            name = area.name
            variants = set()
            if area.level == "kota":
                variants.update(KOTA_SHORT.get(area.code, []))
                name = name.replace("Kota Administrasi ", "").replace("Kabupaten Administrasi ", "")
            base = phrase_tokens(name, self.slang)
            variants.add(" ".join(base))
            if area.level != "kota":
                variants.update(_abbreviated(base))
                if len(base) > 1:
                    variants.add("".join(base))
            single_common = len(base) == 1 and base[0] in guarded_words
            place = Place(area.code, name, area.level, lat, lon, kelurahan, kecamatan, kota, guarded=single_common)
            self._add_place(place)
            for variant in variants:
                self._index(variant, place)

    def _add_place(self, place: Place) -> None:
        self.places.append(place)
        self._by_key.setdefault(place.key, place)

    def _add_partial_names(self, guarded_words: set[str]) -> None:
        """'Sunter' (Sunter Agung, Sunter Jaya), 'Pejaten', 'Cipete': a name people shorten. It stands
        for the kecamatan all its kelurahan share, else their common kota."""
        groups: dict[tuple[str, ...], list[Place]] = defaultdict(list)
        for place in self.places:
            if place.kind == "kelurahan":
                words = phrase_tokens(place.name, self.slang)
                if len(words) > 1:
                    groups[words[:-1]].append(place)
        for prefix, members in groups.items():
            if prefix in self._names or " ".join(prefix) in guarded_words:
                continue
            if len(prefix) == 1 and (len(prefix[0]) < 5 or prefix[0] in guarded_words):
                continue
            kecamatans = {m.kecamatan_code for m in members}
            kotas = {m.kota_code for m in members}
            if len(kecamatans) == 1:
                target = self.by_code(next(iter(kecamatans)))
            elif len(kotas) == 1:
                target = self.by_code(next(iter(kotas)))
            else:
                continue
            if target is not None:
                if len(prefix) == 1:  # one word ('Bukit', 'Pejaten'): only as a capitalised name
                    target = Place(target.key, target.name, target.kind, target.lat, target.lon, target.kelurahan_code,
                                   target.kecamatan_code, target.kota_code, guarded=True)
                self._index(" ".join(prefix), target)

    def _add_table(self, path: Path, outside: bool) -> None:
        if not path.exists():
            return
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                name = row["name"].strip()
                lat, lon = _float(row.get("lat")), _float(row.get("lon"))
                if outside:
                    place = Place(f"outside:{name.lower()}", name, "outside", lat, lon, region=row.get("region"))
                else:
                    code = row["kelurahan_code"].strip()
                    area = self.wilayah.areas.get(code)
                    place = Place(
                        f"landmark:{name.lower()}", name, row.get("kind", "landmark").strip() or "landmark", lat, lon,
                        code, area.kecamatan_code if area else None, area.kota_code if area else None,
                    )
                self._add_place(place)
                for variant in [name, *(a for a in (row.get("aliases") or "").split("|") if a.strip())]:
                    self._index(" ".join(phrase_tokens(variant, self.slang)), place)

    def _index(self, variant: str, place: Place) -> None:
        words = tuple(variant.split())
        if not words:
            return
        if place not in self._names[words]:
            self._names[words].append(place)
        self._first_words.add(words[0])
        self.vocabulary.add(words)
        joined = " ".join(words)
        if len(joined) >= 6 and joined not in self._joined:
            self._joined[joined] = words
            self._fuzzy_pool[words[0]].append(joined)

    # -- matching -------------------------------------------------------------------------------

    def find_places(self, tokens: list[Token]) -> list[Mention]:
        words = canonical_words(tokens, self.vocabulary)
        mentions: list[Mention] = []
        index = 0
        while index < len(words):
            found = self._exact(words, index) or self._fuzzy(words, index)
            if found is None:
                index += 1
                continue
            places, length, fuzzy = found
            previous = words[index - 1] if index else ""
            marker = MARKERS.get(previous)
            in_street = previous in STREET_WORDS or (previous == "raya" and index >= 2 and words[index - 2] in STREET_WORDS)
            cued = previous in CUES or (index >= 2 and words[index - 2] in CUES)
            capital = tokens[index].raw[:1].isupper() and index > 0
            text_as_written = " ".join(t.raw for t in tokens[index : index + length])
            accepted = False
            for place in places:
                if place.guarded and not (marker or (capital and previous not in PLACE_NOUNS)):
                    continue
                towards = previous in TOWARDS or (index >= 2 and words[index - 2] in TOWARDS)
                mentions.append(Mention(place, index, index + length, text_as_written, marker, cued, fuzzy, in_street, towards))
                accepted = True
            index += length if accepted else 1
        return mentions

    def _exact(self, words: list[str], start: int):
        if words[start] not in self._first_words:
            return None
        for length in range(min(6, len(words) - start), 0, -1):
            places = self._names.get(tuple(words[start : start + length]))
            if places:
                return places, length, False
        return None

    def _fuzzy(self, words: list[str], start: int):
        """Typos in multi-word names ('kebon jerk', 'cengkareng brt'): compare the joined words."""
        for length in (3, 2):
            if start + length > len(words):
                continue
            candidate = " ".join(words[start : start + length])
            pool = self._fuzzy_pool.get(words[start])  # the first word must be right: 'kebon jerk'
            if len(words[start]) < 3:
                continue
            if not pool or len(candidate) < 8:
                continue
            best = process.extractOne(candidate, pool, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if best and len(self._joined[best[0]]) == length:
                return self._names[self._joined[best[0]]], length, True
        return None

    def by_code(self, code: str) -> Place | None:
        return self._by_key.get(code)


def _abbreviated(words: tuple[str, ...]) -> set[str]:
    variants = set()
    first, rest = words[0], words[1:]
    for short in ABBREVIATIONS.get(first, []):
        variants.add(" ".join((short, *rest)))
    if rest and rest[-1] in DIRECTIONS:
        for short in DIRECTIONS[rest[-1]]:
            variants.add(" ".join((*words[:-1], short)))
    return variants


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None
