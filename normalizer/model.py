"""A learned text model: which of the city's categories a message is about (`data/category_model.npz`),
with a calibrated probability (the conversation asks the citizen when it is low), and, as a second head over
the same features plus the classifier's type cues, whether it is a complaint, a suggestion or a question.

A linear SVM over TF-IDF features of two kinds, trained by `benchmarks/train_models.py` on real
citizen text (see docs/benchmarks.md): the normaliser's words (unigrams and bigrams, slang expanded,
stems) and character 3–4-grams of the raw text within word boundaries (scikit-learn's `char_wb`,
robust to misspellings). Its margins are turned into probabilities by a softmax with a temperature
fitted on cross-validated margins. The type head is a logistic regression; its intercepts carry a prior
shift chosen by cross-validation (benchmarks/train_models.py) so that suggestions and questions, rare in real
text, are not drowned by complaints. Scoring here is NumPy arithmetic (no scikit-learn at run time).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

CHAR_NGRAMS = (3, 4)


@dataclass(frozen=True)
class Prediction:
    category: str
    probability: float
    probabilities: dict[str, float]


@dataclass(frozen=True)
class Encoded:
    """A message scored by every linear head at once: one gather of its feature rows, one product."""

    scores: np.ndarray  # the category columns, then the type columns


@dataclass(frozen=True)
class Head:
    """A linear head over the shared features (its columns in the shared table) and a few extra signals."""

    classes: list[str]
    columns: slice
    signal_coef: np.ndarray  # signals × classes
    intercept: np.ndarray

    def predict(self, encoded: Encoded, signals: list[float]) -> Prediction:
        scores = encoded.scores[self.columns] + self.intercept + np.asarray(signals, dtype=np.float64) @ self.signal_coef
        return _softmax(self.classes, scores)


class TextModel:
    def __init__(self, arrays):
        self.classes = [str(c) for c in arrays["classes"]]
        self.intercept = arrays["intercept"].astype(np.float64)
        self.temperature = float(arrays["temperature"])
        # Both blocks in one table: word features first, then character n-grams (rows offset past the words).
        self.word_index = {str(feature): row for row, feature in enumerate(arrays["word_vocabulary"])}
        offset = len(self.word_index)
        self.char_index = {str(gram): offset + row for row, gram in enumerate(arrays["char_vocabulary"])}
        self.idf = np.concatenate([arrays["word_idf"], arrays["char_idf"]]).astype(np.float64)
        coef = np.concatenate([arrays["word_coef"], arrays["char_coef"]]).astype(np.float32)
        self._grams_by_word: dict[str, list[int]] = {}
        self.type_head = None
        if "type_classes" in arrays.files:  # its columns sit beside the category's in one table
            classes = len(self.classes)
            self.type_head = Head([str(c) for c in arrays["type_classes"]], slice(classes, classes + arrays["type_coef"].shape[1]),
                                  arrays["type_signal_coef"].astype(np.float64), arrays["type_intercept"].astype(np.float64))
            coef = np.hstack([coef, arrays["type_coef"].astype(np.float32)])
        self.coef = np.ascontiguousarray(coef)
        self.columns = coef.shape[1]

    @classmethod
    def load(cls, path: Path) -> TextModel | None:
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as arrays:
            return cls(arrays)

    def encode(self, words: list[str], text: str) -> Encoded:
        index = self.word_index
        found = list(map(index.get, features(words)))
        word_counts = Counter(found)
        word_counts.pop(None, None)
        char_counts = Counter(self._char_rows(text))
        if not word_counts and not char_counts:
            return Encoded(np.zeros(self.columns))
        rows = np.fromiter(chain(word_counts, char_counts), dtype=np.int64, count=len(word_counts) + len(char_counts))
        tf = np.fromiter(chain(word_counts.values(), char_counts.values()), dtype=np.float64, count=len(rows))
        weights = (1.0 + np.log(tf)) * self.idf[rows]
        for block in (weights[: len(word_counts)], weights[len(word_counts) :]):  # each block L2-normed
            if len(block):
                block /= math.sqrt(float(block @ block))
        return Encoded((weights.astype(np.float32) @ self.coef[rows]).astype(np.float64))

    def predict(self, words: list[str], text: str, encoded: Encoded | None = None) -> Prediction:
        """The category."""
        encoded = encoded if encoded is not None else self.encode(words, text)
        return _softmax(self.classes, (encoded.scores[: len(self.classes)] + self.intercept) * self.temperature)

    def _char_rows(self, text: str) -> list[int]:
        """Character n-gram rows, looked up once per distinct word (words repeat across messages)."""
        rows: list[int] = []
        cache, index = self._grams_by_word, self.char_index
        for word in text.lower().split():
            found = cache.get(word)
            if found is None:
                if len(cache) > 100_000:  # bounded: random words cannot grow it forever
                    cache.clear()
                found = cache[word] = [row for gram in word_ngrams(word) if (row := index.get(gram)) is not None]
            rows += found
        return rows


def _softmax(classes: list[str], scores: np.ndarray) -> Prediction:
    probabilities = np.exp(scores - scores.max())
    probabilities /= probabilities.sum()
    best = int(probabilities.argmax())
    listed = probabilities.tolist()
    return Prediction(classes[best], listed[best], dict(zip(classes, listed, strict=True)))


def features(words: list[str]) -> list[str]:
    """Unigrams and bigrams of the normalised words (the same the training script uses)."""
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def char_ngrams(text: str) -> list[str]:
    """scikit-learn's `char_wb` analyzer (lower-cased): n-grams inside each space-padded word."""
    return [gram for word in text.lower().split() for gram in word_ngrams(word)]


