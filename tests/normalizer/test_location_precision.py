"""Location from text alone, where it used to go wrong: a named kelurahan against a landmark, ordinary
words that are also place names, housing estates, places elsewhere in Indonesia (desa, kecamatan,
kabupaten, a bupati addressed), Jakarta names that repeat elsewhere, and messages naming both
Jakarta and a neighbouring city. Every example here is invented for the test."""

import pytest

from normalizer.gazetteer import ordinary_words, root_words
from normalizer.text import DATA


@pytest.fixture(scope="module")
def where(normalizer):
    return normalizer.locate_text


# -- 1. a kelurahan or kecamatan the writer names outranks a landmark elsewhere ------------------------


@pytest.mark.parametrize(
    ("text", "kelurahan", "kecamatan"),
    [
        ("got mampet di kel. Gondangdia, deket Stasiun Cikini", "Gondangdia", "Menteng"),
        ("Lampu PJU mati, Kelurahan Kenari, dekat RS St Carolus", "Kenari", "Senen"),
        ("trotoar ambles kel kramat, samping RS St Carolus", "Kramat", "Senen"),
    ],
)
def test_a_named_kelurahan_beats_a_landmark_in_another_kelurahan(where, text, kelurahan, kecamatan):
    result = where(text)
    assert result.in_jakarta is True
    assert result.kelurahan == kelurahan and result.kecamatan == kecamatan
    assert result.precision == "kelurahan"


def test_a_named_kecamatan_beats_a_landmark_outside_it(where):
    result = where("pohon tumbang kec. Setiabudi, dekat Stasiun Tebet")
    assert result.kecamatan == "Setiabudi" and result.kelurahan is None


def test_a_landmark_inside_the_named_area_still_gives_the_point(where):
    result = where("sampah berserakan di kel. Gambir, depan Monas")
    assert result.kelurahan == "Gambir" and result.precision == "landmark" and result.lat is not None
    by_kecamatan = where("kec. Tebet, jalan rusak depan Stasiun Manggarai")
    assert by_kecamatan.precision == "landmark" and by_kecamatan.kecamatan == "Tebet"


# -- 2. ordinary words are not places on their own ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "baru pulang kerja, jalan depan rumah rusak lagi",
        "ada lubang besar di tengah jalan, bahaya buat motor",
        "Lubang Di Tengah Jalan Bikin Celaka",
        "kasur kapuk bekas dibuang sembarangan ke got",
        "jalan menuju bukit belakang sekolah longsor",
        "warung di gang sebelah buang sampah ke kali",
        "angin dari utara kenceng banget, genteng pada copot",
        "pedagang di pasar jualan sampe ke badan jalan",
        "tanaman duri di taman kota bikin anak luka",
        "Rambu larangan parkir ketutup pohon",
    ],
)
def test_ordinary_words_are_not_taken_for_places(where, text):
    result = where(text)
    assert result.kelurahan is None and result.kecamatan is None and result.in_jakarta is not False


@pytest.mark.parametrize(
    ("text", "kelurahan"),
    [
        ("jalan rusak di kel. Baru", "Baru"),
        ("banjir di Baru, Pasar Rebo", "Baru"),
        ("got mampet kelurahan Tengah, Kramat Jati", "Tengah"),
        ("sampah liar di Kapuk, Cengkareng", "Kapuk"),
        ("kabel menjuntai di daerah Kapuk", "Kapuk"),
        ("pohon tumbang di Jl. Kapuk Raya dekat kelurahan Kapuk", "Kapuk"),
    ],
)
def test_ordinary_words_count_with_a_marker_a_capital_after_di_or_their_kecamatan(where, text, kelurahan):
    result = where(text)
    assert result.in_jakarta is True and result.kelurahan == kelurahan


def test_a_kecamatan_named_elsewhere_in_the_message_does_not_make_a_word_its_kelurahan(where):
    result = where("antrian di kantor Kecamatan Pasar Rebo dari pagi, baru dilayani jam 12")
    assert result.kecamatan == "Pasar Rebo" and result.kelurahan is None


