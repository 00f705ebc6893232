"""Personal data in free text."""

import pytest

from normalizer.redact import find_personal_data, redact


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("hubungi 081234567890 ya", "phone", "081234567890"),
        ("wa +62 812-3456-7890", "phone", "+62 812-3456-7890"),
        ("telp (021) kantor 021-5551234", "phone", "021-5551234"),
        ("NIK saya 3174012345678901", "nik", "3174012345678901"),
        ("email budi.s@mail.co.id", "email", "budi.s@mail.co.id"),
    ],
)
def test_personal_data_is_found(text, kind, value):
    assert (kind, value) in [(p.kind, p.value) for p in find_personal_data(text)]
    assert value not in redact(text)


def test_known_names_are_redacted_as_whole_words():
    text = "Saya Budi Santoso melapor, Budiman bukan saya"
    assert redact(text, ("Budi Santoso", "Budi")) == "Saya [nama] melapor, Budiman bukan saya"


@pytest.mark.parametrize(
    "text",
    ["RT 05/RW 03 jalan rusak 20 meter", "tanggal 24-11-2026 jam 08.30", "Jl. Sudirman No. 12", "-6.2, 106.8"],
)
def test_ordinary_numbers_are_kept(text):
    assert redact(text) == text


@pytest.mark.parametrize("text", [
    "Laporan JKT-2612-00042 sekarang DITANGANI oleh Kelurahan Kenari",
    "Report JKT-2601-12345 is now being handled",
    "kejadian tanggal 05-12-2026 jam 14.30, tgl 1/3/2025",
    "RT 003/RW 007 no. 12A, blok C2 no 0812",
    "kode pos 10430, lantai 12, km 25",
])
def test_tickets_dates_rt_rw_and_house_numbers_are_not_phone_numbers(text):
    assert redact(text) == text
    assert [p for p in find_personal_data(text) if p.kind == "phone"] == []


@pytest.mark.parametrize(("text", "phone"), [
    ("tiket JKT-2612-00042, hubungi saya di 0813-1111-2222", "0813-1111-2222"),
    ("call me on +62 812 3456 7890 about JKT-2612-00042", "+62 812 3456 7890"),
    ("kantor kelurahan 021 5551234", "021 5551234"),
])
def test_real_numbers_beside_a_ticket_are_still_redacted(text, phone):
    redacted = redact(text)
    assert phone not in redacted and "[nomor telepon]" in redacted
    assert "JKT-2612-00042" in redacted or "JKT" not in text
