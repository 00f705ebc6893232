"""Locations from text: area names and their abbreviations, landmarks, streets, and places
outside DKI Jakarta — plus the shipped tables themselves."""

import csv

import pytest

from normalizer.text import DATA
from normalizer.wilayah import Wilayah


@pytest.fixture(scope="module")
def where(normalizer):
    return normalizer.locate_text


@pytest.mark.parametrize(
    ("text", "kelurahan", "kecamatan"),
    [
        ("banjir di kb jeruk", "31.73.05.1001", "31.73.05"),
        ("jalan rusak di kel. klender", "31.75.07.1003", "31.75.07"),
        ("sampah numpuk di Kelurahan Cengkareng Barat", "31.73.01.1001", "31.73.01"),
        ("lampu mati di kebon jerk", "31.73.05.1001", "31.73.05"),
        ("di tn abang macet parah", None, "31.71.07"),
        ("got mampet di Pasar Minggu", None, None),
        ("pohon tumbang di Menteng", "31.71.06.1001", "31.71.06"),
    ],
)
def test_area_names_with_abbreviations_typos_and_levels(where, wilayah, text, kelurahan, kecamatan):
    result = where(text)
    assert result.in_jakarta is True
    if kelurahan:
        assert result.kelurahan_code == kelurahan and result.precision == "kelurahan"
    if kecamatan:
        assert result.kecamatan_code == kecamatan


def test_a_kecamatan_marker_names_the_kecamatan_not_its_namesake_kelurahan(where):
    result = where("genangan di kec. Duren Sawit")
    assert result.precision == "kecamatan" and result.kelurahan_code is None
    assert result.kecamatan == "Duren Sawit"
    bare = where("genangan di Duren Sawit")
    assert bare.precision == "kelurahan" and bare.kelurahan == "Duren Sawit"


@pytest.mark.parametrize(
    ("text", "kota"),
    [("macet parah di Jaksel", "31.74"), ("banjir jakbar", "31.73"), ("di jakarta timur", "31.75"), ("Jakut rob lagi", "31.72")],
)
def test_kota_short_names(where, text, kota):
    result = where(text)
    assert result.in_jakarta and result.kota_code == kota and result.precision == "kota"


@pytest.mark.parametrize(
    ("text", "kelurahan"),
    [
        ("depan halte Harmoni", "31.71.01.1005"),
        ("sampah di dekat Monas", "31.71.01.1001"),
        ("dkt stasiun manggarai", None),
        ("trotoar rusak di Bundaran HI", "31.71.06.1004"),
    ],
)
def test_landmarks_give_a_point_and_their_kelurahan(where, text, kelurahan):
    result = where(text)
    assert result.in_jakarta and result.precision in ("landmark", "street") and result.lat is not None
    if kelurahan:
        assert result.kelurahan_code == kelurahan


@pytest.mark.parametrize(
    "text",
    ["Sampah numpuk di Margonda Depok", "jalan rusak di bekasi timur", "banjir di BSD", "pohon tumbang di Bogor",
     "lampu mati di Cipayung Depok", "macet di Tangerang Selatan", "jl ahmad yani bekasi berlubang"],
)
def test_places_outside_jakarta_are_recognised_not_snapped(where, text):
    result = where(text)
    assert result.in_jakarta is False
    assert result.kelurahan_code is None and result.kecamatan_code is None and result.lat is None
    assert result.outside_place


def test_a_jakarta_marker_beats_a_neighbouring_city(where):
    result = where("banjir di kel. Pondok Kelapa, perbatasan Bekasi")
    assert result.in_jakarta is True and result.kelurahan == "Pondok Kelapa"


def test_no_place_no_guess(where):
    for text in ("lampu jalan mati", "sampah menumpuk di depan rumah", "macet terus tiap pagi", "baru saja pulang kerja"):
        result = where(text)
        assert result.in_jakarta is None and result.precision == "none"


def test_address_and_rt_rw_as_written(normalizer):
    result = normalizer.normalize("Jalan rusak di Jl. Kebon Sirih Raya No. 12 RT 05/RW 03, kel. Kebon Sirih").location
    assert result.address.startswith("Jl. Kebon Sirih Raya No. 12")
    assert (result.rt, result.rw) == ("05", "03")
    assert result.kelurahan == "Kebon Sirih"


def test_given_coordinates_win_and_outside_points_stay_outside(normalizer):
    inside = normalizer.normalize("sampah di Bekasi", -6.1754, 106.8272).location
    assert inside.in_jakarta and inside.kelurahan == "Gambir" and inside.precision == "point"
    outside = normalizer.normalize("sampah di Menteng", -6.2383, 106.9756).location
    assert outside.in_jakarta is False and outside.kelurahan_code is None


def rows(name):
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("row", rows("landmarks.csv"), ids=lambda r: r["name"])
def test_every_landmark_lies_in_the_kelurahan_it_names(wilayah: Wilayah, row):
    placement = wilayah.locate(float(row["lat"]), float(row["lon"]))
    assert placement.kelurahan is not None, f"{row['name']} is outside Jakarta"
    assert placement.kelurahan.code == row["kelurahan_code"], f"{row['name']} lies in {placement.kelurahan.name}"
    assert row["kind"] in ("landmark", "street")


def test_every_outside_place_is_outside_and_named_unlike_any_jakarta_area(wilayah):
    jakarta_names = {area.name.lower() for area in wilayah.areas.values()}
    for row in rows("outside_places.csv"):
        assert wilayah.locate(float(row["lat"]), float(row["lon"])).kelurahan is None, row["name"]
        for alias in [row["name"], *row["aliases"].split("|")]:
            assert alias.strip().lower() not in jakarta_names, alias
