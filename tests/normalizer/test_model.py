"""The learned category model and its type head: runtime scoring equals scikit-learn's, and the shipped one is sane."""

import math

import numpy as np
import pytest
from scipy.sparse import hstack
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from normalizer.model import CHAR_NGRAMS, TextModel, char_ngrams, export_model, features
from normalizer.text import DATA

TRAIN = [
    ("sampah menumpuk bau", "sampah"), ("tumpukan sampah tidak diangkut", "sampah"), ("bau busuk sampah", "sampah"),
    ("lampu jalan mati gelap", "listrik"), ("kabel menjuntai lampu mati", "listrik"), ("gelap lampu padam", "listrik"),
    ("pohon tumbang dahan patah", "pohon"), ("ranting pohon besar", "pohon"), ("dahan menutup jalan", "pohon"),
]


@pytest.mark.parametrize("text", ["Sampah  menumpuk di\tJl. Kenari!!", "a", "ok sip", "  ", "Ünïcödé  wörds   here"])
def test_character_ngrams_are_scikit_learns(text):
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS).build_analyzer()
    assert char_ngrams(text) == analyzer(text)


def test_runtime_scoring_matches_scikit_learn(tmp_path):
    texts, labels = [text for text, _ in TRAIN], [label for _, label in TRAIN]
    words = TfidfVectorizer(analyzer=lambda f: f, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True)
    matrix = hstack([words.fit_transform([features(t.split()) for t in texts]), chars.fit_transform(texts)]).tocsr()
    classifier = LinearSVC(C=1.0).fit(matrix, labels)
    export_model(tmp_path / "model.npz", words, chars, classifier, temperature=3.0)
    model = TextModel.load(tmp_path / "model.npz")
    for text in ("sampah bau", "lampu gelap sekali", "dahan pohon patah sampah", "kata asing"):
        row = hstack([words.transform([features(text.split())]), chars.transform([text])]).tocsr()
        expected = softmax(classifier.decision_function(row)[0] * 3.0)
        got = model.predict(text.split(), text)
        assert got.category == classifier.classes_[int(np.argmax(expected))]
        assert math.isclose(got.probability, float(expected.max()), abs_tol=2e-3)  # float16 weights
        assert math.isclose(sum(got.probabilities.values()), 1.0, abs_tol=1e-6)


def test_the_type_head_scores_as_scikit_learn_does_with_its_prior_shift(tmp_path):
    texts, labels = [text for text, _ in TRAIN], [label for _, label in TRAIN]
    kinds = ["pengaduan", "aspirasi", "permintaan_informasi"] * 3
    signals = np.array([[i % 3, (i * 7) % 5 / 5, 0.5] for i in range(len(texts))])
    words = TfidfVectorizer(analyzer=lambda f: f, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True)
    shared = hstack([words.fit_transform([features(t.split()) for t in texts]), chars.fit_transform(texts)]).tocsr()
    category = LinearSVC(C=1.0).fit(shared, labels)
    kind = LogisticRegression(C=10.0, max_iter=1000).fit(hstack([shared, signals]).tocsr(), kinds)
    shift = np.array([0.0, 1.0, -0.5])
    export_model(tmp_path / "model.npz", words, chars, category, 3.0, kind, shift)
    model = TextModel.load(tmp_path / "model.npz")
    for text, extra in (("sampah bau", [1, 0.2, 0.5]), ("lampu gelap sekali", [0, 0.0, 0.5]), ("kata asing", [2, 0.8, 0.5])):
        row = hstack([words.transform([features(text.split())]), chars.transform([text]), np.array([extra])]).tocsr()
        expected = softmax(kind.decision_function(row)[0] + shift)
        got = model.type_head.predict(model.encode(text.split(), text), extra)
        assert got.category == kind.classes_[int(np.argmax(expected))]
        assert math.isclose(got.probability, float(expected.max()), abs_tol=2e-3)


def test_the_shipped_model_knows_the_configured_categories(config):
    model = TextModel.load(DATA / "category_model.npz")
    assert model is not None
    assert set(model.classes) <= {c.code for c in config.categories}
    assert len(model.classes) >= len(config.categories) - 1
    assert 0.1 < model.temperature < 50
    assert set(model.type_head.classes) == {"pengaduan", "aspirasi", "permintaan_informasi"}


@pytest.mark.parametrize(
    ("text", "category"),
    [("tetangga ribut terus tiap malam sampai subuh, resah", "ketertiban"), ("kali di belakang rumah meluap lagi", "saluran_air"),
     ("mohon bantuan pendataan warga miskin, kami belum dapat bantuan sembako", "sosial"),
     ("anak saya belum dapat sekolah negeri padahal jarak rumah dekat, zonasi gimana", "pendidikan")],
)
def test_the_model_reads_what_keywords_miss(normalizer, text, category):
    assert normalizer.normalize(text).category == category
