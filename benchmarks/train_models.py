"""Train the normalizer's category model on real citizen text: normalizer/data/category_model.npz.

    .venv/bin/python benchmarks/train_models.py

category_model.npz: the Surabaya complaints of January–August 2022 (topics mapped by
benchmarks/real/surabaya_topics.yaml), four fifths of the Jabodetabek flood tweets (category banjir)
and this project's hand-written sets (all but normalizer_blind2, kept unseen).
The Surabaya months September–December, the last fifth of the tweets and the labelled development set
(labels_type_urgency.jsonl) stay out: `benchmarks/normalizer_real.py` measures on them. Needs
../shared/data/real/ (the texts are read here, never copied).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from scipy.optimize import minimize_scalar  # noqa: E402
from scipy.sparse import hstack  # noqa: E402
from scipy.special import log_softmax  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from benchmarks.real import corpus  # noqa: E402
from gateway.config import load_config  # noqa: E402
from gateway.normalizing import build_normalizer  # noqa: E402
from normalizer.model import CHAR_NGRAMS, export_model, features  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OWN_SETS = ["normalizer_devset", "normalizer_holdout", "normalizer_blind", "normalizer_train_a", "normalizer_train_b"]
DATA = ROOT / "normalizer" / "data"
C = 0.3


def own_sets(field: str) -> list[tuple[str, str]]:
    found = []
    for name in OWN_SETS:
        for line in (ROOT / "benchmarks" / "data" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            expected = item["expected"]
            if expected["is_report"] and expected.get(field):
                found.append((item["text"], expected[field]))
    return found


def category_examples() -> list[tuple[str, str]]:
    real = [row for row in corpus.surabaya() + corpus.flood_tweets() if row.split == "train"]
    return [(row.text, row.category) for row in real] + own_sets("category")


def vectorizers():
    words = TfidfVectorizer(analyzer=lambda feats: feats, sublinear_tf=True, min_df=2)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=3, max_features=60_000)
    return words, chars


def fit(word_features, texts, labels):
    words, chars = vectorizers()
    matrix = hstack([words.fit_transform(word_features), chars.fit_transform(texts)]).tocsr()
    return words, chars, LinearSVC(C=C).fit(matrix, labels)


def temperature(word_features, texts, labels) -> float:
    """The softmax temperature that makes cross-validated margins the best-calibrated probabilities."""
    margins, truth = [], []
    for train, held in StratifiedKFold(5, shuffle=True, random_state=7).split(texts, labels):
        words, chars, model = fit([word_features[i] for i in train], [texts[i] for i in train],
                                  [labels[i] for i in train])
        matrix = hstack([words.transform([word_features[i] for i in held]), chars.transform([texts[i] for i in held])])
        margins.append(model.decision_function(matrix.tocsr()))
        truth += [list(model.classes_).index(labels[i]) for i in held]
    scores, truth = np.vstack(margins), np.array(truth)

    def loss(t):
        return -log_softmax(scores * t, axis=1)[np.arange(len(truth)), truth].mean()

    return float(minimize_scalar(loss, bounds=(0.1, 50), method="bounded").x)


def train(name: str, examples: list[tuple[str, str]], normalizer) -> None:
    texts = [text for text, _ in examples]
    labels = [label for _, label in examples]
    word_features = [features(normalizer.words(text)) for text in texts]
    scale = temperature(word_features, texts, labels)
    words, chars, model = fit(word_features, texts, labels)
    output = DATA / f"{name}_model.npz"
    export_model(output, words, chars, model, scale)
    print(f"{name}: {len(examples)} training messages, {len(model.classes_)} classes, {len(words.vocabulary_)} word and "
          f"{len(chars.vocabulary_)} character features, temperature {scale:.2f}; wrote {output.relative_to(ROOT)} "
          f"({output.stat().st_size / 1e6:.1f} MB)")


def main() -> int:
    if not corpus.available():
        print(f"no real texts at {corpus.REAL}: cannot train")
        return 1
    normalizer = build_normalizer(load_config(ROOT / "config.yaml", environ={}), use_model=False)
    train("category", category_examples(), normalizer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