def word_ngrams(word: str, low: int = CHAR_NGRAMS[0], high: int = CHAR_NGRAMS[1]) -> list[str]:
    word = f" {word} "
    length = len(word)
    grams: list[str] = []
    for n in range(low, high + 1):
        if length <= n:  # a word no longer than n counts once, whole
            grams.append(word)
            break
        grams += [word[i : i + n] for i in range(length - n + 1)]
    return grams


def export_model(path: Path, word_vectorizer, char_vectorizer, classifier, temperature: float,
                 type_classifier=None, type_prior_shift=None) -> None:
    """A fitted pair of TfidfVectorizers and a linear classifier (coef_ over their stacked columns); optionally
    a linear type classifier over the same columns followed by the type signals, with a shift added to its
    intercepts (one per class, in its classes_ order)."""
    words = len(word_vectorizer.vocabulary_)
    coef = classifier.coef_.T  # features × classes

    def vocabulary(vectorizer):
        ordered = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        return np.array(ordered, dtype=str)

    arrays = {}
    if type_classifier is not None:
        shared = words + len(char_vectorizer.vocabulary_)
        type_coef = type_classifier.coef_.T
        arrays = {
            "type_classes": np.array(type_classifier.classes_, dtype=str),
            "type_coef": type_coef[:shared].astype(np.float16), "type_signal_coef": type_coef[shared:].astype(np.float32),
            "type_intercept": (type_classifier.intercept_ + np.asarray(type_prior_shift if type_prior_shift is not None
                                                                       else 0.0)).astype(np.float32),
        }
    np.savez_compressed(
        path, classes=np.array(classifier.classes_, dtype=str), intercept=classifier.intercept_.astype(np.float32),
        temperature=np.float64(temperature),
        word_vocabulary=vocabulary(word_vectorizer), word_idf=word_vectorizer.idf_.astype(np.float32),
        word_coef=coef[:words].astype(np.float16),
        char_vocabulary=vocabulary(char_vectorizer), char_idf=char_vectorizer.idf_.astype(np.float32),
        char_coef=coef[words:].astype(np.float16),
        **arrays,
    )
