"""Find personal data in free text and produce a redacted copy safe for officers and the public.

Covers what the gateway must never pass on: phone numbers, e-mail addresses, 16-digit NIK
(national identity numbers) and names the writer is known to have (e.g. the reporter's own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)  # starts a run: linear time
NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
# Indonesian mobile and landline numbers: +62 / 62 / 0 prefix, digits with optional separators.
PHONE = re.compile(r"(?<![\w+])(?:\+?62|0)[\s.-]?\d{2,4}(?:[\s.-]?\d{2,5}){1,3}(?!\d)")
PHONE_MIN_DIGITS = 9  # the shortest Indonesian number with its area code (021 555123); shorter runs are not phones
# Ticket numbers (JKT-2612-00042) and dates are digits too, and never personal data.
NOT_PHONES = re.compile(r"\b[A-Z]{2,5}-\d{4}-\d{4,6}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b")

# A writer introducing themselves: "saya Budi", "nama saya Siti Rahayu", "my name is …".
SELF_INTRODUCTION = re.compile(
    r"\b(?:nama\s+(?:saya|sy|aku)|saya|sy|aku|gue|gw|my\s+name\s+is|i\s+am|i'm|this\s+is)\s+"
    r"(?:adalah\s+|bernama\s+|ini\s+|yaitu\s+)?"
    r"((?:[A-Z][a-z'’]+|[A-Z]{2,})(?:\s+(?:[A-Z][a-z'’]+|bin|binti)){0,3})",
    re.IGNORECASE,
)
NOT_NAMES = frozenset(
    """warga mau ingin sudah tinggal dari bersama melapor lapor minta mohon tidak sangat pengguna pelanggan ibu bapak
    penduduk selaku orang mahasiswa karyawan pedagang sopir pengemudi ketua pengurus di ke yang adalah bukan juga
    hanya cuma sebagai akan sedang masih baru lagi sendiri pribadi kecewa heran bingung resah takut khawatir sedih
    senang bangga jakarta rt rw a an the living writing from here not so very just also reporting in at on""".split()
)

DIGIT = re.compile(r"\d")

PLACEHOLDERS = {"email": "[email]", "nik": "[NIK]", "phone": "[nomor telepon]", "name": "[nama]"}


@dataclass(frozen=True)
class PersonalData:
    kind: str  # email | nik | phone | name
    value: str


def find_personal_data(text: str, known_names: tuple[str, ...] = ()) -> list[PersonalData]:
    found: list[PersonalData] = []
    if "@" in text:
        found.extend(PersonalData("email", match.group(0)) for match in EMAIL.finditer(text))
    if DIGIT.search(text):
        found.extend(PersonalData("nik", match.group(0)) for match in NIK.finditer(text))
        found.extend(PersonalData("phone", match.group(0)) for match in phone_numbers(text))
    names = list(known_names) + introduced_names(text)
    for name in dict.fromkeys(n.strip() for n in names if n):
        if len(name) >= 3 and re.search(_word(name), text, re.IGNORECASE):
            found.append(PersonalData("name", name))
    return found


def introduced_names(text: str) -> list[str]:
    """Names the writer gives as their own (capitalised words right after 'saya', 'nama saya'…)."""
    names = []
    for match in SELF_INTRODUCTION.finditer(text):
        explicit = re.match(r"(?i)nama|my\s+name", match.group(0)) or "bernama" in match.group(0).lower()
        kept: list[str] = []
        for word in match.group(1).split():
            if word.lower() in ("bin", "binti") and kept:
                kept.append(word)
                continue
            if word.lower() in NOT_NAMES or not (word[0].isupper() or (explicit and not kept)):
                break
            kept.append(word)
        while kept and kept[-1].lower() in ("bin", "binti"):
            kept.pop()
        if kept:
            names.append(" ".join(kept))
    return names


def redact(text: str, known_names: tuple[str, ...] = ()) -> str:
    """The text with every piece of personal data replaced by a placeholder."""
    known_names = tuple(known_names) + tuple(introduced_names(text))
    if "@" in text:
        text = EMAIL.sub(PLACEHOLDERS["email"], text)
    if DIGIT.search(text):
        text = NIK.sub(PLACEHOLDERS["nik"], text)
        for match in reversed(phone_numbers(text)):
            text = text[: match.start()] + PLACEHOLDERS["phone"] + text[match.end() :]
    for name in sorted((n.strip() for n in known_names if n and len(n.strip()) >= 3), key=len, reverse=True):
        text = re.sub(_word(name), PLACEHOLDERS["name"], text, flags=re.IGNORECASE)
    return text


def phone_numbers(text: str) -> list[re.Match]:
    """Phone numbers in the text: long enough to be one, and not inside a ticket number or a date."""
    kept = [match.span() for match in NOT_PHONES.finditer(text)]
    return [
        match for match in PHONE.finditer(text)
        if sum(c.isdigit() for c in match.group(0)) >= PHONE_MIN_DIGITS
        and not any(start <= match.start() < end for start, end in kept)
    ]


def _word(phrase: str) -> str:
    return r"(?<!\w)" + r"\s+".join(re.escape(part) for part in phrase.split()) + r"(?!\w)"
