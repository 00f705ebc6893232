"""Find personal data in free text and produce a redacted copy safe for officers and the public.

Covers what the gateway must never pass on: phone numbers, e-mail addresses, 16-digit NIK
(national identity numbers) and names the writer is known to have (e.g. the reporter's own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
# Indonesian mobile and landline numbers: +62 / 62 / 0 prefix, digits with optional separators.
PHONE = re.compile(r"(?<![\w+])(?:\+?62|0)[\s.-]?\d{2,4}(?:[\s.-]?\d{2,5}){1,3}(?!\d)")

PLACEHOLDERS = {"email": "[email]", "nik": "[NIK]", "phone": "[nomor telepon]", "name": "[nama]"}


@dataclass(frozen=True)
class PersonalData:
    kind: str  # email | nik | phone | name
    value: str


def find_personal_data(text: str, known_names: tuple[str, ...] = ()) -> list[PersonalData]:
    found: list[PersonalData] = []
    for kind, pattern in (("email", EMAIL), ("nik", NIK), ("phone", PHONE)):
        found.extend(PersonalData(kind, match.group(0)) for match in pattern.finditer(text))
    for name in known_names:
        if name and len(name.strip()) >= 3 and re.search(_word(name), text, re.IGNORECASE):
            found.append(PersonalData("name", name.strip()))
    return found


def redact(text: str, known_names: tuple[str, ...] = ()) -> str:
    """The text with every piece of personal data replaced by a placeholder."""
    text = EMAIL.sub(PLACEHOLDERS["email"], text)
    text = NIK.sub(PLACEHOLDERS["nik"], text)
    text = PHONE.sub(PLACEHOLDERS["phone"], text)
    for name in sorted((n.strip() for n in known_names if n and len(n.strip()) >= 3), key=len, reverse=True):
        text = re.sub(_word(name), PLACEHOLDERS["name"], text, flags=re.IGNORECASE)
    return text


def _word(phrase: str) -> str:
    return r"(?<!\w)" + r"\s+".join(re.escape(part) for part in phrase.split()) + r"(?!\w)"
