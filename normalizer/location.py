"""Where the problem is: from given coordinates, coordinates or map links in the text, landmarks,
streets and area names — or recognised as outside DKI Jakarta, never guessed into it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from normalizer.gazetteer import Gazetteer, Mention, Place
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
            phrases.append(street.group(0).strip(" ,.;"))
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


class Locator:
    def __init__(self, wilayah: Wilayah, gazetteer: Gazetteer, ordinary_words: set[str] | frozenset[str] = frozenset()):
        self.wilayah = wilayah
        self.gazetteer = gazetteer
        self.ordinary_words = ordinary_words

    def locate(self, text: str, tokens: list[Token], lat=None, lon=None) -> tuple[LocationResult, list[Mention]]:
        result = LocationResult()
        result.rt, result.rw = rt_rw(text)
        result.address = address_phrase(text, self.ordinary_words)
        mentions = self.gazetteer.find_places(tokens)
        point = (lat, lon) if valid_point(lat, lon) else None
        if point:
            result.evidence.append("coordinates given")
        elif (typed := coordinates_in_text(text)) is not None:
            point = typed[:2]
            result.evidence.append(f"coordinates in text: {typed[2]}")
        if point:
            self.place_point(result, *point, precision="point")
            return result, mentions
        self._from_mentions(result, mentions)
        return result, mentions

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

    def _from_mentions(self, result: LocationResult, mentions: list[Mention]) -> None:
        inside = [self._street_named(m) for m in mentions if m.place.kind != "outside"]
        # 'Jl. Raya Pamulang' is in Pamulang; 'Jl. Bekasi Timur, Cipinang Besar Utara' is in Jakarta.
        outside = [
            m for m in mentions
            if m.place.kind == "outside" and not (m.in_street_name and inside) and not (m.towards and (inside or result.address))
        ]
        firm = [m for m in inside if (m.marker or m.place.kind == "kota") and not m.in_street_name]
        if outside and not firm:
            place = outside[0].place
            result.in_jakarta = False
            result.outside_place = place.region or place.name
            result.precision = "none"
            result.confidence = 0.85
            result.evidence.append(f"outside DKI Jakarta: {outside[0].text} ({result.outside_place})")
            return
        named_city = [m for m in inside if m.place.kind == "province"]
        inside = [m for m in inside if m.place.kind != "province"]
        if not inside:
            if named_city and not outside:
                result.in_jakarta = True
                result.confidence = 0.5
                result.evidence.append("Jakarta named, no place within it")
                return
            if result.address and STREET.search(result.address) and not outside:
                # A street address sent to Jakarta's gateway, no other city named: Jakarta, place unknown.
                result.in_jakarta = True
                result.confidence = 0.5
                result.evidence.append("street address without another city")
            return
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
            return
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

    def _codes_for_street(self, result: LocationResult, street: Mention, inside: list[Mention]) -> None:
        """A street crosses many kelurahan: an area named beside it decides, else only the
        street point's kecamatan is claimed."""
        areas = [m for m in inside if m.place.kind in ("kelurahan", "kecamatan")]
        if areas:
            area = min(areas, key=lambda m: (m.place.kind != "kelurahan", m.start)).place
            kelurahan = area.key if area.kind == "kelurahan" else None
            self._fill_codes(result, kelurahan, area.kecamatan_code, area.kota_code)
            return
        self._fill_codes(result, None, street.place.kecamatan_code, street.place.kota_code)

    def _street_named(self, mention: Mention) -> Mention:
        """An area in a street's name places the problem near that area, not in its kelurahan."""
        if not mention.in_street_name or mention.place.kind != "kelurahan":
            return mention
        kecamatan = self.gazetteer.by_code(mention.place.kecamatan_code or "")
        if kecamatan is None:
            return mention
        return Mention(kecamatan, mention.start, mention.end, mention.text, None, mention.cued, mention.fuzzy, True)

    def _choose(self, inside: list[Mention]) -> Mention:
        """The most specific mention, preferring one consistent with the others."""
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

        return min(inside, key=lambda m: (specificity(m), m.marker is None, -consistent(m), m.fuzzy, m.start))
