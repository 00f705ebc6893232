"""Foundation figures: point-in-kelurahan lookup, report intake, and Open311 reads.

    .venv/bin/python benchmarks/bench_foundation.py [--reports 2000] [--database-url URL]

Prints one line per figure. Uses a throw-away SQLite file unless --database-url is given.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet  # noqa: E402

from gateway.app import create_app  # noqa: E402
from gateway.cli import unit_specs  # noqa: E402
from gateway.config import load_config  # noqa: E402
from gateway.intake import Submission, submit_report  # noqa: E402
from gateway.normalizing import build_normalizer  # noqa: E402
from normalizer.wilayah import Wilayah  # noqa: E402
from store import Database  # noqa: E402
from store.crypto import Keyring  # noqa: E402
from store.reporters import Contact  # noqa: E402
from store.reports import Actor  # noqa: E402
from store.scratch import scratch_schema  # noqa: E402
from store.units import import_units  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def scratch_database(url: str | None, scratch: str):
    """A SQLite file in `scratch`, or a throw-away schema on the given PostgreSQL server."""
    if not url:
        yield f"sqlite:///{scratch}/bench.db"
        return
    with scratch_schema(url, prefix="bench") as schema_url:
        yield schema_url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    random.seed(42)
    config = load_config(ROOT / "config.yaml", environ={})

    started = time.perf_counter()
    wilayah = Wilayah.load(border_tolerance_m=config.geography.border_tolerance_m)
    print(f"wilayah index build: {(time.perf_counter() - started) * 1000:.0f} ms")
    points = [(random.uniform(-6.37, -6.08), random.uniform(106.68, 106.97)) for _ in range(20_000)]
    started = time.perf_counter()
    inside = sum(wilayah.locate(lat, lon).inside_jakarta for lat, lon in points)
    per_point = (time.perf_counter() - started) / len(points) * 1e6
    print(f"locate: {per_point:.1f} µs per point ({inside}/{len(points)} random points in the bounding box fell in Jakarta)")

    with tempfile.TemporaryDirectory() as scratch, scratch_database(args.database_url, scratch) as url:
        db = Database(url, Keyring(Fernet.generate_key()), Path(scratch) / "attachments")
        db.migrate()
        import_units(db, unit_specs(config, wilayah))
        normalizer = build_normalizer(config, wilayah)
        categories = [c.code for c in config.categories]
        timings = []
        for index in range(args.reports):
            lat, lon = random.uniform(-6.30, -6.12), random.uniform(106.72, 106.95)
            submission = Submission(
                category=random.choice(categories),
                description=f"Laporan nomor {index}: jalan rusak dekat pasar, hubungi 0812{index:08d}",
                origin_channel="open311",
                actor=Actor("system"),
                latitude=lat,
                longitude=lon,
                reporter_contacts=(Contact("sms", f"+62812{index:08d}", "Warga"),),
            )
            started = time.perf_counter()
            submit_report(db, config, normalizer, submission)
            timings.append(time.perf_counter() - started)
        total = sum(timings)
        print(
            f"intake ({db.dialect}): {args.reports / total:.0f} reports/s, "
            f"median {statistics.median(timings) * 1000:.2f} ms, p95 {percentile(timings, 0.95) * 1000:.2f} ms"
        )

        client = create_app(config, db, wilayah, environ={}, normalizer=normalizer).test_client()
        for path, rounds in (("/open311/v2/requests.json", 20), ("/open311/v2/requests.xml", 20), ("/open311/v2/services.json", 200)):
            latencies = []
            for _ in range(rounds):
                started = time.perf_counter()
                response = client.get(path)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
            size = len(response.data)
            print(f"GET {path}: median {statistics.median(latencies) * 1000:.1f} ms ({size / 1024:.0f} KiB)")
        db.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
