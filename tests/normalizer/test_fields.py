"""Each field of the normalizer's result, on messages written the way people write."""

import pytest

from normalizer.location import coordinates_in_text, rt_rw


@pytest.fixture(scope="module")
def norm(normalizer):
    return normalizer.normalize


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("jln dpn rmh sy bolong parahhh udh seminggu", "jalan"),
        ("Trotoar ambles, aspalnya retak2", "jalan"),
        ("pohon gede miring bgt mau tumbang", "pohon"),
        ("sampahnya numpuk gk diangkut2", "sampah"),
        ("got mampet bau bgt air meluap", "saluran_air"),
        ("lampu jalan mati udh 3 hari gelap gulita", "listrik"),
        ("parkir liar di bahu jalan bikin macet, jukirnya galak", "parkir_liar"),
        ("tetangga karaoke sampe jam 2 pagi berisik bgt", "ketertiban"),
        ("banjirrr lagi nih air masuk rumah", "banjir"),
        ("ada kebakaran rumah warga", "kebakaran"),
        ("lampu merah di perempatan mati, rawan tabrakan", "perhubungan"),
        ("bus transjakarta supirnya ugal-ugalan", "transportasi_publik"),
        ("air PAM mati dari kemarin", "air_bersih"),
        ("bangunan liar berdiri di atas saluran tanpa IMB", "tata_ruang"),
        ("ada gelandangan tidur di emperan toko tiap malam", "sosial"),
        ("KJP anak saya belum cair", "pendidikan"),
        ("puskesmas antrinya lama banget, dokternya gak ada", "kesehatan"),
        ("the streetlights on my street have been out for a week", "listrik"),
        ("huge pothole near the bus stop, motorbikes keep falling", "jalan"),
        ("smpah berserakan di pinggir kali", "sampah"),
    ],
)
def test_category(norm, text, category):
    assert norm(text).category == category


def test_several_problems_main_first(norm):
    result = norm("Sampah menumpuk di pinggir jalan, sampah tidak diangkut dan baunya menyengat, lampu jalan juga mati")
    assert result.category == "sampah" and "listrik" in result.other_categories


def test_negative_phrases_are_not_the_problem(norm):
    assert norm("Kemarin jalan-jalan ke taman, lampu jalan mati semua").category == "listrik"
    assert norm("lampu merah di simpang mati total").category == "perhubungan"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Mau tanya syarat bikin KTP baru apa aja ya min?", "permintaan_informasi"),
        ("gimana caranya daftar KJP plus?", "permintaan_informasi"),
        ("Usul min, sebaiknya dibangun taman bermain di lahan kosong RW 05", "aspirasi"),
        ("Saran: perlu ditambah tempat sampah di sepanjang trotoar", "aspirasi"),
        ("jalan rusak parah dari bulan lalu, kapan diperbaiki?", "pengaduan"),
        ("Lampu jalan mati udah seminggu", "pengaduan"),
    ],
)
def test_type(norm, text, kind):
    assert norm(text).type == kind


@pytest.mark.parametrize(
    "text",
    ["Selamat pagi min 🙏", "Terima kasih pak gubernur, mantap pelayanannya", "Pilkada nanti coblos nomor 2!",
     "promo diskon 50% klik link di bio", "hahaha", ""],
)
def test_chatter_is_no_report(norm, text):
    result = norm(text)
    assert result.is_report is False and result.category is None and result.missing == []


@pytest.mark.parametrize(
    "text",
    ["Kebakaran di gang sempit, api sudah besar!", "pohon tumbang menimpa mobil, ada orang terjepit di dalam",
     "kabel listrik putus jatuh ke genangan air, anak-anak main di situ", "banjir sepinggang, lansia perlu evakuasi",
     "ada orang pingsan di halte", "Fire at the market, people trapped"],
)
def test_emergencies_are_darurat(norm, text):
    assert norm(text).urgency == "darurat"


@pytest.mark.parametrize("text", ["lampu jalan mati", "sampah numpuk", "pohon perlu dipangkas", "genangan air semata kaki"])
def test_ordinary_problems_are_normal(norm, text):
    assert norm(text).urgency == "normal"


