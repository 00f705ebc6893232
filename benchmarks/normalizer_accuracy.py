"""Per-field accuracy of the normalizer on a labelled set, and a confusion summary.

    .venv/bin/python benchmarks/normalizer_accuracy.py [FILE ...] [--errors FIELD]

FILE defaults to benchmarks/data/normalizer_devset.jsonl and normalizer_holdout.jsonl (each
reported separately). Lines: {"id", "text", "lat", "lon", "expected": {category, type, is_report,
urgency, in_jakarta, kelurahan_code, kecamatan_code}}.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.config import load_config  # noqa: E402
from gateway.normalizing import build_normalizer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = [ROOT / "benchmarks/data/normalizer_devset.jsonl", ROOT / "benchmarks/data/normalizer_holdout.jsonl"]


def predicted_fields(result: dict) -> dict:
    location = result["location"]
    return {
        "is_report": result["is_report"],
        "category": result["category"],
        "type": result["type"],
        "urgency": result["urgency"],
        "in_jakarta": location["in_jakarta"],
        "kelurahan_code": location["kelurahan_code"],
        "kecamatan_code": location["kecamatan_code"],
    }


def evaluate(path: Path, normalizer, show: str | None) -> None:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    right: Counter = Counter()
    total: Counter = Counter()
    confusion: Counter = Counter()
    kel_returned = kel_correct = kel_expected = kel_found = 0
    for item in items:
        expected = item["expected"]
        got = predicted_fields(normalizer.normalize(item["text"], item.get("lat"), item.get("lon")).as_dict())
        reports = expected["is_report"]
        checks = {
            "is_report": True,
            "category": reports,
            "type": reports,
            "urgency": reports,
            "in_jakarta": reports,
            "kecamatan": reports and expected.get("kecamatan_code") is not None,
        }
        for field, applies in checks.items():
            if not applies:
                continue
            key = "kecamatan_code" if field == "kecamatan" else field
            total[field] += 1
            ok = got[key] == expected.get(key)
            right[field] += ok
            if field == "category" and not ok:
                confusion[(expected.get("category"), got["category"])] += 1
            if show == field and not ok:
                print(f"  {item.get('id')}: expected {expected.get(key)!r}, got {got[key]!r}: {item['text'][:120]}")
        if reports and got["kelurahan_code"] is not None:
            kel_returned += 1
            kel_correct += got["kelurahan_code"] == expected.get("kelurahan_code")
            if show == "kelurahan" and got["kelurahan_code"] != expected.get("kelurahan_code"):
                print(f"  {item.get('id')}: expected {expected.get('kelurahan_code')}, got {got['kelurahan_code']}: {item['text'][:120]}")
        if reports and expected.get("kelurahan_code"):
            kel_expected += 1
            kel_found += got["kelurahan_code"] == expected["kelurahan_code"]
    print(f"{path.name}: {len(items)} messages")
    for field in ("is_report", "category", "type", "urgency", "in_jakarta", "kecamatan"):
        if total[field]:
            print(f"  {field:<11} {right[field] / total[field]:7.1%}  ({right[field]}/{total[field]})")
    if kel_returned:
        print(f"  kelurahan precision {kel_correct / kel_returned:7.1%}  ({kel_correct}/{kel_returned} returned)")
    if kel_expected:
        print(f"  kelurahan recall    {kel_found / kel_expected:7.1%}  ({kel_found}/{kel_expected} labelled)")
    if confusion:
        print("  category confusions (expected → got): " + ", ".join(f"{a}→{b} ×{n}" for (a, b), n in confusion.most_common(8)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--errors", help="list the misses of one field (category, type, urgency, in_jakarta, kecamatan, kelurahan, is_report)")
    args = parser.parse_args()
    normalizer = build_normalizer(load_config(ROOT / "config.yaml", environ={}))
    for path in args.files or [p for p in DEFAULT_FILES if p.exists()]:
        evaluate(path, normalizer, args.errors)


if __name__ == "__main__":
    main()
