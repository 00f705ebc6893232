"""Where the problem is: from given coordinates, coordinates or map links in the text, landmarks,
streets and area names — or recognised as outside DKI Jakarta, never guessed into it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, unquote, urlsplit

from normalizer.gazetteer import (
    OUTSIDE_CUES,
    STRICT_ORDINARY,
    Gazetteer,
    Mention,
    Place,
)
from normalizer.text import Token, urls
from normalizer.wilayah import Wilayah

PRECISION_ORDER = ("point", "street", "landmark", "kelurahan", "kecamatan", "kota", "none")

COORDINATES = re.compile(r"(?<![\d.])(-?\d{1,3}\.\d+)\s*[,;/ ]\s*(-?\d{1,3}\.\d+)(?![\d.])")
# Typed pairs are only taken as coordinates inside Indonesia (prices like "12.500, 13.000" are not).
INDONESIA = (-11.5, 6.5, 94.5, 141.5)
LABELLED = re.compile(r"\blat(?:itude)?\s*[:=]?\s*(-?\d{1,3}\.\d+).{0,20}?\b(?:lon|lng|long|longitude)\s*[:=]?\s*(-?\d{1,3}\.\d+)", re.I)
RT_RW = re.compile(r"\brt\.?\s*0*(\d{1,3})\s*(?:/|,|\s)\s*(?:rw\.?\s*)?0*(\d{1,3})\b|\brw\.?\s*0*(\d{1,3})\b|\brt\.?\s*0*(\d{1,3})\b", re.I)
STREET = re.compile(
    r"\b(?i:jl|jln|jalan|gg|gang)\b\.?\s*((?:[A-Z0-9][\w'.-]*|raya|no\.?|[a-z][\w'-]*)(?:\s+(?:[A-Z0-9][\w'.-]*|raya|no\.?\s*\d+\w*)){0,4})",
)
LANDMARK_PHRASE = re.compile(
    r"\b(?i:depan|dpn|dekat|dkt|deket|belakang|blkg|samping|sebelah|sblh|seberang|sbrg|di|near|in front of)\s+"
    r"((?:[A-Z][\w'.-]*)(?:\s+[A-Z0-9][\w'.-]*){0,4})"
)


@dataclass
class LocationResult:
    lat: float | None = None
    lon: float | None = None
    precision: str = "none"
    in_jakarta: bool | None = None
    kelurahan_code: str | None = None
    kelurahan: str | None = None
    kecamatan_code: str | None = None
    kecamatan: str | None = None
    kota_code: str | None = None
    kota: str | None = None
    outside_place: str | None = None  # e.g. "Kota Bekasi, Jawa Barat"
    rt: str | None = None
    rw: str | None = None
    address: str | None = None
    evidence: list[str] = field(default_factory=list)
    confidence: float = 0.0

    def as_dict(self) -> dict:
        return {
            "lat": self.lat, "lon": self.lon, "precision": self.precision, "in_jakarta": self.in_jakarta,
            "kelurahan_code": self.kelurahan_code, "kelurahan": self.kelurahan,
            "kecamatan_code": self.kecamatan_code, "kecamatan": self.kecamatan,
            "kota_code": self.kota_code, "kota": self.kota, "outside_place": self.outside_place,
            "rt": self.rt, "rw": self.rw, "address": self.address,
            "confidence": round(self.confidence, 2), "evidence": self.evidence,
        }


def valid_point(lat, lon) -> bool:
    return (
        isinstance(lat, (int, float)) and isinstance(lon, (int, float)) and not isinstance(lat, bool)
        and not isinstance(lon, bool) and math.isfinite(lat) and math.isfinite(lon)
        and -90 <= lat <= 90 and -180 <= lon <= 180
    )


def coordinates_in_text(text: str) -> tuple[float, float, str] | None:
    """Coordinates typed ('-6.2, 106.8', 'lat -6.2 long 106.8') or carried by a map link."""
    for link in urls(text):
        found = _from_link(link)
        if found:
            return (*found, "map link")
    for pattern in (LABELLED, COORDINATES):
        for match in pattern.finditer(text):
            a, b = float(match.group(1)), float(match.group(2))
            if abs(a) > 90 and abs(b) <= 90:  # written lon, lat
                a, b = b, a
            south, north, west, east = INDONESIA
            if valid_point(a, b) and south <= a <= north and west <= b <= east:
                return a, b, match.group(0)
    return None


def _from_link(link: str) -> tuple[float, float] | None:
    link = unquote(link.rstrip(").,"))
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    for key in ("q", "query", "ll", "destination", "center", "daddr"):
        for value in query.get(key, []):
            match = COORDINATES.search(value.replace("+", " "))
            if match:
                return _pair(match.group(1), match.group(2))
    if "mlat" in query and "mlon" in query:
        return _pair(query["mlat"][0], query["mlon"][0])
    at = re.search(r"@(-?\d{1,3}\.\d+),(-?\d{1,3}\.\d+)", link)  # google.com/maps/@-6.2,106.8,17z
    if at:
        return _pair(at.group(1), at.group(2))
    osm = re.search(r"map=\d+/(-?\d{1,3}\.\d+)/(-?\d{1,3}\.\d+)", link)  # openstreetmap.org/#map=17/-6.2/106.8
    if osm:
        return _pair(osm.group(1), osm.group(2))
    return None


def _pair(a: str, b: str) -> tuple[float, float] | None:
    try:
        lat, lon = float(a), float(b)
    except ValueError:
        return None
    return (lat, lon) if valid_point(lat, lon) else None


def rt_rw(text: str) -> tuple[str | None, str | None]:
    rt = rw = None
    for match in RT_RW.finditer(text):
        if match.group(1):
            rt, rw = rt or match.group(1).zfill(2), rw or match.group(2).zfill(2)
        elif match.group(3):
            rw = rw or match.group(3).zfill(2)
        elif match.group(4):
            rt = rt or match.group(4).zfill(2)
    return rt, rw


def address_phrase(text: str, ordinary_words: frozenset[str] | set[str] = frozenset()) -> str | None:
    """The address as written: a street or gang, else a landmark phrase, with RT/RW."""
    phrases = []
    for street in STREET.finditer(text):
        name = street.group(1).strip()
        first = name.split()[0].lower().strip(".") if name else ""
        if name and (name[0].isupper() or name[0].isdigit() or first not in ordinary_words):
            phrases.append(street.group(0).strip(" ,.;") + _lowercase_rest(text, street.end(), ordinary_words))
            break
    if not phrases:
        for landmark in LANDMARK_PHRASE.finditer(text):
            if not re.match(r"(?i)r[tw]\b", landmark.group(1)):
                phrases.append(landmark.group(0).strip(" ,.;"))
                break
    rt_match = RT_RW.search(text)
    if rt_match:
        phrases.append(rt_match.group(0).strip())
    return ", ".join(phrases)[:200] or None


NEXT_WORD = re.compile(r"[ \t]+([a-z][\w'-]*)")


def _lowercase_rest(text: str, position: int, ordinary_words) -> str:
    """A street name typed in lower case goes on past its first word ('jalan kebon sirih'), up to an
    ordinary word, punctuation or three more words."""
    rest = ""
    for _ in range(3):
        found = NEXT_WORD.match(text, position)
        if not found or found.group(1) in ordinary_words or found.group(1) in NOT_NAME_PARTS:
            break
        rest += " " + found.group(1)
        position = found.end()
    return rest


NOT_NAME_PARTS = frozenset("kel kelurahan kec kecamatan rt rw no nomor dekat depan samping sebelah belakang di dan yg".split())


# Inside and outside Jakarta both named: one side must weigh this much more than the other (see _weight),
# else the message is left undecided ('banjir di Jakarta dan Bekasi').
SIDE_RATIO = 1.5


class Locator:
    def __init__(self, wilayah: Wilayah, gazetteer: Gazetteer, ordinary_words: set[str] | frozenset[str] = frozenset()):
        self.wilayah = wilayah
        self.gazetteer = gazetteer
        self.ordinary_words = ordinary_words

    def locate(self, text: str, tokens: list[Token], lat=None, lon=None, *,
               address_given: bool = False) -> tuple[LocationResult, list[Mention]]:
        """Where the text places its matter. `address_given`: the text is an address given to Jakarta's gateway
        as the answer to "where?" (a conversation's reply, an Open311 address), so a street in no city named is
        taken to be in Jakarta; in a free message it may be anywhere."""
        result = LocationResult()
        result.rt, result.rw = rt_rw(text)
        result.address = address_phrase(text, self.ordinary_words)
        mentions = self.gazetteer.find_places(tokens, text)
        point = (lat, lon) if valid_point(lat, lon) else None
        if point:
            result.evidence.append("coordinates given")
        elif (typed := coordinates_in_text(text)) is not None:
            point = typed[:2]
            result.evidence.append(f"coordinates in text: {typed[2]}")
        if point:
            self.place_point(result, *point, precision="point")
            return result, [m for m in mentions if not m.provisional and m.strength > 0]
        used = self._from_mentions(result, mentions, tokens, address_given)
        return result, used

    def place_point(self, result: LocationResult, lat: float, lon: float, precision: str) -> None:
        result.lat, result.lon = lat, lon
        placement = self.wilayah.locate(lat, lon)
        if placement.inside_jakarta:
            result.precision = precision
            result.in_jakarta = True
            self._fill_codes(result, placement.kelurahan.code, placement.kecamatan.code, placement.kota.code)
            result.confidence = 0.95 if not placement.on_border else 0.8
        else:
            result.precision = precision
            result.in_jakarta = False
            result.confidence = 0.95
            result.evidence.append("point outside DKI Jakarta")

    def _fill_codes(self, result: LocationResult, kelurahan: str | None, kecamatan: str | None, kota: str | None) -> None:
        areas = self.wilayah.areas
        result.kelurahan_code, result.kecamatan_code, result.kota_code = kelurahan, kecamatan, kota
        result.kelurahan = areas[kelurahan].name if kelurahan in areas else None
        result.kecamatan = areas[kecamatan].name if kecamatan in areas else None
        result.kota = areas[kota].name if kota in areas else None

    # -- weighing the mentions -----------------------------------------------------------------------

    def _from_mentions(self, result: LocationResult, mentions: list[Mention], tokens: list[Token],
                       address_given: bool = False) -> list[Mention]:
        if not mentions:
            if result.address and STREET.search(result.address):
                _street_without_city(result, address_given)
            return mentions
        outside_cue = any(t.text in OUTSIDE_CUES for t in tokens)
        jakarta = [m for m in mentions if m.place.kind != "outside"]
        outside = [m for m in mentions if m.place.kind == "outside"]
        units = self._named_units(outside)
        firm_jakarta = any(
            (m.marker in ("kelurahan", "kecamatan") or m.place.kind == "kota") and not m.in_street_name and not m.actor
            for m in jakarta if not m.provisional
        )
        # A Jakarta name that is also a desa or kecamatan elsewhere, said to be elsewhere: 'desa Kembangan',
        # 'Cempaka Putih, Tangerang Selatan', 'Pak Bupati, … di Kembangan'.
        kept = []
        for mention in jakarta:
            elsewhere = self._namesake_elsewhere(mention, tokens, units, outside_cue and not firm_jakarta)
            if elsewhere is not None:
                outside.append(elsewhere)
            else:
                kept.append(mention)
        jakarta = self._with_context(kept)
        outside = [m for m in (self._supported(m, units, outside_cue and not firm_jakarta) for m in outside) if m]
        used = jakarta + outside
        inside = [self._street_named(m) for m in jakarta]
        # 'Jl. Raya Pamulang' is in Pamulang; 'Jl. Bekasi Timur, Cipinang Besar Utara' is in Jakarta.
        areas_inside = [m for m in inside if m.place.kind != "province"]
        outside = [
            m for m in outside
            if not (m.in_street_name and (areas_inside or (m.place.level and m.strength < 3)))
            and not (m.towards and (areas_inside or result.address))
        ]
        inside_score = self._side_score(inside, lambda m: {m.place.kota_code} if m.place.kota_code else set())
        outside_score = self._side_score(outside, lambda m: self._kabupaten_of(m))
        if outside_score and (not inside_score or outside_score >= SIDE_RATIO * inside_score):
            # The most specific place among those that say most: 'Desa X, Kec. Y, Kab. Z' → the desa.
            top = max((m for m in outside if _weight(m) >= 0.5 * outside_score), key=_specificity)
            result.in_jakarta = False
            result.outside_place = self._region(top, units) or top.place.name
            result.precision = "none"
            result.confidence = 0.85 if top.strength >= 2 else 0.7
            result.evidence.append(f"outside DKI Jakarta: {top.text} ({result.outside_place})")
            return used
        if outside_score and inside_score < SIDE_RATIO * outside_score:
            result.evidence.append(
                "inside and outside DKI Jakarta both named: " + ", ".join(m.text for m in [*inside, *outside])
            )
            return used
        named_city = [m for m in inside if m.place.kind == "province"]
        inside = areas_inside
        if not inside:
            if named_city:
                result.in_jakarta = True
                result.confidence = 0.5
                result.evidence.append("Jakarta named, no place within it")
                return used
            if result.address and STREET.search(result.address) and not outside:
                _street_without_city(result, address_given)
            return used
        chosen = self._choose(inside)
        result.in_jakarta = True
        result.evidence.extend(f"{m.place.kind}: {m.text}" for m in inside)
        place = chosen.place
        if place.kind in ("landmark", "street"):
            result.lat, result.lon = place.lat, place.lon
            result.precision = place.kind
            if place.kind == "street":
                self._codes_for_street(result, chosen, inside)
            else:
                self._fill_codes(result, place.kelurahan_code, place.kecamatan_code, place.kota_code)
            result.confidence = 0.8 if not chosen.fuzzy else 0.65
            return used
        level = chosen.marker if chosen.marker in ("kecamatan",) and place.kind == "kelurahan" else place.kind
        if level == "kecamatan" and place.kind == "kelurahan":  # 'kec. Menteng' named the kecamatan
            place = self.gazetteer.by_code(place.kecamatan_code) or place
        self._fill_codes(
            result,
            place.kelurahan_code if place.kind == "kelurahan" else None,
            place.kecamatan_code if place.kind in ("kelurahan", "kecamatan") else None,
            place.kota_code,
        )
        result.precision = place.kind
        result.lat, result.lon = place.lat, place.lon
        result.confidence = {"kelurahan": 0.75, "kecamatan": 0.7, "kota": 0.6}[place.kind] - (0.1 if chosen.fuzzy else 0)
        if chosen.estate:
            result.confidence -= 0.1
        return used

    @staticmethod
    def _side_score(mentions: list[Mention], group) -> float:
        """The strongest mention, plus a little for each other place of the same kota/kabupaten named
        ('Pasar Cipulir, Kebayoran Lama, Jakarta Selatan'); a list of different cities adds nothing."""
        if not mentions:
            return 0.0
        top = max(mentions, key=_weight)
        home = group(top)
        others = {m.place.key for m in mentions if m.place.key != top.place.key and home and group(m) & home}
        return _weight(top) + 0.5 * min(len(others), 4)

    def _kabupaten_of(self, mention: Mention) -> set[str]:
        place = mention.place
        if place.level:
            return {c[:5] for c in place.codes if len(c) >= 5}
        code = self.gazetteer.unit_code((place.region or "").split(",")[0])
        return {code} if code else set()

    def _named_units(self, outside: list[Mention]) -> set[str]:
        """Codes of the provinces, kabupaten/kota and kecamatan outside Jakarta that the message names."""
        units: set[str] = set()
        for mention in outside:
            place = mention.place
            if place.level in ("provinsi", "kabupaten_kota") or (place.level == "kecamatan" and mention.strength >= 2):
                units.update(place.codes)
            elif place.level is None and place.region:  # outside_places.csv: 'Kota Bekasi, Jawa Barat'
                for part in place.region.split(","):
                    code = self.gazetteer.unit_code(part)
                    if code:
                        units.add(code)
        return units

    @staticmethod
    def _in_units(codes: tuple[str, ...], units: set[str]) -> tuple[str, ...]:
        """The codes that lie in the most specific unit named: its kecamatan, else kabupaten, else province."""
        if not units:
            return ()
        for length in (8, 5, 2):
            within = tuple(c for c in codes if c[:length] in units)
            if within:
                return within
        return ()

    def _namesake_elsewhere(self, mention: Mention, tokens: list[Token], units: set[str], cue: bool) -> Mention | None:
        if mention.in_street_name or mention.place.kind not in ("kelurahan", "kecamatan", "landmark"):
            return None
        if not (units or cue or mention.desa_marker):
            return None
        namesake = self.gazetteer.namesake(tokens[mention.start : mention.end])
        if namesake is None:
            return None
        supported = self._in_units(namesake.codes, units)
        if mention.marker in ("kelurahan", "kecamatan"):
            # 'Kel. Kalibaru, Kec. Medan Satria': only when its own kecamatan or kabupaten elsewhere is named
            if not any(c[:5] in units or c[:8] in units for c in supported):
                return None
        elif not (mention.desa_marker or supported or cue):
            return None
        return replace(mention, place=namesake, strength=3 if mention.desa_marker else 2, provisional=False)

    def _supported(self, mention: Mention, units: set[str], cue: bool) -> Mention | None:
        """A desa named bare counts only beside its kabupaten/province, or where a bupati or desa is spoken of."""
        if mention.strength >= 2 or mention.place.level is None:
            return mention
        if self._in_units(mention.place.codes, units) or cue:
            return replace(mention, strength=2)
        return mention if mention.strength > 0 else None

    def _with_context(self, jakarta: list[Mention]) -> list[Mention]:
        """Ordinary words ('baru', 'tengah') count only beside their kecamatan or kota; an estate named after
        a kelurahan ('Komplek Cipinang Indah') says only its kota unless the kecamatan is named too."""
        firm = [m for m in jakarta if not m.provisional and not m.estate]
        named = {m.place.key: m for m in firm if m.place.kind in ("kecamatan", "kota")}
        kept = []
        for mention in jakarta:
            place = mention.place
            if mention.provisional:
                beside = [named[c] for c in (place.kecamatan_code, place.kota_code) if c in named]
                if mention.text.lower() in STRICT_ORDINARY:  # 'baru': only right beside it ('Baru, Pasar Rebo')
                    beside = [m for m in beside if 0 <= m.start - mention.end <= 1 or 0 <= mention.start - m.end <= 1]
                if beside:
                    kept.append(replace(mention, provisional=False))
                continue
            if mention.estate and place.kind == "kelurahan":
                if place.kecamatan_code in named or any(m.place.key == place.key for m in firm):
                    kept.append(replace(mention, estate=False))
                    continue
                # 'komplek Pondok Kelapa': its kecamatan; 'Cipinang Indah', a brand: only its kota
                wider = self.gazetteer.by_code((place.kota_code if mention.estate_brand else place.kecamatan_code) or "")
                if wider is not None:
                    kept.append(replace(mention, place=wider))
                continue
            kept.append(mention)
        return kept

    def _region(self, mention: Mention, units: set[str]) -> str | None:
        """'Kota Bekasi, Jawa Barat'; 'Desa Sukamaju, Kec. Cibadak, Kab. Sukabumi, Jawa Barat'."""
        place = mention.place
        if place.level is None:
            return place.region
        names = self.gazetteer.unit_names
        codes = self._in_units(place.codes, units) or place.codes
        if place.level == "provinsi":
            return place.name
        if place.level == "kabupaten_kota":
            code = codes[0]
            return ", ".join(x for x in (names.get(code), names.get(code[:2])) if x)
        prefix = "Kec."
        if place.level == "desa":
            prefix = "Kel." if all(c in place.urban for c in codes) else "Desa"
        kecamatan = {c[:8] for c in codes}
        kabupaten = {c[:5] for c in codes}
        provinces = {c[:2] for c in codes}
        parts = [f"{prefix} {place.name}"]
        if place.level == "desa" and len(kecamatan) == 1:
            parts.append(f"Kec. {names.get(next(iter(kecamatan)), '?')}")
        if len(kabupaten) == 1:
            kab = names.get(next(iter(kabupaten)), "")
            parts.append(kab.replace("Kabupaten ", "Kab. "))
        if len(provinces) == 1:
            parts.append(names.get(next(iter(provinces)), ""))
        return ", ".join(p for p in parts if p)

    # -- inside Jakarta ----------------------------------------------------------------------------

    def _codes_for_street(self, result: LocationResult, street: Mention, inside: list[Mention]) -> None:
        """A street crosses many kelurahan: an area named beside it decides, else only the
        street point's kecamatan is claimed."""
        areas = [m for m in inside if m.place.kind in ("kelurahan", "kecamatan")]
        if areas:
            area = min(areas, key=lambda m: (m.place.kind != "kelurahan", m.start)).place
            kelurahan = area.key if area.kind == "kelurahan" else None
            self._fill_codes(result, kelurahan, area.kecamatan_code, area.kota_code)
            if area.kecamatan_code != street.place.kecamatan_code:  # the street's point is elsewhere on it
                result.lat, result.lon = area.lat, area.lon
                result.precision = area.kind
            return
        self._fill_codes(result, None, street.place.kecamatan_code, street.place.kota_code)

    def _street_named(self, mention: Mention) -> Mention:
        """An area in a street's name places the problem near that area, not in its kelurahan."""
        if not mention.in_street_name or mention.place.kind != "kelurahan":
            return mention
        kecamatan = self.gazetteer.by_code(mention.place.kecamatan_code or "")
        if kecamatan is None:
            return mention
        return replace(mention, place=kecamatan, marker=None)

    def _choose(self, inside: list[Mention]) -> Mention:
        """The most specific mention, preferring one consistent with the others. A kelurahan or kecamatan
        the writer named ('kel. Kramat') outranks a landmark or street elsewhere ('dekat RS St Carolus',
        in Paseban); a landmark inside the named area still gives the point."""
        rank = {"street": 1, "landmark": 0, "kelurahan": 2, "kecamatan": 3, "kota": 4}

        def specificity(mention: Mention) -> int:
            kind = mention.place.kind
            if kind == "kelurahan" and mention.marker == "kecamatan":
                return rank["kecamatan"]
            return rank[kind]

        def consistent(mention: Mention) -> int:
            place: Place = mention.place
            others = [m.place for m in inside if m is not mention]
            score = 0
            for other in others:
                if other.kind == "kecamatan" and place.kecamatan_code == other.key:
                    score += 1
                if other.kind == "kota" and place.kota_code == other.key:
                    score += 1
            return score

        named = [m for m in inside if m.marker in ("kelurahan", "kecamatan") and m.place.kind in ("kelurahan", "kecamatan")
                 and not m.in_street_name]
        candidates = inside
        if named:
            area = min(named, key=specificity)
            level = "kecamatan" if specificity(area) == rank["kecamatan"] else "kelurahan"
            code = area.place.kecamatan_code if level == "kecamatan" else area.place.kelurahan_code

            def within(mention: Mention) -> bool:
                place = mention.place
                if place.kind not in ("landmark", "street", "kelurahan"):
                    return True
                if place.kind == "street":
                    return place.kecamatan_code == area.place.kecamatan_code
                return (place.kecamatan_code if level == "kecamatan" else place.kelurahan_code) == code

            candidates = [m for m in inside if within(m)] or named
        return min(candidates, key=lambda m: (specificity(m), m.marker is None, -consistent(m), m.fuzzy, m.start))


def _specificity(mention: Mention) -> tuple[int, float]:
    level = mention.place.level
    order = {"desa": 4, "kecamatan": 3, "kabupaten_kota": 2, "provinsi": 1}.get(level or "", 2)
    return order, _weight(mention)


def _weight(mention: Mention) -> float:
    """What one mention says about the side (inside or outside Jakarta) the problem is on."""
    place = mention.place
    if place.kind == "outside":
        weight = float(mention.strength) if place.level else 2.0
    elif place.kind == "street":
        weight = 1.0  # Jl. Sudirman, Jl. Gajah Mada: most cities have one, so a city named elsewhere outweighs it
    else:
        weight = 2.0 + (1.0 if mention.marker in ("kelurahan", "kecamatan") else 0.0)
        if mention.provisional:
            weight = 0.5
    if mention.in_street_name or mention.estate:
        weight *= 0.5
    if (mention.towards and place.kind == "outside") or mention.source or mention.actor:
        weight *= 0.25  # 'arah Bekasi', 'kiriman dari Bogor', 'Pemprov DKI'; 'banjir ke Jakarta' is still Jakarta
    if mention.cued:
        weight *= 1.5
    return weight


def _street_without_city(result: LocationResult, address_given: bool) -> None:
    """A street we do not know, in no city named. Given as the answer to Jakarta's "where?", it is in Jakarta,
    place unknown. In a free message it may be anywhere (every city has its Jl. Sudirman): whether it is in
    Jakarta stays open, and the citizen is asked where it is."""
    if address_given:
        result.in_jakarta = True
        result.confidence = 0.5
        result.evidence.append("street address given to Jakarta's gateway")
    else:
        result.confidence = 0.3
        result.evidence.append("street address, no city named")
