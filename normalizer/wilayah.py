"""DKI Jakarta's administrative areas (kota, kecamatan, kelurahan) and point-in-polygon lookup.

Built once from the shipped GeoJSON (`normalizer/data/jakarta_wilayah.geojson`, MIT, see the
licence file beside it) into a shapely STRtree; each lookup is a few microseconds. Pure: after
loading, nothing here does I/O.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from shapely import STRtree
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, unary_union
from shapely.prepared import prep

DEFAULT_GEOJSON = Path(__file__).parent / "data" / "jakarta_wilayah.geojson"
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str  # kota | kecamatan | kelurahan
    kota_code: str | None
    kecamatan_code: str | None
    centroid: tuple[float, float]  # (lat, lon)
    geometry: BaseGeometry = field(repr=False, compare=False)

    @property
    def parent_code(self) -> str | None:
        return {"kelurahan": self.kecamatan_code, "kecamatan": self.kota_code}.get(self.level)


@dataclass(frozen=True)
class Placement:
    """Where a point falls: its kelurahan (and so kecamatan and kota), or nowhere in DKI Jakarta."""

    kelurahan: Area | None
    kecamatan: Area | None = None
    kota: Area | None = None
    on_border: bool = False  # on a shared edge, or in a gap/margin of the simplified polygons

    @property
    def inside_jakarta(self) -> bool:
        return self.kelurahan is not None


OUTSIDE = Placement(kelurahan=None)


class Wilayah:
    """All areas, indexed by code and by space."""

    def __init__(self, areas: list[Area], border_tolerance_m: float = 30.0):
        self.areas = {area.code: area for area in areas}
        self.border_tolerance_m = border_tolerance_m
        self._kelurahan = sorted((a for a in areas if a.level == "kelurahan"), key=lambda a: a.code)
        self._tree = STRtree([a.geometry for a in self._kelurahan])
        # The simplified polygons leave small gaps between neighbours; a point in such a gap is
        # still in Jakarta. Filling the holes of the union tells a gap from the outside world.
        union = unary_union([a.geometry for a in self._kelurahan])
        parts = getattr(union, "geoms", [union])
        self._filled = prep(unary_union([Polygon(part.exterior) for part in parts]))

    @classmethod
    def from_geojson(cls, document: dict, border_tolerance_m: float = 30.0) -> Wilayah:
        areas = []
        for feature in document["features"]:
            props = feature["properties"]
            lon, lat = props["centroid"]
            areas.append(
                Area(
                    code=props["kode"],
                    name=props["nama"],
                    level=props["level"],
                    kota_code=props.get("kota_kode"),
                    kecamatan_code=props.get("kecamatan_kode"),
                    centroid=(lat, lon),
                    geometry=shape(feature["geometry"]),
                )
            )
        return cls(areas, border_tolerance_m)

    @classmethod
    def load(cls, path: Path = DEFAULT_GEOJSON, border_tolerance_m: float = 30.0) -> Wilayah:
        return cls.from_geojson(json.loads(Path(path).read_text(encoding="utf-8")), border_tolerance_m)

    def of_level(self, level: str) -> list[Area]:
        return sorted((a for a in self.areas.values() if a.level == level), key=lambda a: a.code)

    def locate(self, lat: float, lon: float) -> Placement:
        """The kelurahan covering (lat, lon). Points on a shared edge go to the lowest code."""
        point = Point(lon, lat)
        hits = [self._kelurahan[i] for i in self._tree.query(point, predicate="intersects")]
        if hits:
            return self._placement(min(hits, key=lambda a: a.code), on_border=len(hits) > 1)
        nearest = self._kelurahan[int(self._tree.nearest(point))]
        in_gap = self._filled.contains(point)
        if in_gap or _distance_m(nearest.geometry, point) <= self.border_tolerance_m:
            return self._placement(nearest, on_border=True)
        return OUTSIDE

    def _placement(self, kelurahan: Area, on_border: bool) -> Placement:
        return Placement(
            kelurahan=kelurahan,
            kecamatan=self.areas.get(kelurahan.kecamatan_code or ""),
            kota=self.areas.get(kelurahan.kota_code or ""),
            on_border=on_border,
        )


def _distance_m(geometry: BaseGeometry, point: Point) -> float:
    """Metres from point to geometry; degrees scaled at Jakarta's latitude (error < 0.1 %)."""
    near, _ = nearest_points(geometry, point)
    dlat = (near.y - point.y) * _METRES_PER_DEGREE
    dlon = (near.x - point.x) * _METRES_PER_DEGREE * math.cos(math.radians(point.y))
    return math.hypot(dlat, dlon)
