"""The learned category model: which of the city's categories a message is about, with a calibrated
probability (the conversation asks the citizen when it is low).

A linear SVM over TF-IDF features of two kinds, trained by `benchmarks/train_category_model.py` on
real citizen text (see docs/benchmarks.md): the normaliser's words (unigrams and bigrams, slang
expanded, stems) and character 3–4-grams of the raw text within word boundaries (scikit-learn's
`char_wb`, robust to misspellings). Its margins are turned into probabilities by a softmax with a
temperature fitted on cross-validated margins. The weights ship in `data/category_model.npz`, so
scoring here is NumPy arithmetic (no scikit-learn at run time).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHAR_NGRAMS = (3, 4)
_SPACES = re.compile(r"\s\s+")


@dataclass(frozen=True)
class Prediction:
    category: str
    probability: float
    probabilities: dict[str, float]


class _Part:
    """One TF-IDF block: its vocabulary, idf and coefficient rows."""

    def __init__(self, vocabulary: np.ndarray, idf: np.ndarray, coef: np.ndarray):
        self.index = {str(feature): row for row, feature in enumerate(vocabulary)}
        self.idf = idf.astype(np.float64)
        self.coef = coef.astype(np.float32)

    def scores(self, features: list[str]) -> np.ndarray | None:
        index = self.index
        found = [(row, n) for feature, n in Counter(features).items() if (row := index.get(feature)) is not None]
        if not found:
            return None
        rows = np.array([row for row, _ in found], dtype=np.int64)
        tf = np.array([n for _, n in found], dtype=np.float64)
        weights = (1.0 + np.log(tf)) * self.idf[rows]
        weights /= math.sqrt(float(weights @ weights))
        return weights.astype(np.float32) @ self.coef[rows]


class CategoryModel:
    def __init__(self, arrays):
        self.classes = [str(c) for c in arrays["classes"]]
        self.intercept = arrays["intercept"].astype(np.float32)
        self.temperature = float(arrays["temperature"])
        self.words = _Part(arrays["word_vocabulary"], arrays["word_idf"], arrays["word_coef"])
        self.chars = _Part(arrays["char_vocabulary"], arrays["char_idf"], arrays["char_coef"])

    @classmethod
    def load(cls, path: Path) -> CategoryModel | None:
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as arrays:
            return cls(arrays)

    def predict(self, words: list[str], text: str) -> Prediction:
        scores = self.intercept.copy()
        for part, found in ((self.words, features(words)), (self.chars, char_ngrams(text))):
            add = part.scores(found)
            if add is not None:
                scores += add
        scaled = scores.astype(np.float64) * self.temperature
        probabilities = np.exp(scaled - scaled.max())
        probabilities /= probabilities.sum()
        best = int(probabilities.argmax())
        return Prediction(self.classes[best], float(probabilities[best]),
                          {c: float(p) for c, p in zip(self.classes, probabilities, strict=True)})


def features(words: list[str]) -> list[str]:
    """Unigrams and bigrams of the normalised words (the same the training script uses)."""
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def char_ngrams(text: str, low: int = CHAR_NGRAMS[0], high: int = CHAR_NGRAMS[1]) -> list[str]:
    """scikit-learn's `char_wb` analyzer (lower-cased): n-grams inside each space-padded word."""
    grams = []
    for word in _SPACES.sub(" ", text.lower()).split():
        word = f" {word} "
        length = len(word)
        for n in range(low, high + 1):
            if length <= n:  # a word no longer than n counts once, whole
                grams.append(word)
                break
            grams += [word[i : i + n] for i in range(length - n + 1)]
    return grams


def export_model(path: Path, word_vectorizer, char_vectorizer, classifier, temperature: float) -> None:
    """A fitted pair of TfidfVectorizers and a linear classifier (coef_ over their stacked columns)."""
    words = len(word_vectorizer.vocabulary_)
    coef = classifier.coef_.T  # features × classes

    def vocabulary(vectorizer):
        ordered = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        return np.array(ordered, dtype=str)

    np.savez_compressed(
        path, classes=np.array(classifier.classes_, dtype=str), intercept=classifier.intercept_.astype(np.float32),
        temperature=np.float64(temperature),
        word_vocabulary=vocabulary(word_vectorizer), word_idf=word_vectorizer.idf_.astype(np.float32),
        word_coef=coef[:words].astype(np.float16),
        char_vocabulary=vocabulary(char_vectorizer), char_idf=char_vectorizer.idf_.astype(np.float32),
        char_coef=coef[words:].astype(np.float16),
    )