def test_personal_data_listed_and_redacted(norm):
    text = "Assalamualaikum. Saya Budi Santoso, NIK 3174012345678901, hp 0812-3456-7890, budi@mail.com. Jalan rusak!"
    result = norm(text)
    kinds = {(p["kind"], p["value"]) for p in result.pii}
    assert {("name", "Budi Santoso"), ("nik", "3174012345678901"), ("phone", "0812-3456-7890"), ("email", "budi@mail.com")} <= kinds
    for secret in ("Budi", "Santoso", "3174012345678901", "0812-3456-7890", "budi@mail.com"):
        assert secret not in result.description and secret not in result.title


def test_clean_description_and_title(norm):
    result = norm("Assalamualaikum wr wb min @DKIJakarta, jln dpn sklh SDN 01 bolong2 bgt 😡😡 #jakarta https://t.co/x terima kasih")
    assert result.description == "Jalan depan sekolah SDN 01 berlubang banget jakarta"
    assert result.title == "Jalan depan sekolah SDN 01 berlubang banget jakarta"
    shouting = norm("SAMPAH DI DEPAN PASAR TIDAK DIANGKUT SUDAH SEMINGGU")
    assert shouting.description == "Sampah di depan pasar tidak diangkut sudah seminggu"


def test_missing_says_what_to_ask(norm):
    assert norm("lampu jalan mati").missing == ["location", "photo"]
    assert norm("lampu jalan mati", -6.1754, 106.8272, has_photo=True).missing == []
    assert "category" in norm("tolong dong ini gimana di kel. Klender").missing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lokasi -6.2088, 106.8456 jalan rusak", (-6.2088, 106.8456)),
        ("titik: 106.8456,-6.2088", (-6.2088, 106.8456)),
        ("lat -6.1754 long 106.8272", (-6.1754, 106.8272)),
        ("https://www.google.com/maps/place/X/@-6.1754,106.8272,17z", (-6.1754, 106.8272)),
        ("https://maps.google.com/?q=-6.2444,106.7993", (-6.2444, 106.7993)),
        ("https://www.openstreetmap.org/#map=18/-6.19301/106.82299", (-6.19301, 106.82299)),
        ("https://www.openstreetmap.org/?mlat=-6.16594&mlon=106.82047", (-6.16594, 106.82047)),
    ],
)
def test_coordinates_typed_or_linked(text, expected):
    found = coordinates_in_text(text)
    assert found is not None and found[:2] == pytest.approx(expected)


@pytest.mark.parametrize("text", ["harga 12.500, 13.000", "tanggal 2026.11.24", "rt 05", "-95.123, 200.456"])
def test_numbers_that_are_not_coordinates(text):
    assert coordinates_in_text(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("RT 05/RW 03", ("05", "03")), ("rt.5 rw.12", ("05", "12")), ("di RW 7", (None, "07")), ("rt005/003", ("05", "03")), ("tidak ada", (None, None))],
)
def test_rt_rw(text, expected):
    assert rt_rw(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😀😀😀🔥🔥", "x" * 100_000, "jalan rusak " * 9000, "'; DROP TABLE reports; --", "<script>alert(1)</script> sampah",
     "漢字とカタカナ banjir", "مرحبا pohon tumbang", "\x00\x01\x02", "🙏" * 5000],
)
def test_adversarial_input_never_breaks(norm, text):
    result = norm(text)
    assert result.as_dict()["type"] in ("pengaduan", "aspirasi", "permintaan_informasi")
    assert isinstance(result.description, str) and len(result.title) <= 81


def test_html_stays_text(norm):
    result = norm("<script>alert(1)</script> sampah menumpuk")
    assert result.category == "sampah"


@pytest.mark.parametrize(("lat", "lon"), [(91, 106.8), (-6.2, 181), (float("nan"), 106.8), (float("inf"), 1), ("a", "b"), (True, False)])
def test_invalid_coordinates_are_ignored(norm, lat, lon):
    result = norm("lampu jalan mati", lat, lon)
    assert result.location.precision == "none" and result.location.lat is None
