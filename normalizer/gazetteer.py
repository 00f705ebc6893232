"""An offline gazetteer: every kota, kecamatan and kelurahan of DKI Jakarta (with the ways people
abbreviate them), the operator's landmark/street table, places outside Jakarta that people name, and
every province, kabupaten/kota, kecamatan and desa of the rest of Indonesia
(`data/indonesia_outside_names.tsv`).

`find_places` returns every mention in a message with what the words around it say (a marker such
as "kel."/"desa"/"kab.", a direction, an institution, a housing estate); `normalizer.location`
decides among them.

Ordinary words that are also place names ("baru", "tengah", "kapuk", "duri"…) are recognised with
PySastrawi's Indonesian root-word list: alone they are only provisional mentions, which count when
a marker, a capitalised name after "di"/"daerah", or the place's own kecamatan or kota backs them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rapidfuzz import fuzz, process

from normalizer.lexicon import COMMON, Vocabulary, canonical_words, phrase_tokens
from normalizer.text import DATA, Token, tokenize
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
MARKERS = {
    "kelurahan": "kelurahan", "kelurhan": "kelurahan", "desa": "desa", "ds": "desa", "dusun": "desa", "dsn": "desa",
    "kecamatan": "kecamatan", "kota": "kota", "kabupaten": "kabupaten", "kab": "kabupaten", "kabupatan": "kabupaten",
    "provinsi": "provinsi", "prov": "provinsi", "propinsi": "provinsi",
}
CUES = frozenset(
    """di ke dari daerah wilayah sekitar dekat depan belakang samping sebelah seberang area kawasan lokasi alamat
    arah menuju jalan gang gg komplek kompleks perumahan perum kelurahan kecamatan kota in at near around""".split()
)
FUZZY_CUTOFF = 88
STREET_WORDS = frozenset({"jalan", "gang", "gg", "jembatan", "flyover", "tol", "kali", "sungai"})
TOWARDS = frozenset({"arah", "menuju", "perbatasan", "tembus", "towards", "toward", "ke", "to"})
JAKARTA_MARKERS = frozenset({"kelurahan", "kecamatan", "kota"})
# Before a place: the place names an institution ('Pemprov DKI', 'Bupati Bogor', 'Pemkot Bekasi'), not where
# the problem is; a source ('kiriman dari Bogor') or a person's home ('saya dari Bekasi') is weak too.
ACTORS = frozenset(
    """pemprov pemerintah pemda pemkab gubernur wagub wali walikota bupati wabup bpbd dinas sudin dprd dprd pj
    pejabat kapolda polda polres kapolres""".split()
)
SOURCES = frozenset({"dari", "asal", "kiriman", "hulu"})
# Words that only make sense outside DKI Jakarta (Jakarta has kelurahan, not desa, and no bupati
# except Kepulauan Seribu's).
OUTSIDE_CUES = frozenset({"bupati", "pemkab", "kabupaten", "kab", "desa", "dusun", "kades", "nagari", "gampong", "wabup"})
# Housing estates and complexes named after an area are not necessarily in that kelurahan.
ESTATE_NOUNS = frozenset(
    """perumahan perum komplek kompleks komp kompl griya villa vila cluster klaster residence residensi graha
    puri""".split()
)
ESTATE_SUFFIXES = frozenset(
    """indah permai asri residence residen regency lestari elok estate garden city park village town
    mas mansion hills sentosa""".split()
)
# Ordinary words where no capital letter and cue is enough: only a marker or the place's kecamatan/kota.
STRICT_ORDINARY = frozenset(
    """tengah baru gunung pulau pulo jati ujung bukit kota pasar gang utara selatan barat timur pusat atas dalam
    setia wijaya karang kelapa lebak mangga bambu rawa kali tanah kebon kampung pondok""".split()
)
# In the root-word list but, in messages to Jakarta, nearly always the place ('di menteng', 'ke bogor').
PLACE_FIRST = frozenset(
    """ancol gambir menteng senen koja paseban pekojan pesanggrahan bungur kuningan wijayakusuma ambasador istiqlal
    katedral kokas semanggi harmoni bandung bogor jonggol sawangan sentul tangsel tambun khi garut jember jombang
    kendal kudus kupang lampung binjai bintan belitung badung jembrana langkat subang sampang rembang tuban sorong
    poso lombok sumba kemang""".split()
)
LOCATIVE = frozenset({"di", "daerah", "wilayah", "kawasan", "sekitar", "area", "lokasi", "alamat", "dekat", "in", "at"})
LIST_WORDS = frozenset({"dan", "atau", "serta", "and", "or", "hingga", "sampai"})
# Bodetabek: the kabupaten/kota around Jakarta, whose kecamatan names people use bare ('Pamulang', 'Cibinong').
BODETABEK = frozenset({"32.01", "32.16", "32.71", "32.75", "32.76", "36.03", "36.71", "36.74"})
PROVINCE_SHORT = {
    "32": ["jabar"], "33": ["jateng"], "34": ["jogja", "yogya", "jogjakarta", "diy", "yogyakarta"], "35": ["jatim"],
    "12": ["sumut"], "13": ["sumbar"], "16": ["sumsel"], "61": ["kalbar"], "62": ["kalteng"], "63": ["kalsel"],
    "64": ["kaltim"], "65": ["kaltara"], "71": ["sulut"], "72": ["sulteng"], "73": ["sulsel"], "74": ["sultra"],
    "76": ["sulbar"], "52": ["ntb"], "53": ["ntt"], "19": ["babel"], "21": ["kepri"],
}
NATIONAL_SPAN = 4
# Buildings and stops named after a place ('halte Tosari'): in Jakarta, not in the place.
FACILITIES = frozenset(
    """halte stasiun st terminal bandara gedung rs rsud rsu puskesmas mall mal plaza hotel kampus universitas
    sekolah sdn smpn sman smkn kantor bank apotek ruko bengkel restoran resto toko warung depot jpo tol""".split()
)
# Words that introduce a place, never a place of the national index themselves ('Kelurahan' is a desa's name).
NOT_NAMES = frozenset(MARKERS) | CUES | ACTORS | OUTSIDE_CUES | LOCATIVE | {"pemerintah", "jalan", "jl", "jln", "gang", "gg"}
NATIONAL_LEVELS = {"p": "provinsi", "k": "kabupaten_kota", "c": "kecamatan", "d": "desa", "l": "desa"}  # l: a kelurahan

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
    level: str | None = None  # places of the national index: provinsi | kabupaten_kota | kecamatan | desa
    codes: tuple[str, ...] = ()  # their codes (a desa: the codes of the kecamatan holding one of that name)
    urban: tuple[str, ...] = ()  # of those codes, the kecamatan where the name is a kelurahan's, not a desa's


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
    provisional: bool = False  # an ordinary word ('baru', 'tengah'): counts only if its kecamatan/kota is named
    estate: bool = False  # 'Perumahan Duren Sawit Indah', 'Komplek Cipinang Indah': an estate named after the area
    actor: bool = False  # 'Pemprov DKI', 'Bupati Bogor': an institution named
    source: bool = False  # 'kiriman dari Bogor', 'saya dari Bekasi'
    strength: int = 2  # outside places of the national index: 0 needs support, 2 stands alone, 3 with a marker
    desa_marker: bool = False  # 'desa X', 'ds. X', 'dusun X': Jakarta has no desa
    estate_brand: bool = False  # 'Duren Sawit Indah', 'Kelapa Gading Permai': an estate's brand, not the area


class Gazetteer:
    def __init__(self, wilayah: Wilayah, slang: dict[str, str], guarded_words: set[str], data_dir: Path = DATA):
        self.wilayah = wilayah
        self.slang = slang
        # Place names are fuzzy-matched only when long: 'bekas' must never become 'Bekasi'.
        # …and never by stripping affixes: 'sekarang' is not 'Karang', 'dikali' is not 'Kali'.
        self.vocabulary = Vocabulary(fuzzy_min_length=7, never_fuzzy=frozenset(guarded_words), use_stems=False,
                                     fuzzy_cutoff=90)
        self.ordinary = ordinary_words()
        self._name_words: set[str] | None = None
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
        # The rest of Indonesia: joined name ('bojonggede') → (level, name, codes) rows.
        self._national: dict[str, str] = {}
        self._national_starts: frozenset[str] = frozenset()
        self._parsed: dict[str, list[tuple[str, str, str, str]]] = {}
        self.unit_names: dict[str, str] = {}  # code → name of a province, kabupaten/kota or kecamatan
        self._unit_codes: dict[str, str] = {}  # 'kota bekasi' → '32.75'
        self._national_places: dict[tuple, Place] = {}
        self._load_national(data_dir / "indonesia_outside_names.tsv")

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
                elif (split := self._split_compound(base[0])) is not None:
                    variants.add(split)  # 'Kramatjati' is written 'Kramat Jati' too
            single_common = len(base) == 1 and base[0] in guarded_words
            place = Place(area.code, name, area.level, lat, lon, kelurahan, kecamatan, kota, guarded=single_common)
            self._add_place(place)
            for variant in variants:
                self._index(variant, place)

    def _split_compound(self, word: str) -> str | None:
        """'kramatjati' → 'kramat jati', 'rawajati' → 'rawa jati': both halves words of Jakarta's names or of
        the language, and only one way to split."""
        if self._name_words is None:
            names = {w for a in self.wilayah.areas.values() for w in phrase_tokens(a.name, self.slang)}
            self._name_words = names | root_words()
        known = self._name_words
        splits = [
            f"{word[:i]} {word[i:]}" for i in range(3, len(word) - 2) if word[:i] in known and word[i:] in known
        ]
        return splits[0] if len(splits) == 1 else None

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

    def _load_national(self, path: Path) -> None:
        """Provinces, kabupaten/kota, kecamatan and desa outside DKI Jakarta (see build_outside_names.py):
        about 70,000 lines, kept as text until a message names one of them."""
        if not path.exists():
            return
        units, rest = path.read_text(encoding="utf-8").split("#starts\n", 1)
        starts, names = rest.split("#names\n", 1)
        self._national_starts = frozenset(starts.split())
        self.unit_names = dict(line.split("\t", 1) for line in units.splitlines()[1:])
        self._unit_codes = {name.lower(): code for code, name in self.unit_names.items() if len(code) <= 5}
        self._national = dict(line.split("\t", 1) for line in names.splitlines())

    def _entries(self, key: str) -> list[tuple[str, str, str, str]] | None:
        """(level, name, codes, 'Desa' or 'Kel.') of every place outside Jakarta whose joined name is `key`."""
        parsed = self._parsed.get(key)
        if parsed is None:
            raw = self._national.get(key)
            if raw is None:
                return None
            parsed = []
            for entry in raw.split(";"):
                level, name, codes = entry.split(":")
                parsed.append((NATIONAL_LEVELS[level], name, codes, "Kel." if level == "l" else "Desa"))
            if len(self._parsed) < 50_000:
                self._parsed[key] = parsed
        return parsed

    # -- matching -------------------------------------------------------------------------------

    def find_places(self, tokens: list[Token], text: str | None = None) -> list[Mention]:
        """Every place named. `text` (the message the tokens come from) lets a marker count only when
        nothing but a space or a dot stands between it and the name ('kel. Baru', not 'per kelurahan, jadi')."""
        words = canonical_words(tokens, self.vocabulary)
        texts = [t.text for t in tokens]
        capitals = _Capitals(tokens)
        mentions: list[Mention] = []
        covered = [False] * len(words)
        contested: set[int] = set()
        index = 0
        while index < len(words):
            # A longer name of a kecamatan elsewhere ('Dukuh Pakis', Surabaya) beats a Jakarta name inside it ('Dukuh'),
            # and a name that is exactly one elsewhere ('Krembangan') is no typo of a Jakarta one ('Kembangan'),
            # whether the fuzzy match or the spelling correction made it one.
            found = self._exact(words, index) or self._fuzzy(words, index)
            if found is None:
                index += 1
                continue
            elsewhere = self._national_length(texts, index, found[1])
            if elsewhere > found[1] or elsewhere == found[1] and (
                    found[2] or any(w != t for w, t in zip(words[index : index + elsewhere], texts[index:]))):
                contested.add(index)  # the national pass looks here even if the official name is one word
                index += 1
                continue
            places, length, fuzzy = found
            around = _Context(tokens, words, index, index + length, text, capitals)
            previous, marker = around.previous, around.marker
            in_street = previous in STREET_WORDS or (previous == "raya" and around.before in STREET_WORDS)
            text_as_written = " ".join(t.raw for t in tokens[index : index + length])
            word = words[index]
            ordinary = length == 1 and word in self.ordinary
            # 'di Tengah Kota', 'di Taman Ayodya': a capitalised word right after makes a longer name.
            capital = around.capital and not (around.next_capital and (length == 1 and word in self.ordinary))
            estate_noun = previous in ESTATE_NOUNS
            estate = estate_noun or around.following in ESTATE_SUFFIXES
            accepted = False
            for place in places:
                provisional = False
                if ordinary and marker not in ("kelurahan", "kecamatan", "kota"):
                    # 'baru', 'tengah', 'kapuk': a kel./kec. marker, else a capitalised name after 'di'/'daerah',
                    # a street word or a building ('SDN Kenari', not for the commonest words), else only beside
                    # its kecamatan or kota.
                    named_after = previous in LOCATIVE or previous in FACILITIES or around.short_street
                    provisional = not (capital and named_after and word not in STRICT_ORDINARY)
                elif place.guarded and not (marker or (capital and previous not in PLACE_NOUNS)):
                    provisional = True
                mentions.append(Mention(
                    place, index, index + length, text_as_written, marker if marker in JAKARTA_MARKERS else None,
                    around.cued, fuzzy, in_street, around.towards, provisional=provisional,
                    estate=estate, actor=around.actor or word in ACTORS, source=around.source,
                    desa_marker=marker == "desa", estate_brand=around.following in ESTATE_SUFFIXES,
                ))
                accepted = accepted or not provisional
            if accepted:
                for i in range(index, index + length):
                    covered[i] = True
            index += length if accepted else 1
        if self._national:
            mentions.extend(self._national_mentions(tokens, covered, capitals, text, contested))
            mentions.sort(key=lambda m: m.start)
        return _inherit_list_roles(mentions, words, tokens, text)

    def namesake(self, tokens: list[Token]) -> Place | None:
        """The desa and kecamatan elsewhere in Indonesia that carry a Jakarta area's name ('Kembangan')."""
        entries = self._entries("".join(t.text for t in tokens))
        if not entries:
            return None
        entries = [e for e in entries if e[0] in ("desa", "kecamatan")]
        return self._national_place(entries) if entries else None

    def _national_mentions(self, tokens: list[Token], covered: list[bool], capitals: bool,
                           text: str | None, contested: set[int] = frozenset()) -> list[Mention]:
        texts = [t.text for t in tokens]
        count = len(texts)
        starts = self._national_starts
        found: list[Mention] = []
        index = 0
        while index < count:
            if (texts[index] not in starts and index not in contested) or covered[index] or texts[index] in COMMON:
                index += 1
                continue
            best = max(self._joined_names(texts, index, covered), default=None)  # the longest
            if best is None:
                index += 1
                continue
            end, key = best
            mention = self._national_mention(tokens, texts, index, end, self._entries(key), capitals, text)
            if mention is not None:
                found.append(mention)
                index = end
            else:
                index += 1
        return found

    def _national_length(self, texts: list[str], start: int, longer_than: int) -> int:
        """How many words from `start` name a place outside Jakarta (0 for none), its official name written as one
        word or several ('Penjaringansari' as 'Penjaringan Sari'). A name longer than `longer_than` words counts
        only at kecamatan level or above: desa names elsewhere (80,000 of them) often continue a Jakarta name
        ('Kramat Dalam', 'Grogol Indah')."""
        if not self._national or texts[start] in COMMON:
            return 0
        length = 0
        for end, key in self._joined_names(texts, start):
            if end - start <= longer_than or any(entry[0] != "desa" for entry in self._entries(key) or ()):
                length = end - start
        return length

    def _joined_names(self, texts: list[str], start: int, covered: list[bool] | None = None):
        """(end, key) for each run of words from `start`, shortest first, whose joined text is a place outside
        Jakarta ('Bojong Gede' joins to 'bojonggede'); a short or common word ends the run ('tap in' must not join
        to 'Tapin'), and so does a word `covered` by a Jakarta name."""
        key = ""
        for end in range(start, min(len(texts), start + NATIONAL_SPAN)):
            piece = texts[end]
            if (covered is not None and covered[end]) or (end > start and (len(piece) < 3 or piece in COMMON)):
                return
            key += piece
            if key in self._national:
                yield end + 1, key

    def _national_mention(self, tokens, texts, start, end, entries, capitals, text) -> Mention | None:
        if texts[start] in NOT_NAMES:
            return None
        around = _Context(tokens, texts, start, end, text, capitals)
        previous, marker = around.previous, around.marker
        ordinary = all(t in self.ordinary or _derived(t) for t in texts[start:end])
        capital = around.capital and not (around.next_capital and ordinary)
        locative = previous in LOCATIVE
        wanted = {
            "kabupaten": ("kabupaten_kota",), "kota": ("kabupaten_kota", "kecamatan"), "kecamatan": ("kecamatan",),
            "desa": ("desa",), "kelurahan": ("desa",), "provinsi": ("provinsi",),
        }.get(marker or "")
        if wanted and ordinary and marker == "kelurahan":
            wanted = None  # 'kelurahan yang …'
        if wanted:
            picked = [e for e in entries if e[0] in wanted]
            if marker == "kabupaten":
                picked = [e for e in picked if e[1].startswith("Kabupaten ")] or picked
            elif marker == "kota":
                picked = [e for e in picked if e[1].startswith("Kota ")] or picked
            if not picked:
                return None
            strength = 3
        else:
            if ordinary and not (capital and locative):
                return None
            if len(texts[start]) < 4 and end - start == 1:
                return None
            top = min(("provinsi", "kabupaten_kota", "kecamatan", "desa").index(e[0]) for e in entries)
            level = ("provinsi", "kabupaten_kota", "kecamatan", "desa")[top]
            picked = [e for e in entries if e[0] == level]
            if level in ("provinsi", "kabupaten_kota"):
                strength = 2
            elif level == "kecamatan" and any(code[:5] in BODETABEK for e in picked for code in e[2].split()):
                strength = 2  # 'Pamulang', 'Cibinong': the kecamatan around Jakarta, named bare
            elif level == "kecamatan" and capital and locative:
                strength = 1  # 'di Pundong': a kecamatan far away, weaker alone
            else:
                strength = 0  # a desa or a far kecamatan, bare: only beside its kabupaten, or to a bupati
        place = self._national_place(picked)
        # 'Jl. Cirebon', 'halte Tosari', 'RS Kediri': a street or building in Jakarta named after the place.
        in_street = previous in STREET_WORDS or previous in PLACE_NOUNS or previous in FACILITIES or (
            previous == "raya" and around.before in STREET_WORDS)
        return Mention(
            place, start, end, " ".join(t.raw for t in tokens[start:end]), marker, around.cued, False, in_street,
            around.towards, actor=around.actor, source=around.source, strength=strength,
            estate=previous in ESTATE_NOUNS, desa_marker=marker == "desa",
        )

    def _national_place(self, entries: list[tuple[str, str, str, str]]) -> Place:
        cache_key = tuple(entries) if len(entries) > 1 else entries[0]
        place = self._national_places.get(cache_key)
        if place is None:
            level = entries[0][0]
            name = max(entries, key=lambda e: len(e[2]))[1]  # the commonest spelling
            codes = tuple(sorted({code for e in entries for code in e[2].split()}))
            urban = tuple(sorted({code for e in entries if e[3] == "Kel." for code in e[2].split()}))
            place = Place(f"national:{level}:{name.lower()}", name, "outside", None, None, level=level, codes=codes,
                          urban=urban)
            if len(self._national_places) < 50_000:
                self._national_places[cache_key] = place
        return place

    def unit_code(self, name: str) -> str | None:
        """'Kota Bekasi' → '32.75', 'Jawa Barat' → '32'."""
        return self._unit_codes.get(name.lower().strip())

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
        pool = self._fuzzy_pool.get(words[start])  # the first word must be right: 'kebon jerk'
        if not pool or len(words[start]) < 3:
            return None
        for length in (3, 2):
            if start + length > len(words):
                continue
            if any(w in COMMON or w in self.ordinary or _derived(w) for w in words[start + 1 : start + length]):
                continue  # 'kali atau' is not 'Kalibata', 'jalan tambang' not 'Jl. Sabang': real words are no typos
            candidate = " ".join(words[start : start + length])
            if len(candidate) < 8:
                continue
            best = process.extractOne(candidate, pool, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if best and len(self._joined[best[0]]) == length:
                return self._names[self._joined[best[0]]], length, True
        return None

    def by_code(self, code: str) -> Place | None:
        return self._by_key.get(code)


@lru_cache(maxsize=1)
def root_words() -> frozenset[str]:
    """PySastrawi's Indonesian root words (Sastrawi/Stemmer/data/kata-dasar.txt); empty if it is not installed."""
    try:
        text = resources.files("Sastrawi").joinpath("Stemmer/data/kata-dasar.txt").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return frozenset()
    return frozenset(word.strip().lower() for word in text.split())


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """Words of everyday Indonesian: a place named by one of them needs context."""
    return (root_words() | COMMON) - PLACE_FIRST


@lru_cache(maxsize=20_000)
def _derived(word: str) -> bool:
    """'larangan' (larang + an), 'bangunan': a root word with a suffix is an ordinary word too."""
    for suffix in ("kan", "an", "i", "nya"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and word[: -len(suffix)] in root_words():
            return True
    return False


def national_key(name: str) -> str:
    """A name as its words join in a message: 'Bu Nuapu’u' → 'bunuapuu', 'Bojong Gede' → 'bojonggede'."""
    return "".join(t.text for t in tokenize(name, {}))


class _Context:
    """The words around a name in a message."""

    __slots__ = (
        "actor",
        "before",
        "capital",
        "cued",
        "following",
        "marker",
        "next_capital",
        "previous",
        "short_street",
        "source",
        "towards",
    )

    def __init__(self, tokens: list[Token], words: list[str], start: int, end: int, text: str | None, capitals: bool):
        self.previous = words[start - 1] if start else ""
        self.before = words[start - 2] if start >= 2 else ""
        self.following = words[end] if end < len(words) else ""
        marker = MARKERS.get(self.previous)
        if marker and text is not None and text[tokens[start - 1].end : tokens[start].start].strip(" .") != "":
            marker = None  # 'per kelurahan, jadi …'
        self.marker = marker
        self.capital = start > 0 and tokens[start].raw[:1].isupper() and bool(capitals)
        self.next_capital = (
            end < len(tokens) and tokens[end].raw[:1].isupper() and self.following not in ("raya", "no", "nomor")
            and (text is None or text[tokens[end - 1].end : tokens[end].start] == " ")
        )
        # 'Jl. Kapuk Raya', 'Jl. Raya Kamal', 'Gg. Sepat': a street named after the area
        self.short_street = start > 0 and (
            tokens[start - 1].raw.lower() in ("jl", "jln", "gg")
            or (start > 1 and self.previous == "raya" and tokens[start - 2].raw.lower() in ("jl", "jln", "jalan")))
        self.cued = self.previous in CUES or self.before in CUES
        self.towards = self.previous in TOWARDS or self.before in TOWARDS
        self.actor = self.previous in ACTORS or (marker is not None and self.before in ACTORS)
        self.source = self.previous in SOURCES or self.before == "kiriman"


class _Capitals:
    """Whether a capital letter says 'a name': not in a message in capitals or Title Case throughout.
    Worked out the first time it is asked."""

    __slots__ = ("_tell", "_tokens")

    def __init__(self, tokens: list[Token]):
        self._tokens = tokens
        self._tell: bool | None = None

    def __bool__(self) -> bool:
        if self._tell is None:
            words = [t.raw for t in self._tokens if len(t.raw) > 1 and t.raw[0].isalpha()]
            capitalised = sum(1 for w in words if w[0].isupper())
            self._tell = len(words) < 4 or capitalised / len(words) <= 0.6
        return self._tell


def _inherit_list_roles(mentions: list[Mention], words: list[str], tokens: list[Token],
                        text: str | None) -> list[Mention]:
    """'di Bekasi, Depok dan Bogor', 'Pemprov DKI dan Jabar': a place listed after another shares its cue;
    after a comma only its locative cue ('kiriman dari Bogor, Kampung Melayu terendam': not a source)."""
    if len(mentions) < 2:
        return mentions
    result = [mentions[0]]
    for mention in mentions[1:]:
        previous = result[-1]
        gap = mention.start - previous.end
        joined = gap == 1 and words[previous.end] in LIST_WORDS
        spaced = gap == 0 and (text is None or text[tokens[previous.end - 1].end : tokens[mention.start].start] == " ")
        if gap == 0 or joined:
            whole = joined or spaced
            mention = replace(
                mention, cued=mention.cued or previous.cued,
                actor=mention.actor or (whole and previous.actor), source=mention.source or (whole and previous.source),
                towards=mention.towards or (whole and previous.towards),
            )
        result.append(mention)
    return result


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
