"""A learned second opinion on the category, for messages the keywords are unsure about.

A multinomial logistic regression over word unigrams and bigrams (TF-IDF, sublinear, L2-normed)
trained by `benchmarks/train_category_model.py` on the labelled message sets; its weights live
in `data/category_model.json`, so scoring here is plain dictionary arithmetic (no scikit-learn at
run time, tens of microseconds a message).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Prediction:
    category: str
    probability: float


class CategoryModel:
    def __init__(self, document: dict):
        self.classes: list[str] = document["classes"]
        self.idf: dict[str, float] = document["idf"]
        self.coef: dict[str, list[float]] = document["coef"]
        self.intercept: list[float] = document["intercept"]

    @classmethod
    def load(cls, path: Path) -> CategoryModel | None:
        if not path.exists():
            return None
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def predict(self, words: list[str]) -> Prediction:
        counts: dict[str, int] = {}
        for feature in features(words):
            if feature in self.idf:
                counts[feature] = counts.get(feature, 0) + 1
        weights = {f: (1.0 + math.log(n)) * self.idf[f] for f, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        scores = list(self.intercept)
        for feature, value in weights.items():
            row = self.coef.get(feature)
            if row:
                scaled = value / norm
                for index, w in enumerate(row):
                    scores[index] += w * scaled
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        best = max(range(len(scores)), key=scores.__getitem__)
        return Prediction(self.classes[best], exps[best] / sum(exps))


def export_model(vectorizer, classifier, trained_on: list[str], min_weight: float = 0.3) -> dict:
    """A fitted scikit-learn TfidfVectorizer + LogisticRegression as the JSON `CategoryModel` reads."""
    vocabulary, idf, coef = vectorizer.vocabulary_, vectorizer.idf_, classifier.coef_
    return {
        "trained_on": trained_on,
        "classes": [str(c) for c in classifier.classes_],
        "intercept": [round(float(v), 5) for v in classifier.intercept_],
        "idf": {feature: round(float(idf[index]), 4) for feature, index in vocabulary.items()},
        "coef": {
            feature: [round(float(w), 3) for w in coef[:, index]]
            for feature, index in vocabulary.items()
            if abs(coef[:, index]).max() >= min_weight
        },
    }


def features(words: list[str]) -> list[str]:
    """Unigrams and bigrams of the normalised words (the same the training script uses)."""
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
