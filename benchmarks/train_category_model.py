"""Train the category model the normalizer consults when its keywords are unsure.

    .venv/bin/python benchmarks/train_category_model.py [SET ...]

SET names files in benchmarks/data (default: every set but normalizer_blind2;
normalizer_blind2 is kept out so it stays an unseen test set). Writes
normalizer/data/category_model.json and prints held-out figures. Retrain after changing keywords
or slang: the features are the normaliser's words.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from gateway.config import load_config  # noqa: E402
from gateway.normalizing import build_normalizer  # noqa: E402
from normalizer.model import export_model, features  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = ["normalizer_devset", "normalizer_holdout", "normalizer_blind", "normalizer_train_a", "normalizer_train_b"]
OUTPUT = ROOT / "normalizer" / "data" / "category_model.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="*", default=DEFAULT_SETS)
    args = parser.parse_args()
    normalizer = build_normalizer(load_config(ROOT / "config.yaml", environ={}), use_model=False)
    texts, labels = [], []
    for name in args.sets:
        for line in (ROOT / "benchmarks" / "data" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            expected = item["expected"]
            if expected["is_report"] and expected["category"]:
                texts.append(features(normalizer.words(item["text"])))
                labels.append(expected["category"])
    vectorizer = TfidfVectorizer(analyzer=lambda feats: feats, sublinear_tf=True)
    classifier = LogisticRegression(C=10, max_iter=5000)
    pipeline = make_pipeline(vectorizer, classifier)
    folds = cross_val_score(pipeline, texts, labels, cv=5)
    print(f"{len(texts)} labelled reports from {', '.join(args.sets)}; 5-fold accuracy {folds.mean():.1%}")
    pipeline.fit(texts, labels)
    document = export_model(vectorizer, classifier, args.sets)
    OUTPUT.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(document['idf'])} features, {len(document['classes'])} classes")


if __name__ == "__main__":
    main()
