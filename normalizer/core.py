"""`Normalizer.normalize(text, lat, lon)`: one message in, one structured result out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from normalizer.classify import CategoryRule, Classifier, Scored
from normalizer.clean import clean_description, make_title
from normalizer.gazetteer import Gazetteer
from normalizer.lexicon import COMMON, canonical_words
from normalizer.location import LocationResult, Locator, valid_point
from normalizer.model import TextModel
from normalizer.redact import find_personal_data
from normalizer.text import DATA, load_slang, tokenize
from normalizer.wilayah import Wilayah

TYPES = ("pengaduan", "aspirasi", "permintaan_informasi")
OTHER = "lainnya"
COMPLAINT = "pengaduan"
UNSURE_TYPE = 0.5  # below it, the type head's suggestion or question needs a cue of its own


@dataclass
class NormalizedReport:
    type: str
    type_confidence: float
    is_report: bool
    is_report_confidence: float
    category: str | None
    category_confidence: float
    other_categories: list[str]
    urgency: str
    urgency_confidence: float
    location: LocationResult
    pii: list[dict[str, str]]
    description: str
    title: str
    missing: list[str]
    evidence: dict[str, list[str]] = field(default_factory=dict)
    likely_categories: list[str] = field(default_factory=list)  # the model's best three, likeliest first

    def as_dict(self) -> dict:
        return {
            "type": self.type,
            "type_confidence": self.type_confidence,
            "is_report": self.is_report,
            "is_report_confidence": self.is_report_confidence,
            "category": self.category,
            "category_confidence": self.category_confidence,
            "other_categories": self.other_categories,
            "urgency": self.urgency,
            "urgency_confidence": self.urgency_confidence,
            "location": self.location.as_dict(),
            "pii": self.pii,
            "description": self.description,
            "title": self.title,
            "missing": self.missing,
            "evidence": self.evidence,
            "likely_categories": self.likely_categories,
        }


CUES_OF_TYPE = {"pengaduan": "complaint", "aspirasi": "suggestion", "permintaan_informasi": "question"}  # evidence


class Normalizer:
    """Built once (tens of milliseconds); `normalize` is pure computation afterwards."""

    def __init__(
        self,
        rules: list[CategoryRule],
        wilayah: Wilayah,
        *,
        data_dir: Path = DATA,
        category_threshold: float = 0.5,
        category_names: dict[str, str] | None = None,
        use_model: bool = True,
    ):
        self.slang = load_slang(data_dir / "slang.csv")
        self.classifier = Classifier(rules, self.slang, data_dir / "cues.yaml")
        guarded = set(COMMON) | self.classifier.vocabulary.words | set(self.slang.values()) | self.classifier.place_words
        self.gazetteer = Gazetteer(wilayah, self.slang, guarded, data_dir)
        ordinary = set(COMMON) | self.classifier.vocabulary.words | set(self.slang) | set(self.slang.values())
        self.locator = Locator(wilayah, self.gazetteer, ordinary)
        self.category_threshold = category_threshold
        self.category_names = category_names or {}
        self.model = TextModel.load(data_dir / "category_model.npz") if use_model else None

    def words(self, text: str) -> list[str]:
        """The message's words as the classifier sees them (slang expanded, stems, spelling)."""
        return canonical_words(tokenize(text, self.slang), self.classifier.vocabulary)

    def normalize(self, text: str, lat: float | None = None, lon: float | None = None, *, has_photo: bool = False,
                  known_names: tuple[str, ...] = ()) -> NormalizedReport:
        text = text if isinstance(text, str) else ""
        if lat is not None or lon is not None:
            if not valid_point(lat, lon):
                lat = lon = None  # out of range or not numbers: ignored, the text may still place it
        tokens = tokenize(text, self.slang)
        location, mentions = self.locator.locate(text, tokens, lat, lon)
        masked = {i for m in mentions if m.end - m.start > 1 for i in range(m.start, m.end)}
        words = canonical_words(tokens, self.classifier.vocabulary)
        category_matches, cues = self.classifier.match(words, masked)
        category, others = self.classifier.category(category_matches)
        category_score = sum(m.weight for m in category_matches if m.label == category.value)
        has_location = location.precision != "none" or location.in_jakarta is False
        encoded = self.model.encode(words, text) if self.model is not None else None
        guess = self.model.predict(words, text, encoded) if self.model is not None else None
        # Shared news is no report; but a bare link beside a danger now is a photo of it, not news.
        sign = self.classifier.news_signs(text, words)
        as_complaint = (self.classifier.urgency(cues, category.value, category_score, words, "pengaduan", category_matches)
                        if sign == "link" else None)
        news = sign == "dateline" or as_complaint is not None and as_complaint.value != "darurat"
        report = self.classifier.is_report(cues, category_score, has_location, len(tokens),
                                           _city_matter(guess), news=news)
        is_report = report.value == "yes"
        kind = self._report_type(cues, category_score, text, words, encoded) if is_report else Scored("pengaduan", 0.5)
        if not is_report:
            urgency = Scored("normal", 0.8)
        elif as_complaint is not None and kind.value == "pengaduan":  # already read, for the news check
            urgency = as_complaint
        else:
            urgency = self.classifier.urgency(cues, category.value, category_score, words, kind.value, category_matches)
        if kind.value == "permintaan_informasi" and location.precision == "none" and location.confidence <= 0.5:
            location.in_jakarta = None  # 'di Jakarta' in a question says nothing about where a problem is
        if is_report and guess is not None:
            category = self._with_model(category, guess)
        category = self.classifier.flood_or_drain(category, category_matches, words)
        others = [code for code in others if code != category.value]
        if is_report and category.value is None and kind.value == "pengaduan" and len(tokens) >= 3:
            category = Scored("lainnya", 0.3, [])
        if not is_report:
            category, others = Scored(None, 0.0), []
        pii = [{"kind": p.kind, "value": p.value} for p in find_personal_data(text, known_names)]
        description = clean_description(text, self.slang, known_names)
        title = make_title(description, self.category_names.get(category.value or "", "Laporan"))
        return NormalizedReport(
            type=kind.value,
            type_confidence=kind.confidence,
            is_report=is_report,
            is_report_confidence=report.confidence,
            category=category.value,
            category_confidence=category.confidence,
            other_categories=others,
            urgency=urgency.value,
            urgency_confidence=urgency.confidence,
            location=location,
            pii=pii,
            description=description,
            title=title,
            missing=self._missing(is_report, category, location, has_photo),
            likely_categories=sorted(guess.probabilities, key=guess.probabilities.get, reverse=True)[:3]
            if guess is not None and is_report else [],
            evidence={
                "category": category.evidence,
                "type": kind.evidence,
                "is_report": report.evidence,
                "urgency": urgency.evidence,
                "location": location.evidence,
            },
        )

    def _report_type(self, cues, category_score: float, text: str, words: list[str], encoded) -> Scored:
        """The learned type head when the model has one (on real text it beat the cue rules), else the rules."""
        if encoded is None or self.model.type_head is None:
            return self.classifier.report_type(cues, category_score, text)
        guess = self.model.type_head.predict(encoded, self.classifier.type_signals(cues, text, len(words)))
        evidence = [m.phrase for m in cues if m.label.startswith(CUES_OF_TYPE[guess.category])]
        if guess.category != COMPLAINT and guess.probability < UNSURE_TYPE and not any(
                m.label == f"{CUES_OF_TYPE[guess.category]}:strong" for m in cues) \
                and any(m.label == "complaint:strong" for m in cues):
            # an unsure suggestion or question with no sign of one, beside a plain defect: most messages are complaints
            complaint = [m.phrase for m in cues if m.label == "complaint:strong"]
            return Scored(COMPLAINT, round(guess.probabilities[COMPLAINT], 2), complaint + [f"model {guess.probability:.2f}"])
        return Scored(guess.category, round(guess.probability, 2), evidence + [f"model {guess.probability:.2f}"])

    @staticmethod
    def _with_model(keywords: Scored, guess) -> Scored:
        """The model's category and calibrated probability; the keywords' evidence when they agree. (On real
        text the model beat even the keywords' surest calls.)"""
        evidence = keywords.evidence if keywords.value == guess.category else []
        return Scored(guess.category, round(guess.probability, 2), evidence + [f"model {guess.probability:.2f}"])

    def locate_text(self, text: str) -> LocationResult:
        """Only the location part: what the gazetteer makes of a place description given as an address (a street
        in no city named counts as Jakarta's here, unlike in a free message)."""
        location, _mentions = self.locator.locate(text, tokenize(text, self.slang), address_given=True)
        return location

    def _missing(self, is_report: bool, category: Scored, location: LocationResult, has_photo: bool) -> list[str]:
        if not is_report:
            return []
        missing = []
        if location.in_jakarta is None or location.precision in ("none", "kota", "kecamatan"):
            if location.in_jakarta is not False:
                missing.append("location")
        if category.value in (None, "lainnya") or category.confidence < self.category_threshold:
            missing.append("category")
        if not has_photo:
            missing.append("photo")
        return missing


def _city_matter(guess) -> float:
    """How sure the model is that the message names one of the city's problems ('lainnya' names none)."""
    return guess.probability if guess is not None and guess.category != OTHER else 0.0
