"""Category, type, report-or-chatter and urgency, each with a confidence and its evidence."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from normalizer.lexicon import Match, PhraseIndex, Vocabulary, phrase_tokens
from normalizer.text import DATA

PAIR_WINDOW = 5
FLOOD_CAUSES = ("saluran_air", "sampah")  # what writers blame for the water
LOW_ROAD = "jalan"  # a road under water is a flood; a puddle in a pothole is a road report
# Before 'banjir': a flood prevented, denied or feared is none. One that comes with every rain ('kalau hujan
# banjir') is a flood all the same.
NOT_A_FLOOD = frozenset(
    "agar supaya biar cegah mencegah pencegahan antisipasi tidak gak ga nggak jangan takut khawatir kuatir "
    "dikhawatirkan ditakutkan potensi berpotensi rawan sebelum".split()
)
LOCATION_WORDS = frozenset(
    "di depan belakang samping sebelah seberang dekat sekitar arah menuju dari ke area kawasan lingkungan komplek pinggir near at".split()
)


@dataclass(frozen=True)
class CategoryRule:
    """What the normalizer needs to know of one configured category."""

    code: str
    keywords: tuple[str, ...]
    negative: tuple[str, ...] = ()
    emergency: bool = False


@dataclass
class Scored:
    value: str | None
    confidence: float
    evidence: list[str] = field(default_factory=list)


def _weighted(phrase: str) -> tuple[str, float | None]:
    text, _, weight = phrase.partition("|")
    return text, float(weight) if weight else None


class Classifier:
    def __init__(self, rules: list[CategoryRule], slang: dict[str, str], cues_path: Path = DATA / "cues.yaml"):
        self.rules = {rule.code: rule for rule in rules}
        self.vocabulary = Vocabulary()
        self.categories = PhraseIndex(self.vocabulary, slang, exclusive=True)
        self.negatives = PhraseIndex(self.vocabulary, slang)
        self.pairs: list[tuple[str, str, str, float]] = []  # "a ~ b": both words near each other
        for rule in rules:
            for phrase in rule.keywords:
                if "~" in phrase:
                    self._add_pair(phrase, rule.code, slang)
                else:
                    self.categories.add(*_split(phrase, rule.code))
            for phrase in rule.negative:
                self.negatives.add(phrase, rule.code)
        self.pairs_by_first: dict[str, list[tuple[int, tuple[str, str, str, float]]]] = defaultdict(list)
        for index, pair in enumerate(self.pairs):
            self.pairs_by_first[pair[0]].append((index, pair))
        cues = yaml.safe_load(cues_path.read_text(encoding="utf-8"))
        # Area names that are everyday words; the gazetteer wants them (read here, with the other cues).
        self.place_words = {w.lower() for w in cues.get("place_words_needing_context", [])}
        self.cues = PhraseIndex(self.vocabulary, slang)
        for group in ("question", "suggestion", "complaint", "urgent"):
            for strength in ("strong", "weak", "works", "flood_depth"):
                for phrase in cues[group].get(strength, []):
                    if "~" in phrase:
                        continue
                    text, weight = _weighted(phrase)
                    self.cues.add(text, f"{group}:{strength}", weight if weight is not None else (1.0 if strength == "strong" else 0.4))
        for kind, phrases in cues["chatter"].items():  # greeting, thanks, acknowledgement, politics, spam
            for phrase in phrases:
                self.cues.add(*_split(phrase, f"chatter:{kind}"))
        self.urgent_needs_context = {" ".join(p.lower().split()) for p in cues["urgent"].get("needs_context", [])}
        self.urgent_pleas = {" ".join(p.lower().split()) for p in cues["urgent"].get("pleas", [])}
        self.urgent_needs_a_plea = {" ".join(p.lower().split()) for p in cues["urgent"].get("needs_a_plea", [])}
        self.help_words = {w for p in cues["urgent"].get("help", []) for w in phrase_tokens(p, slang)}
        self.vulnerable: dict[str, list[tuple[str, ...]]] = defaultdict(list)  # first word → whole phrases
        for phrase in cues["urgent"].get("vulnerable", []):
            tokens = phrase_tokens(phrase, slang)
            self.vulnerable[tokens[0]].append(tokens)
        self.not_urgent = PhraseIndex(self.vocabulary, slang)
        for phrase in cues["urgent"].get("not", []):
            self.not_urgent.add(phrase, "not")
        for phrase in cues["urgent"].get("past", []):
            self.not_urgent.add(phrase, "past")
        for phrase in cues["urgent"].get("over", []):
            self.not_urgent.add(phrase, "over")
        self.still = PhraseIndex(self.vocabulary, slang)
        for phrase in cues["urgent"].get("still", []):
            self.still.add(phrase, "still")
        self.hypothetical = {w for p in cues["urgent"].get("hypothetical", []) for w in phrase_tokens(p, slang)}
        self.urgent_pairs = []
        for phrase in cues["urgent"].get("strong", []) + cues["urgent"].get("flood_depth", []):
            if "~" in phrase:
                left, _, right = phrase.partition("~")
                first, second = phrase_tokens(left, slang), phrase_tokens(right, slang)
                if len(first) == 1 and len(second) == 1:
                    self.vocabulary.add([first[0], second[0]])
                    self.urgent_pairs.append((first[0], second[0]))

    def _hypothetical(self, words: list[str], start: int, also: frozenset[str] = frozenset()) -> bool:
        """A fear, condition or (with `also`) purpose in the three words before `start`."""
        return any(word in self.hypothetical or word in also for word in words[max(0, start - 3) : start])

    def _add_pair(self, phrase: str, code: str, slang: dict[str, str]) -> None:
        text, weight = _weighted(phrase)
        left, _, right = (part.strip() for part in text.partition("~"))
        first, second = phrase_tokens(left, slang), phrase_tokens(right, slang)
        if len(first) == 1 and len(second) == 1:
            self.vocabulary.add([first[0], second[0]])
            self.pairs.append((first[0], second[0], code, weight if weight is not None else 1.0))

    def _pair_matches(self, words: list[str], masked: set[int]) -> list[Match]:
        found = []
        positions: dict[str, list[int]] = defaultdict(list)
        for index, word in enumerate(words):
            if index not in masked:
                positions[word].append(index)
        pairs = self.pairs_by_first
        candidates = sorted(pair for word in positions if word in pairs for pair in pairs[word])  # in listed order
        for _, (first, second, code, weight) in candidates:
            if second not in positions:
                continue
            near = next(_near(positions[first], positions[second]), None)
            if near:
                a, b = near
                if any(i and words[i - 1] in LOCATION_WORDS for i in (a, b)):
                    weight /= 3  # 'di pinggir kali': one of the two only says where
                found.append(Match(code, f"{first}~{second}", min(a, b), max(a, b) + 1, weight))
        return found

    def match(self, words: list[str], masked: set[int]) -> tuple[list[Match], list[Match]]:
        """Category matches (minus negative phrases and place names) and cue matches.

        A keyword right after a location word ('depan SDN', 'dekat puskesmas') describes where,
        not what: it counts for a third.
        """
        negatives = self.negatives.find(words)
        category_matches = []
        for match in self.categories.find(words):
            span = set(range(match.start, match.end))
            if span & masked:
                continue
            if any(n.label == match.label and n.start < match.end and match.start < n.end for n in negatives):
                continue
            if match.start and words[match.start - 1] in LOCATION_WORDS:
                match = Match(match.label, match.phrase, match.start, match.end, match.weight / 3)
            category_matches.append(match)
        category_matches += self._pair_matches(words, masked)
        return category_matches, self.cues.find(words)

    def category(self, matches: list[Match]) -> tuple[Scored, list[str]]:
        """Main category and the other problems named, by summed phrase weight."""
        scores: dict[str, float] = defaultdict(float)
        first: dict[str, int] = {}
        evidence: dict[str, list[str]] = defaultdict(list)
        for match in matches:
            scores[match.label] += match.weight
            first.setdefault(match.label, match.start)
            evidence[match.label].append(match.phrase)
        if not scores:
            return Scored(None, 0.0), []
        ranked = sorted(scores, key=lambda code: (-scores[code], first[code]))
        top = ranked[0]
        second = scores[ranked[1]] if len(ranked) > 1 else 0.0
        strength = min(1.0, scores[top] / 2.0)
        margin = scores[top] / (scores[top] + second)
        confidence = round(0.35 + 0.65 * strength * margin, 2)
        others = [code for code in ranked[1:] if scores[code] >= 1.0]
        return Scored(top, confidence, evidence[top]), others

    def flood_or_drain(self, category: Scored, matches: list[Match], words: list[str]) -> Scored:
        """Standing or rising water is a flood report even when the writer blames drains or garbage; a blocked or
        broken drain, river or embankment with no flooding described (or only one feared or to be prevented:
        'agar tidak banjir', 'takut banjir') is a drain report."""
        flooded = any(match.label == "banjir" and not NOT_A_FLOOD.intersection(words[max(0, match.start - 3):match.start])
                      for match in matches)
        drains = any(match.label == "saluran_air" for match in matches)
        water = sum(match.weight for match in matches if match.label == "banjir")
        road = sum(match.weight for match in matches if match.label == LOW_ROAD)
        if category.value in FLOOD_CAUSES and flooded or category.value == LOW_ROAD and flooded and water >= road:
            return Scored("banjir", category.confidence, category.evidence + ["water standing or rising"])
        if category.value == "banjir" and not flooded and drains:
            return Scored("saluran_air", category.confidence, category.evidence + ["no water standing"])
        return category

    @staticmethod
    def type_signals(cues: list[Match], text: str, word_count: int) -> list[float]:
        """What the type cues say, as numbers for the learned type head (the training script uses this too)."""
        totals = _totals(cues)
        return [totals["question:strong"], totals["question:weak"], totals["suggestion:strong"],
                totals["complaint:strong"], question_marks(text), min(word_count, 100) / 100,
                totals["suggestion:weak"], totals["suggestion:works"]]

    def report_type(self, cues: list[Match], category_score: float, text: str = "") -> Scored:
        totals = _totals(cues)
        asks = question_marks(text)
        question = totals["question:strong"] + totals["question:weak"] + asks
        suggestion = totals["suggestion:strong"]
        complaint = totals["complaint:strong"] + 0.3 * category_score
        evidence = [m.phrase for m in cues if m.label.startswith(("question", "suggestion"))] + (["?"] if asks else [])
        if suggestion >= 1 and suggestion >= question and suggestion >= 0.6 * complaint:
            return Scored("aspirasi", _confidence(suggestion, complaint), evidence)
        if (totals["question:strong"] >= 1 or asks >= 1) and question >= complaint:
            return Scored("permintaan_informasi", _confidence(question, complaint), evidence)
        if suggestion >= 1 and suggestion >= 0.6 * complaint:
            return Scored("aspirasi", _confidence(suggestion, complaint), evidence)
        if question >= 1.2 and complaint < 1.0:
            return Scored("permintaan_informasi", _confidence(question, complaint), evidence)
        return Scored("pengaduan", _confidence(complaint + 0.5, question + suggestion), [m.phrase for m in cues if m.label == "complaint:strong"])

    def news_signs(self, text: str, words: list[str]) -> str | None:
        """"dateline" or "link" for a shared headline or post about others: news of a flood is no report of one.
        None when it reads as someone's own message. A dateline or a retweet is news unless the writer speaks
        for themselves (news and public-relations posts name help too: 'bantuan evakuasi'); a link is news only
        when nobody asks for help either, as a headline in title case, else weaker (a citizen's photo on X comes
        as a link). A letter longer than any post on X that cites a link is someone's own complaint."""
        if len(words) > LETTER_LENGTH:
            return None
        own = any(w in FIRST_PERSON or (len(w) >= 6 and w.endswith("ku")) for w in words)  # 'ku': rumahku
        if own:
            return None
        if DATELINE.search(text):
            return "dateline"
        if not LINK.search(text) or any(w in self.help_words for w in words):
            return None  # a plea for help with a link is a citizen's post, whatever its capitals
        return "dateline" if _title_case(text) else "link"

    def is_report(self, cues: list[Match], category_score: float, has_location: bool, word_count: int,
                  model_probability: float = 0.0, news: bool = False) -> Scored:
        totals = _totals(cues)
        if news:
            return Scored("no", 0.7, ["news"])
        chatter = {kind: totals[f"chatter:{kind}"] for kind in ("greeting", "thanks", "politics", "spam")}
        # 'oke', 'siap' alone answer someone; in front of a longer message they only open it
        evidence = [m.phrase for m in cues if m.label.startswith("chatter")
                    and (m.label != "chatter:acknowledgement" or word_count <= ACKNOWLEDGEMENT_LENGTH)]
        problem = (category_score + totals["complaint:strong"] + totals["question:strong"] + totals["suggestion:strong"]
                   + totals["urgent:strong"])
        # An advert: two signs of one, or one with no complaint word ('program diskon' in a grievance is none)
        if chatter["spam"] >= 2 or chatter["spam"] >= 1 and category_score < 2 and totals["complaint:strong"] < 1:
            return Scored("no", 0.8, evidence)
        # Politics, unless it asks the city something about a city matter ('apa perlu dukungan DPRD' for paving)
        asks = totals["question:strong"] + totals["question:weak"] + totals["suggestion:strong"]
        if chatter["politics"] >= 1 and category_score < 2 and totals["complaint:strong"] < 1 \
                and not (asks >= 1 and (category_score >= 1 or model_probability >= 0.6)):
            return Scored("no", 0.75, evidence)
        if problem >= 1:
            return Scored("yes", min(0.95, 0.5 + 0.15 * problem), [])
        if has_location and word_count >= 4:
            return Scored("yes", 0.5, [])
        # The category model recognises a city problem in words the cues lack (greetings and thanks
        # around a real complaint are common): the surer it is, the shorter the message may be.
        bars = ((0.9, 5), (0.6, 10), (0.5, 25)) if evidence else ((0.8, 2), (0.6, 3), (0.35, 6), (0.2, 15))  # thanks or greetings alone are chatter
        if any(model_probability >= sure and word_count >= words for sure, words in bars):
            return Scored("yes", 0.55, [f"model {model_probability:.2f}"])
        return Scored("no", 0.7 if evidence else 0.55, evidence)

    def urgency(self, cues: list[Match], category: str | None, category_score: float, words: list[str] | None = None,
                report_type: str = "pengaduan", category_matches: list[Match] | None = None) -> Scored:
        """Danger to life or property happening now: not questions, suggestions, fears ('takut meledak') or a
        plea for speed ('tolong segera'), which only strengthens a danger named beside it."""
        words = words or []
        vulnerable = _names_any(words, self.vulnerable)  # people who cannot get out alone
        asks_help = vulnerable or any(word in self.help_words for word in words)
        if report_type != "pengaduan" and not asks_help:  # a question about danger is one only with a call for help
            return Scored("normal", 0.75, [])
        not_now = self.not_urgent.find(words)
        if any(match.label == "past" for match in not_now):
            return Scored("normal", 0.7, [])
        if any(match.label == "over" for match in not_now) and not self.still.find(words) and not vulnerable:
            return Scored("normal", 0.7, [])
        ruled_out = [(m.start, m.end) for m in not_now]
        evidence, pleas = [], []
        for match in cues:
            if match.label not in ("urgent:strong", "urgent:flood_depth") or self._hypothetical(words, match.start):
                continue
            if any(start < match.end and match.start < end for start, end in ruled_out):
                continue
            if match.phrase in self.urgent_needs_a_plea and not asks_help:
                continue
            if match.label == "urgent:flood_depth" and category not in ("banjir", "saluran_air"):
                continue
            if match.phrase in self.urgent_needs_context and category_score < 1:
                continue
            (pleas if match.phrase in self.urgent_pleas else evidence).append(match.phrase)
        positions: dict[str, list[int]] = defaultdict(list)
        for index, word in enumerate(words):
            positions[word].append(index)
        for first, second in self.urgent_pairs:
            if first in positions and second in positions and any(
                    not self._hypothetical(words, min(a, b)) and not any(start <= i < end for i in (a, b) for start, end in ruled_out)
                    for a, b in _near(positions[first], positions[second])):
                evidence.append(f"{first}~{second}")
        rule = self.rules.get(category or "")
        if rule is not None and rule.emergency and any(
            m.label == category and not self._hypothetical(words, m.start)
            and not any(start < m.end and m.start < end for start, end in ruled_out) for m in category_matches or []
        ):
            evidence.append(f"category {category}")
        if evidence:
            evidence += pleas
            return Scored("darurat", min(0.95, 0.6 + 0.15 * len(evidence)), evidence)
        return Scored("normal", 0.8, [])


