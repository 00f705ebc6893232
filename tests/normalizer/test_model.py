"""The learned category model: runtime scoring equals scikit-learn's, and the shipped one is sane."""

import math

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from normalizer.model import CategoryModel, export_model, features
from normalizer.text import DATA

TRAIN = [
    ("sampah menumpuk bau", "sampah"), ("tumpukan sampah tidak diangkut", "sampah"), ("bau busuk sampah", "sampah"),
    ("lampu jalan mati gelap", "listrik"), ("kabel menjuntai lampu mati", "listrik"), ("gelap lampu padam", "listrik"),
    ("pohon tumbang dahan patah", "pohon"), ("ranting pohon besar", "pohon"), ("dahan menutup jalan", "pohon"),
]


def test_runtime_scoring_matches_scikit_learn():
    docs = [features(text.split()) for text, _ in TRAIN]
    vectorizer = TfidfVectorizer(analyzer=lambda f: f, sublinear_tf=True)
    classifier = LogisticRegression(C=10, max_iter=2000).fit(vectorizer.fit_transform(docs), [c for _, c in TRAIN])
    model = CategoryModel(export_model(vectorizer, classifier, ["unit"], min_weight=0.0))
    for text in ("sampah bau", "lampu gelap sekali", "dahan pohon patah sampah", "kata asing"):
        expected = classifier.predict_proba(vectorizer.transform([features(text.split())]))[0]
        got = model.predict(text.split())
        best = max(range(len(expected)), key=expected.__getitem__)
        assert got.category == classifier.classes_[best]
        assert math.isclose(got.probability, expected[best], abs_tol=1e-3)


def test_the_shipped_model_knows_the_configured_categories(config):
    model = CategoryModel.load(DATA / "category_model.json")
    assert model is not None
    assert set(model.classes) <= {c.code for c in config.categories}
    assert len(model.classes) >= len(config.categories) - 1


@pytest.mark.parametrize(
    ("text", "category"),
    [("tetangga ribut terus tiap malam sampai subuh, resah", "ketertiban"), ("kali di belakang rumah meluap lagi", "saluran_air")],
)
def test_the_model_helps_where_keywords_are_unsure(normalizer, text, category):
    assert normalizer.normalize(text).category == category
