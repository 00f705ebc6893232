"""A clean description for officers: greetings and sign-offs removed, slang expanded, links and
mentions dropped, personal data redacted — and a short title."""

from __future__ import annotations

import re

from normalizer.redact import redact
from normalizer.text import ELONGATION, MENTION, URL, WordCache

TITLE_LENGTH = 80

GREETING = re.compile(
    r"^\s*(?:(?:assalamu[' ]?alaikum(?:\s+wr\.?\s*wb\.?|\s+warahmatullahi\s+wabarakatuh)?|salam sejahtera|shalom|"
    r"om swastiastu|selamat\s+(?:pagi|siang|sore|malam)|pagi|siang|sore|malam|halo+|hal+o+|hai+|hi+|hello|hey|"
    r"permisi|punten|maaf mengganggu|mohon maaf(?: mengganggu)?|min|admin|mimin|kak|pak|bapak|bu|ibu|gan|sis|bro|"
    r"dear|yth\.?|kepada yth\.?|good\s+(?:morning|afternoon|evening)|excuse me)\b[\s,.!:;-]*)+",
    re.IGNORECASE,
)
SIGN_OFF = re.compile(
    r"(?:[\s,.!]*(?:terima\s*kasih|terimakasih|makasih|makasi|thanks?(?: you)?|thx|tks|trims|wassalam\w*|"
    r"wassalamu[' ]?alaikum(?:\s+wr\.?\s*wb\.?)?|salam|hormat saya|mohon (?:segera )?ditindak ?lanjuti|"
    r"mohon (?:segera )?ditindaklanjuti|mohon bantuannya|mohon perhatiannya|tolong (?:segera )?ditindak ?lanjuti|"
    r"regards|cheers|please follow up)\b[\s,.!🙏]*)+\s*$",
    re.IGNORECASE,
)
SIGN_OFF_WINDOW = 200  # characters at the end where a sign-off can be
# Where a sign-off can begin: a prefix of each of SIGN_OFF's words (separators may stand before it).
SIGN_OFF_START = re.compile(r"terima|makasi|thank|thx|tks|trims|wassalam|salam|hormat|mohon|tolong|regards|cheers|please",
                            re.IGNORECASE)
TRAILING_SEPARATORS = re.compile(r"[\s,.!]*$")
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f1e6-\U0001f1ff\u200d\ufe0f\u2300-\u23ff\u2b00-\u2bff]+"
)
HASHTAG_SIGN = re.compile(r"#(\w+)")
SPACES = re.compile(r"[ \t]+")
LINE_BREAK = re.compile(r"\s*\n\s*")
UNDOTTED_WORD = re.compile(r"\b\w+\b(?!\.)")
LETTER = re.compile(r"[^\W\d_]")
CAPITAL = re.compile(r"[A-Z\u00c0-\u00de]")


def clean_description(text: str, slang: dict[str, str], known_names: tuple[str, ...] = ()) -> str:
    text = URL.sub(" ", text)
    text = MENTION.sub(" ", text)
    capitals = len(CAPITAL.findall(text))  # counted first: most messages have too few to be shouting
    if capitals > 8 and (letters := len(LETTER.findall(text))) >= 12 and capitals > 0.7 * letters:
        text = text.lower()  # shouting: officers read it in sentence case
    text = EMOJI.sub(" ", text)
    text = HASHTAG_SIGN.sub(r"\1", text)
    text = GREETING.sub("", text)
    text = _without_sign_off(text)
    text = redact(text, known_names)
    # Slang is expanded ('dpn' → 'depan'); an abbreviation written with its dot ('Jl.', 'kel.') stays as written.
    text = UNDOTTED_WORD.sub(lambda m: _EXPANDED.get(m.group(0), slang), text)
    text = SPACES.sub(" ", text)
    text = LINE_BREAK.sub("\n", text).strip(" \n,.;:-")
    return text[:1].upper() + text[1:] if text else ""


def _without_sign_off(text: str) -> str:
    """The message without its closing thanks or salute. A sign-off ends the message, so it is tried (anchored)
    only where one of its words begins in the last characters; trying the full pattern everywhere is slow."""
    head, tail = text[:-SIGN_OFF_WINDOW], text[-SIGN_OFF_WINDOW:]
    for hint in SIGN_OFF_START.finditer(tail):
        if SIGN_OFF.match(tail, hint.start()):  # it runs to the end: the separators before it go too
            return head + TRAILING_SEPARATORS.sub("", tail[: hint.start()])
    return text


def _expand(word: str, slang: dict[str, str]) -> str:
    lowered = word.lower()
    folded = ELONGATION.sub(r"\1", lowered)
    expanded = slang.get(folded)
    if expanded is None or lowered in ("pak", "bu", "min", "admin"):
        return word if folded == lowered else _keep_case(word, folded)
    return _keep_case(word, expanded)


_EXPANDED = WordCache(_expand)


def _keep_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


# A dot after these ends no sentence: "di Jl. Kebon Sirih", "kel. Cikini", "no. 5".
ABBREVIATIONS = frozenset("""jl jln gg kel kec kab no nmr rt rw kav blk blok dr drs st sd smp sma smk pt cv bpk bp ibu bu
    pak hj h ir prof dll dsb tsb yth mt km sdr sdri""".split())
SENTENCE_END = re.compile(r"(\w*)([.!?]+)(?=\s|$)")


def first_sentence(text: str) -> str:
    for end in SENTENCE_END.finditer(text):
        word = end.group(1).lower()
        if end.group(2) == "." and (word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
            continue
        return text[: end.start(2)]
    return text


def make_title(description: str, fallback: str) -> str:
    """The first sentence, cut at a word boundary."""
    first = first_sentence(description.strip().split("\n", 1)[0])
    first = first.strip(" .,;:")
    if not first:
        return fallback
    if len(first) > TITLE_LENGTH:
        first = first[:TITLE_LENGTH].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return first[:1].upper() + first[1:]