# Signs of a shared headline or post: a news dateline ("Selasa (4/3)") or a retweet; a link is a weaker one
# (X puts an attached photo's link in the text).
DATELINE = re.compile(r"\b(?:senin|selasa|rabu|kamis|jumat|sabtu|minggu)\s*\(\d{1,2}/\d{1,2}(?:/\d{2,4})?\)|^RT\b",
                      re.IGNORECASE)
LINK = re.compile(r"https?://", re.IGNORECASE)
ACKNOWLEDGEMENT_LENGTH = 4  # words
LETTER_LENGTH = 60  # words: longer than any post on X (280 characters), so no shared headline or retweet
# Words a headline leaves in lower case; the rest of a headline's words are capitalised.
HEADLINE_LOWER = frozenset("di ke dari dan yang saat untuk dengan pada oleh atau akibat karena dalam jadi of in on at to for and the a an".split())
HEADLINE_WORD = re.compile(r"[A-Za-z][\w'-]*")
SKIPPED = re.compile(r"https?://\S+|[@#]\w+")


def _title_case(text: str) -> bool:
    """A headline: five or more capitalised words, three in four of the words a headline capitalises, and more of
    them than words in capitals (shouting is no headline; acronyms count for neither side)."""
    words = [w for w in HEADLINE_WORD.findall(SKIPPED.sub(" ", text)) if w.lower() not in HEADLINE_LOWER]
    capitals = sum(w.isupper() for w in words)
    titled = sum(w[0].isupper() and not w.isupper() for w in words)
    return titled >= 5 and titled >= 0.75 * (len(words) - capitals) and capitals < titled


