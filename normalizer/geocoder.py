"""The offline gazetteer as a geopy `Geocoder`, for code that expects geopy.

`geocode("depan Stasiun Manggarai")` → a geopy `Location` with the codes in `raw`; `reverse((lat, lon))`
→ the kelurahan containing the point. An optional online geopy geocoder (e.g. Nominatim on a
configured server) is asked only for what the gazetteer cannot place; its answers are checked
against Jakarta's polygons and never snapped into Jakarta.
"""

from __future__ import annotations

import logging

from geopy.exc import GeocoderServiceError
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from normalizer.core import Normalizer
from normalizer.location import LocationResult

log = logging.getLogger(__name__)


class JakartaGazetteer(Geocoder):
    def __init__(self, normalizer: Normalizer, fallback: Geocoder | None = None):
        super().__init__()
        self.normalizer = normalizer
        self.fallback = fallback

    def geocode(self, query: str, *, exactly_one: bool = True, timeout: float | None = None):
        result = self.normalizer.locate_text(str(query))
        location = _location(result) if result.lat is not None else None
        if location is None and result.in_jakarta is not False and self.fallback is not None:
            location = self._ask_fallback(str(query), timeout)
        if location is None:
            return None
        return location if exactly_one else [location]

    def prefetched(self, queries) -> JakartaGazetteer:
        """This gazetteer with the online fallback's answers to `queries` fetched now, and nothing asked online
        later: the network part of geocoding done before a database transaction, the rest inside it. A query
        not fetched now gets the gazetteer's answer alone."""
        if self.fallback is None:
            return self
        asked = {str(query) for query in queries if query and str(query).strip()}
        return JakartaGazetteer(self.normalizer, fallback=_Answers({query: self._fetched(query) for query in asked
                                                                   if self._needs_fallback(query)}))

    def _fetched(self, query: str) -> Location | None:
        """The fallback's answer; none when it is down (the report is placed without it, as with no answer)."""
        try:
            return self.fallback.geocode(query, exactly_one=True)
        except GeocoderServiceError as error:
            log.warning("online geocoder unavailable: %s", type(error).__name__)
            return None

    def _needs_fallback(self, query: str) -> bool:
        result = self.normalizer.locate_text(query)
        return result.lat is None and result.in_jakarta is not False

    def reverse(self, query, *, exactly_one: bool = True, timeout: float | None = None):
        point = Point(query)
        result = LocationResult()
        self.normalizer.locator.place_point(result, point.latitude, point.longitude, "point")
        if not result.in_jakarta:
            return None
        location = _location(result)
        return location if exactly_one else [location]

    def _ask_fallback(self, query: str, timeout: float | None) -> Location | None:
        found = self.fallback.geocode(query, exactly_one=True, timeout=timeout)
        if found is None:
            return None
        result = LocationResult()
        self.normalizer.locator.place_point(result, found.latitude, found.longitude, "point")
        raw = {**_raw(result), "source": "fallback", "fallback_address": found.address}
        address = _address(result) if result.in_jakarta else found.address
        return Location(address, (found.latitude, found.longitude, 0), raw)


class _Answers(Geocoder):
    """An online geocoder's answers, fetched in advance (`JakartaGazetteer.prefetched`)."""

    def __init__(self, answers: dict[str, Location | None]):
        super().__init__()
        self.answers = answers

    def geocode(self, query: str, *, exactly_one: bool = True, timeout: float | None = None):
        return self.answers.get(str(query))


def _address(result: LocationResult) -> str:
    parts = [
        f"Kel. {result.kelurahan}" if result.kelurahan else None,
        f"Kec. {result.kecamatan}" if result.kecamatan else None,
        result.kota,
        "DKI Jakarta" if result.in_jakarta else result.outside_place,
    ]
    return ", ".join(p for p in parts if p)


def _raw(result: LocationResult) -> dict:
    return {key: value for key, value in result.as_dict().items() if key != "evidence"}


def _location(result: LocationResult) -> Location:
    return Location(_address(result), (result.lat, result.lon, 0), {**_raw(result), "source": "gazetteer"})
