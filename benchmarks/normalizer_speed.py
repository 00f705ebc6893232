"""Normalizer throughput on one core: messages per second, latency percentiles, peak memory.

    .venv/bin/python benchmarks/normalizer_speed.py [--messages 100000]

Throughput is given by the wall clock and by this process's CPU time (which other processes on the core do
not inflate). Messages are drawn from the labelled sets in benchmarks/data (text only), with random
variations (typos, extra words, case) so caches see realistic variety.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.config import load_config  # noqa: E402
from gateway.normalizing import build_normalizer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FILLERS = ["tolong", "min", "segera", "udah lama", "parah bgt", "dong", "😡", "#jakarta", "pak", "RT 03", "kemarin"]


def corpus() -> list[dict]:
    messages = []
    for name in ("normalizer_devset.jsonl", "normalizer_holdout.jsonl"):
        path = ROOT / "benchmarks" / "data" / name
        if path.exists():
            messages += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return messages


def vary(text: str, rng: random.Random) -> str:
    words = text.split()
    if words and rng.random() < 0.5:
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) > 4:
            j = rng.randrange(1, len(word) - 1)
            words[i] = word[:j] + word[j + 1 :]  # a dropped letter
    if rng.random() < 0.5:
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
    text = " ".join(words)
    return text.upper() if rng.random() < 0.05 else text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(7)
    base = corpus()
    if not base:
        sys.exit("no messages in benchmarks/data")
    config = load_config(ROOT / "config.yaml", environ={})
    started = time.perf_counter()
    normalizer = build_normalizer(config)
    print(f"build: {(time.perf_counter() - started) * 1000:.0f} ms")
    messages = []
    for _ in range(args.messages):
        item = rng.choice(base)
        messages.append((vary(item["text"], rng), item.get("lat"), item.get("lon")))
    latencies = []
    clock = time.perf_counter
    cpu_started = time.process_time()
    started = clock()
    for text, lat, lon in messages:
        t0 = clock()
        normalizer.normalize(text, lat, lon)
        latencies.append(clock() - t0)
    total = clock() - started
    cpu = time.process_time() - cpu_started
    latencies.sort()

    def pct(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    print(f"messages: {len(messages)} in {total:.1f} s on one core")
    print(f"throughput: {len(messages) / total:.0f} messages/s")
    # On a shared machine other processes take turns on the core: CPU time counts only this process's work.
    print(f"CPU time: {cpu / len(messages) * 1e6:.0f} µs a message, {len(messages) / cpu:.0f} messages per CPU-second")
    print(f"latency: p50 {pct(0.5):.3f} ms, p95 {pct(0.95):.3f} ms, p99 {pct(0.99):.3f} ms, max {latencies[-1] * 1000:.1f} ms")
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
