"""Where reports go: the kelurahan containing the point, borders, gaps, and outside Jakarta."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from shapely.geometry import Point, Polygon
from shapely.ops import unary_union

from gateway.config import Config
from gateway.dispatch import (
    NO_LOCATION,
    ON_BORDER,
    OUTSIDE_JAKARTA,
    NamedPlace,
    emergency_unit,
    escalation_unit,
    plan_dispatch,
)
from tests.helpers import BEKASI, BLOK_M, BUNDARAN_HI, DEPOK, HALTE_HARMONI, MONAS, TANGERANG

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("where", "kelurahan", "kecamatan", "kota"),
    [
        (HALTE_HARMONI, "Kebon Kelapa", "Gambir", "Kota Administrasi Jakarta Pusat"),
        (BUNDARAN_HI, "Gondangdia", "Menteng", "Kota Administrasi Jakarta Pusat"),
        (MONAS, "Gambir", "Gambir", "Kota Administrasi Jakarta Pusat"),
        (BLOK_M, "Melawai", "Kebayoran Baru", "Kota Administrasi Jakarta Selatan"),
    ],
)
def test_checked_points_fall_in_their_kelurahan(wilayah, where, kelurahan, kecamatan, kota):
    placement = wilayah.locate(*where)
    assert (placement.kelurahan.name, placement.kecamatan.name, placement.kota.name) == (kelurahan, kecamatan, kota)
    assert not placement.on_border


def shared_vertex(wilayah, code_a, code_b):
    def vertices(area):
        polygons = getattr(area.geometry, "geoms", [area.geometry])
        return {c for p in polygons for c in p.exterior.coords}

    common = sorted(vertices(wilayah.areas[code_a]) & vertices(wilayah.areas[code_b]))
    assert common, "the two kelurahan share an edge"
    lon, lat = common[0]
    return lat, lon


@pytest.mark.parametrize(("low", "high"), [("31.71.01.1001", "31.71.04.1001"), ("31.71.01.1001", "31.71.01.1005")])
def test_a_point_on_a_shared_border_goes_to_exactly_one_kelurahan(wilayah, config, low, high):
    lat, lon = shared_vertex(wilayah, low, high)
    assert wilayah.areas[low].geometry.intersects(Point(lon, lat))
    assert wilayah.areas[high].geometry.intersects(Point(lon, lat))
    placement = wilayah.locate(lat, lon)
    assert placement.kelurahan.code == low and placement.on_border
    plan = plan_dispatch(config, wilayah, category="jalan", now=NOW, latitude=lat, longitude=lon)
    assert plan.unit_code == low and plan.review_reasons == (ON_BORDER,) and not plan.needs_review


def test_a_point_in_a_gap_between_simplified_polygons_is_still_jakarta(wilayah):
    union = unary_union([a.geometry for a in wilayah.of_level("kelurahan")])
    holes = [hole for part in union.geoms for hole in part.interiors]
    gap = max((Polygon(h) for h in holes), key=lambda p: p.area)
    inside_gap = gap.representative_point()
    assert not any(a.geometry.intersects(inside_gap) for a in wilayah.of_level("kelurahan"))
    placement = wilayah.locate(inside_gap.y, inside_gap.x)
    assert placement.inside_jakarta and placement.on_border


@pytest.mark.parametrize("where", [BEKASI, DEPOK, TANGERANG, (-6.9175, 107.6191), (0.0, 0.0)], ids=["bekasi", "depok", "tangerang", "bandung", "null-island"])
def test_points_outside_jakarta_get_no_kelurahan_and_are_flagged(wilayah, config, where):
    assert wilayah.locate(*where).kelurahan is None
    plan = plan_dispatch(config, wilayah, category="jalan", now=NOW, latitude=where[0], longitude=where[1])
    assert plan.unit_code is None and plan.kelurahan_code is None
    assert plan.outside_jurisdiction and plan.needs_review and plan.review_reasons == (OUTSIDE_JAKARTA,)


def test_a_point_just_across_the_city_line_is_outside(wilayah):
    """Bekasi's side of the Jakarta Timur border, a few hundred metres east of it."""
    jakarta_timur = wilayah.areas["31.75"].geometry
    east = jakarta_timur.bounds[2]
    lat = -6.25
    assert wilayah.locate(lat, east + 0.005).kelurahan is None


def test_no_location_is_flagged_not_assigned(wilayah, config):
    plan = plan_dispatch(config, wilayah, category="sampah", now=NOW)
    assert plan.unit_code is None and not plan.outside_jurisdiction
    assert plan.needs_review and plan.review_reasons == (NO_LOCATION,)