def test_the_word_list_comes_from_pysastrawi():
    words = root_words()
    assert len(words) > 20_000 and {"baru", "tengah", "duri", "kapuk", "bukit"} <= words
    assert "menteng" not in ordinary_words()  # in the dictionary, but in Jakarta nearly always the place


# -- 3. housing estates named after an area ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "banjir sepaha di Komplek Cipinang Indah",
        "jalan utama Perumahan Pondok Kelapa Asri rusak",
        "lampu taman mati di Griya Kebon Jeruk Asri",
    ],
)
def test_an_estate_named_after_a_kelurahan_is_not_that_kelurahan(where, text):
    result = where(text)
    assert result.in_jakarta is True and result.kelurahan is None


def test_an_estate_counts_as_its_kelurahan_with_other_evidence(where):
    result = where("saluran mampet di Perumahan Pondok Kelapa Asri, kecamatan Duren Sawit")
    assert result.kelurahan == "Pondok Kelapa"
    named = where("Komplek Cipinang Indah, kel. Pondok Bambu, got meluap")
    assert named.kelurahan == "Pondok Bambu"


def test_an_estate_whose_name_is_only_ordinary_words_is_no_place(where):
    result = where("jalan di Perum Bukit Indah licin kena lumpur")
    assert result.kelurahan is None and result.kecamatan is None


# -- 4. the rest of Indonesia: desa, kecamatan, kabupaten, a bupati ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_parts"),
    [
        ("Yth. Pak Bupati, jalan di Desa Cikembang Kec. Caringin rusak berat", ["Desa", "Cikembang"]),
        ("jembatan desa putus, lokasi Kecamatan Pundong Kabupaten Bantul", ["Pundong", "Bantul", "Yogyakarta"]),
        ("Kab. Cirebon banjir lagi, tolong pak bupati", ["Kabupaten Cirebon", "Jawa Barat"]),
        ("sampah numpuk di pinggir sungai, Kota Tegal", ["Kota Tegal", "Jawa Tengah"]),
        ("pak bupati, irigasi di Desa Sidomulyo jebol", ["Desa Sidomulyo"]),
        ("jalan provinsi di Lampung Tengah berlubang", ["Lampung Tengah"]),
    ],
)
def test_places_elsewhere_in_indonesia_are_outside(where, text, expected_parts):
    result = where(text)
    assert result.in_jakarta is False and result.kelurahan_code is None and result.lat is None
    for part in expected_parts:
        assert part in result.outside_place


def test_a_desa_beside_its_kabupaten_gets_its_full_region(where):
    result = where("pak bupati, jalan Desa Cikembang, Caringin, Kabupaten Sukabumi rusak parah")
    assert result.in_jakarta is False
    assert result.outside_place.startswith("Desa Cikembang") and "Kab. Sukabumi, Jawa Barat" in result.outside_place


def test_a_jakarta_name_said_to_a_bupati_or_called_a_desa_is_elsewhere(where):
    for text in ("Mohon bantuan Pak Bupati, banjir di Kembangan sudah seminggu", "jalan desa Kembangan rusak"):
        result = where(text)
        assert result.in_jakarta is False and "Kembangan" in result.outside_place


@pytest.mark.parametrize(
    ("text", "kecamatan"),
    [
        ("jalan rusak parah di Kembangan", "Kembangan"),
        ("lampu jalan mati di Cempaka Putih", "Cempaka Putih"),
        ("sampah numpuk di Kebon Jeruk", "Kebon Jeruk"),
        ("genangan di Menteng tiap hujan", "Menteng"),
    ],
)
def test_a_jakarta_name_that_repeats_elsewhere_stays_jakarta_without_outside_context(where, text, kecamatan):
    result = where(text)
    assert result.in_jakarta is True and result.kecamatan == kecamatan


def test_a_jakarta_name_beside_another_kabupaten_is_that_kabupaten(where):
    result = where("got mampet di Cempaka Putih, Ciputat Timur, Tangerang Selatan")
    assert result.in_jakarta is False and "Tangerang Selatan" in result.outside_place


