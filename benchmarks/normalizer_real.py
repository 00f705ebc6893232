"""The normalizer on real citizen text (../shared/data/real/, never copied into the project).

    .venv/bin/python benchmarks/normalizer_real.py [--split test|later] [--confusions 12]

Surabaya complaints (topics mapped to our categories by benchmarks/real/surabaya_topics.yaml), measured
on September–December 2022 (the category model trains on January–August): category accuracy, where
asking the citizen counts as not right; macro-F1; precision on what the normalizer commits to and how
often it asks; a confusion summary. Flood tweets: how many messages from Bekasi/Bogor/Depok/Tangerang
are placed in Jakarta, and how many Jakarta ones outside. Exits 0 with a note when the data is absent.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.real import corpus  # noqa: E402
from gateway.config import load_config  # noqa: E402
from gateway.normalizing import build_normalizer  # noqa: E402

TARGETS = {"accuracy": 0.85, "macro_f1": 0.65, "outside_in_jakarta": 0.03, "jakarta_outside": 0.05, "surabaya_in_jakarta": 0.05,
           "type_macro_recall": 0.75, "emergency_recall": 0.80, "false_alarms": 0.05}
TYPES = ("pengaduan", "aspirasi", "permintaan_informasi")


def committed_category(result) -> str | None:
    """The category the bot acts on without asking; None when it would ask (or saw no report)."""
    if not result.is_report or result.category is None or "category" in result.missing:
        return None
    return result.category


def macro_f1(pairs: list[tuple[str, str | None]]) -> float:
    labels = sorted({expected for expected, _ in pairs})
    scores = []
    for label in labels:
        tp = sum(1 for e, g in pairs if e == label and g == label)
        fp = sum(1 for e, g in pairs if e != label and g == label)
        fn = sum(1 for e, g in pairs if e == label and g != label)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def categories(normalizer, split: str, confusions: int) -> dict:
    rows = [row for row in corpus.surabaya() if row.split == split]
    results = [normalizer.normalize(row.text) for row in rows]
    guessed = [(row.category, result.category) for row, result in zip(rows, results, strict=True)]
    strict = [(row.category, committed_category(result)) for row, result in zip(rows, results, strict=True)]
    committed = [(e, g) for e, g in strict if g is not None]
    figures = {
        "messages": len(rows),
        "accuracy": sum(e == g for e, g in guessed) / len(rows),
        "macro_f1": macro_f1(guessed),
        "strict_accuracy": sum(e == g for e, g in strict) / len(rows),
        "asked": 1 - len(committed) / len(rows),
        "committed_precision": sum(e == g for e, g in committed) / max(1, len(committed)),
    }
    print(f"Surabaya complaints, {split} months: {len(rows)} messages with a mapped category")
    print(f"  category accuracy {figures['accuracy']:.3f} (the normalizer's category; target ≥ {TARGETS['accuracy']})")
    print(f"  macro-F1          {figures['macro_f1']:.3f} (target ≥ {TARGETS['macro_f1']})")
    print(f"  the bot asks for  {figures['asked']:.1%} of messages (aim ≤ 20 %); precision on the rest "
          f"{figures['committed_precision']:.3f} (aim ≥ 0.92)")
    print(f"  right without asking {figures['strict_accuracy']:.3f} (asking counts as not right)")
    topics_only = [(row.mapped, result.category) for row, result in zip(rows, results, strict=True)]
    print(f"  with the topic table alone (no line read per message): accuracy "
          f"{sum(e == g for e, g in topics_only) / len(rows):.3f}, macro-F1 {macro_f1(topics_only):.3f}")
    per_label = Counter(e for e, _ in guessed)
    hits = Counter(e for e, g in guessed if e == g)
    print("  recall by category: " + ", ".join(f"{label} {hits[label] / n:.2f} ({n})" for label, n in per_label.most_common()))
    wrong = Counter((e, g) for e, g in guessed if e != g)
    print("  confusions (expected → got): " + ", ".join(f"{e}→{g} ×{n}" for (e, g), n in wrong.most_common(confusions)))
    return figures


def flood_places(normalizer) -> dict:
    outside = jakarta = outside_in = jakarta_out = decided = 0
    banjir = reports = 0
    for row in corpus.flood_tweets():
        where = corpus.is_outside(row.place)
        if where is None:
            continue
        result = normalizer.normalize(row.text)
        said = result.location.in_jakarta
        decided += said is not None
        if where:
            outside += 1
            outside_in += said is True
        else:
            jakarta += 1
            jakarta_out += said is False
        if row.split == "test" and result.is_report:
            reports += 1
            banjir += result.category == "banjir"
    kota_said, kota_right = kota_placement(normalizer)
    figures = {"outside_in_jakarta": outside_in / outside, "jakarta_outside": jakarta_out / jakarta,
               "decided": decided / (outside + jakarta), "banjir_share": banjir / max(1, reports)}
    print(f"Flood tweets: {outside} from Bekasi/Bogor/Depok/Tangerang, {jakarta} from Jakarta")
    print(f"  outside placed in Jakarta {figures['outside_in_jakarta']:.1%} ({outside_in}; target ≤ 3 %)")
    print(f"  Jakarta placed outside    {figures['jakarta_outside']:.1%} ({jakarta_out}; target ≤ 5 %)")
    print(f"  in or out of Jakarta decided for {figures['decided']:.1%} of them")
    print(f"  test fifth: {figures['banjir_share']:.1%} of those read as reports are filed as banjir")
    print(f"  tweets labelled with one of Jakarta's five kota: a kota named for {kota_said[0]} of {kota_said[1]}, "
          f"right for {kota_right} ({kota_right / max(1, kota_said[0]):.1%} precision)")
    return figures


def surabaya_places(normalizer) -> dict:
    """Every Surabaya complaint is from outside Jakarta: how many the normalizer places in Jakarta anyway."""
    texts = corpus.surabaya_texts()
    said = Counter(normalizer.normalize(text).location.in_jakarta for text in texts)
    figures = {"surabaya_in_jakarta": said[True] / len(texts)}
    print(f"Surabaya complaints (all {len(texts)} from outside Jakarta): placed in Jakarta "
          f"{figures['surabaya_in_jakarta']:.1%} ({said[True]}; target ≤ 5 %), placed outside {said[False] / len(texts):.1%}, "
          f"left open {said[None] / len(texts):.1%}")
    return figures


def type_and_urgency(normalizer) -> dict:
    """On the real messages our annotator labelled (benchmarks/real/LABELS.md)."""
    rows = corpus.judged()
    results = [normalizer.normalize(row.text) for row in rows]
    recalls = {}
    for kind in TYPES:
        mine = [result for row, result in zip(rows, results, strict=True) if row.type == kind]
        recalls[kind] = (sum(result.is_report and result.type == kind for result in mine) / len(mine), len(mine))
    darurat = [result.urgency == "darurat" for row, result in zip(rows, results, strict=True) if row.urgency == "darurat"]
    normal = [result.urgency == "darurat" for row, result in zip(rows, results, strict=True) if row.urgency != "darurat"]
    chatter = [result.is_report for row, result in zip(rows, results, strict=True) if row.type == "none"]
    city = [result.is_report for row, result in zip(rows, results, strict=True) if row.type != "none"]
    figures = {"type_macro_recall": sum(r for r, _ in recalls.values()) / len(recalls),
               "emergency_recall": sum(darurat) / len(darurat), "false_alarms": sum(normal) / len(normal)}
    print(f"Labelled real messages: {len(rows)} (Surabaya and flood tweets; benchmarks/real/LABELS.md)")
    print(f"  type macro recall {figures['type_macro_recall']:.3f} (target ≥ 0.75): "
          + ", ".join(f"{kind} {recall:.2f} ({n})" for kind, (recall, n) in recalls.items()))
    print(f"  emergencies found {figures['emergency_recall']:.1%} of {len(darurat)} (target ≥ 80 %); "
          f"false alarms {figures['false_alarms']:.1%} of {len(normal)} (target ≤ 5 %)")
    print(f"  city matters read as reports {sum(city) / len(city):.1%} of {len(city)}; "
          f"no-city-matter read as reports {sum(chatter) / len(chatter):.1%} of {len(chatter)}")
    return figures


def kota_placement(normalizer) -> tuple[tuple[int, int], int]:
    """On tweets labelled with a Jakarta kota (where they came from): how often the text places one, and
    how often it is that kota."""
    said = right = total = 0
    for row in corpus.flood_tweets():
        if not (row.place or "").startswith("Jakarta "):
            continue
        total += 1
        kota = normalizer.normalize(row.text).location.kota
        if kota:
            said += 1
            right += kota.removeprefix("Kota Administrasi ").removeprefix("Kota ") == row.place
    return (said, total), right


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="test", choices=("test", "later"))
    parser.add_argument("--confusions", type=int, default=12)
    args = parser.parse_args()
    if not corpus.available():
        print(f"no real texts at {corpus.REAL}: nothing measured")
        return 0
    normalizer = build_normalizer(load_config(corpus.ROOT / "config.yaml", environ={}))
    started = time.perf_counter()
    figures = categories(normalizer, args.split, args.confusions) | flood_places(normalizer) | surabaya_places(normalizer)
    if corpus.LABELS.exists():
        figures |= type_and_urgency(normalizer)
    missed = [name for name, target in TARGETS.items()
              if name in figures
              and (figures[name] > target if name in ("outside_in_jakarta", "jakarta_outside", "surabaya_in_jakarta", "false_alarms")
                   else figures[name] < target)]
    print(f"targets {'met' if not missed else 'missed: ' + ', '.join(missed)} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