FIRST_PERSON = frozenset("saya aku gw gue gua kami kita ku sy aq i my me we our us mine".split())


QUESTION_END = re.compile(
    r"(?i)\b(?:ya|yah|ga|gak|nggak|enggak|ngga|tidak|kah|sih|kak|min|dong|belum|blm|berapa|mana|apa|gimana|bagaimana|"
    r"kapan|bisa|boleh)\s*\?+"
)
ENGLISH_QUESTION = re.compile(r"(?i)(?:^|[.!?]\s+)(?:is|are|do|does|can|could|will|when|where|how|what|which)\b[^.!?]*\?")


def question_marks(text: str) -> float:
    """How much the punctuation asks: a question particle before '?' counts fully, a bare '?' less."""
    if "?" not in text:
        return 0.0
    score = 0.5
    if QUESTION_END.search(text) or ENGLISH_QUESTION.search(text):
        score += 0.7
    return score


def _split(phrase: str, label: str):
    text, weight = _weighted(phrase)
    return text, label, weight


def _names_any(words: list[str], phrases: dict[str, list[tuple[str, ...]]]) -> bool:
    """Whether one of the phrases (word tuples, by their first word) stands in the words."""
    return any(tuple(words[start : start + len(phrase)]) == phrase
               for start, word in enumerate(words) if word in phrases for phrase in phrases[word])


def _near(firsts: list[int], seconds: list[int]):
    """Pairs of positions (one from each sorted list) at most PAIR_WINDOW apart: a bisection per first, so a
    long message repeating both words costs little."""
    for a in firsts:
        low = bisect_left(seconds, a - PAIR_WINDOW)
        for b in seconds[low:]:
            if b > a + PAIR_WINDOW:
                break
            if b != a:
                yield a, b


def _totals(matches: list[Match]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for match in matches:
        totals[match.label] += match.weight
    return totals


def _confidence(winner: float, other: float) -> float:
    return round(min(0.95, 0.5 + 0.45 * winner / (winner + other + 1.0)), 2)