@pytest.mark.parametrize(
    "text",
    ["banjir di Pamulang", "jalan rusak di Bojonggede", "macet parah di Cimanggis", "lampu mati di Ciledug",
     "pohon tumbang di Cibinong", "jalan ambles di Gunungsindur", "sampah di Citeureup belum diangkut",
     "genangan di Pagedangan", "banjir di Tajurhalang", "listrik padam di Jatiasih"],
)
def test_bodetabek_kecamatan_are_outside(where, text):
    result = where(text)
    assert result.in_jakarta is False and result.outside_place


def test_a_building_or_street_named_after_a_far_place_stays_in_jakarta(where):
    result = where("lift di halte Tosari mati, penumpang naik tangga")
    assert result.in_jakarta is not False
    street = where("trotoar Jl. Cirebon rusak")
    assert street.in_jakarta is not False


# -- 5. both Jakarta and a neighbouring city named --------------------------------------------------------


def test_jakarta_and_a_neighbour_named_alike_is_undecided(where):
    result = where("banjir di Jakarta dan Bekasi belum surut")
    assert result.in_jakarta is None and result.kelurahan_code is None and result.outside_place is None


def test_a_source_or_an_institution_does_not_move_the_place(where):
    result = where("banjir kiriman dari Bogor, Kampung Melayu terendam lagi")
    assert result.in_jakarta is True and result.kelurahan == "Kampung Melayu"
    helped = where("Pemprov DKI kirim pompa ke warga di Kota Bekasi yang kebanjiran")
    assert helped.in_jakarta is False and "Bekasi" in helped.outside_place


def test_the_national_names_file_ships_without_jakarta_and_with_its_licence():
    text = (DATA / "indonesia_outside_names.tsv").read_text(encoding="utf-8")
    units, names = text.split("#names\n", 1)
    codes = [line.split("\t")[0] for line in units.splitlines()[1:]]
    assert len(codes) > 7_000 and not any(code.startswith("31") for code in codes)
    assert len(names.splitlines()) > 60_000
    assert "Cahya DSN" in (DATA / "LICENSE-indonesia_wilayah_names.txt").read_text(encoding="utf-8")


# -- 6. a street in no city named --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["lampu jalan di Jl. Melati Raya no 12 mati sejak kemarin",
                                  "tolong perbaiki jalan berlubang di jalan Kenanga 3 RT 04"])
def test_an_unknown_street_in_a_free_message_may_be_anywhere(normalizer, text):
    result = normalizer.normalize(text)
    assert result.location.in_jakarta is None and "location" in result.missing


def test_a_street_given_as_the_address_is_in_jakarta(where):
    result = where("Jl. Melati Raya no 12")
    assert result.in_jakarta is True and result.kelurahan is None


# -- 7. names elsewhere that contain or resemble a Jakarta name --------------------------------------------


@pytest.mark.parametrize("text", [
    "lampu PJU mati di RT 3 kel. Dukuh Pakis",          # Dukuh Pakis (Surabaya) holds Jakarta's 'Dukuh'
    "pohon tumbang di Krembangan Utara",                # a kecamatan elsewhere, no typo of 'Kembangan Utara'
    "plengsengan sungai ambruk di belakang rumah",      # real words are no typo of 'Sungai Bambu'
    "pju padam di jalan tambang boyo",                  # nor of 'Jl. Sabang'
    "pohon rimbun di Jl. Gajah Mada no 12, Sby",        # a city named outweighs a street every city has
])
def test_places_elsewhere_are_not_taken_for_jakarta(normalizer, text):
    assert normalizer.normalize(text).location.in_jakarta is not True


@pytest.mark.parametrize(("text", "kelurahan"), [
    ("lampu mati di kebon jerk", "Kebon Jeruk"),
    ("jalan rusak di grogol indah depan sekolah", None),  # a desa elsewhere continuing a Jakarta name: Jakarta
    ("got mampet di Penjaringan, Jakarta Utara", "Penjaringan"),
    ("macet parah di Jl. Sudirman arah Bekasi", None),
])
def test_jakarta_places_and_typos_stay_in_jakarta(normalizer, text, kelurahan):
    location = normalizer.normalize(text).location
    assert location.in_jakarta is True and location.kelurahan == kelurahan


def test_a_city_abbreviation_places_the_message_outside(normalizer):
    location = normalizer.normalize("jalan berlubang depan pasar, Sby").location
    assert location.in_jakarta is False and "Surabaya" in location.outside_place
