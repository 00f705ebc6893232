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