def test_sla_comes_from_the_category_and_emergencies_get_15_minutes(wilayah, config):
    road = plan_dispatch(config, wilayah, category="jalan", now=NOW, latitude=MONAS[0], longitude=MONAS[1])
    assert road.sla_due_at == NOW + timedelta(hours=config.category("jalan").sla_hours)
    assert road.priority == "normal"
    fire = plan_dispatch(config, wilayah, category="kebakaran", now=NOW, latitude=MONAS[0], longitude=MONAS[1])
    assert fire.priority == "darurat" and fire.sla_due_at == NOW + timedelta(minutes=15)
    tree_on_car = plan_dispatch(config, wilayah, category="pohon", now=NOW, priority="darurat")
    assert tree_on_car.sla_due_at == NOW + timedelta(minutes=15)


def test_every_category_escalates_to_a_configured_service(config):
    services = {unit.code for unit in config.service_units}
    assert {escalation_unit(config, c.code) for c in config.categories} <= services
    assert escalation_unit(config, "jalan") == "DINAS-BINA-MARGA"
    assert escalation_unit(config, "ketertiban") == "SATPOL-PP"
    with pytest.raises(ValueError, match="unknown category"):
        escalation_unit(config, "ufo")


def test_an_emergency_goes_at_once_to_its_categorys_emergency_service_and_names_its_kelurahan(wilayah, config):
    fire = plan_dispatch(config, wilayah, category="kebakaran", now=NOW, latitude=MONAS[0], longitude=MONAS[1])
    assert (fire.unit_code, fire.area_unit_code, fire.kelurahan_code) == ("DINAS-GULKARMAT", "31.71.01.1001", "31.71.01.1001")
    assert fire.to_emergency_service and fire.handover_note == (
        "Darurat: langsung diteruskan ke Dinas Penanggulangan Kebakaran dan Penyelamatan")
    flood = plan_dispatch(config, wilayah, category="banjir", now=NOW, latitude=BLOK_M[0], longitude=BLOK_M[1],
                          priority="darurat")
    assert (flood.unit_code, wilayah.areas[flood.area_unit_code].name) == ("BPBD", "Melawai")
    assert emergency_unit(config, "banjir") == "BPBD" and escalation_unit(config, "banjir") == "DINAS-SDA"
    unlocated = plan_dispatch(config, wilayah, category="kebakaran", now=NOW)
    assert (unlocated.unit_code, unlocated.area_unit_code) == ("DINAS-GULKARMAT", None) and unlocated.needs_review
    kecamatan_only = plan_dispatch(config, wilayah, category="kebakaran", now=NOW,
                                   named_place=NamedPlace(True, None, "31.71.01", "31.71"))
    assert (kecamatan_only.unit_code, kecamatan_only.area_unit_code) == ("DINAS-GULKARMAT", "31.71.01")
    outside = plan_dispatch(config, wilayah, category="kebakaran", now=NOW, latitude=BEKASI[0], longitude=BEKASI[1])
    assert outside.unit_code is None and outside.outside_jurisdiction and not outside.to_emergency_service
    road = plan_dispatch(config, wilayah, category="jalan", now=NOW, latitude=MONAS[0], longitude=MONAS[1])
    assert (road.unit_code, road.area_unit_code, road.to_emergency_service) == ("31.71.01.1001", None, False)


def test_a_priority_decided_already_is_kept_even_in_an_emergency_category(wilayah, config):
    lowered = plan_dispatch(config, wilayah, category="kebakaran", now=NOW, latitude=MONAS[0], longitude=MONAS[1],
                            priority="normal", keep_priority=True)
    assert lowered.priority == "normal" and lowered.unit_code == "31.71.01.1001" and not lowered.to_emergency_service
    assert lowered.sla_due_at == NOW + timedelta(hours=config.category("kebakaran").sla_hours)


def test_every_category_has_a_configured_emergency_service_and_an_unknown_one_is_refused(config):
    services = {unit.code for unit in config.service_units}
    assert {emergency_unit(config, c.code) for c in config.categories} <= services
    assert emergency_unit(config, "kebakaran") == "DINAS-GULKARMAT"
    document = config.model_dump(mode="json")
    document["categories"][0]["emergency_service"] = "DINAS-UFO"
    with pytest.raises(ValidationError, match="categories.0.emergency_service: 'DINAS-UFO' is not a service unit"):
        Config.model_validate(document)
    del document["categories"][0]["emergency_service"]
    assert Config.model_validate(document).category("jalan").emergency_unit == "DINAS-BINA-MARGA", "unset: escalate_to"
