"""How long the console's pages and data take on a store with many reports.

    .venv/bin/python benchmarks/console_pages.py [--reports 5000] [--database-url URL] [--rounds 20]

Fills a scratch SQLite file (or a scratch schema of the PostgreSQL server given) with reports spread
over Jakarta's kelurahan (written by store.reports.create_report, all with a status history), logs in
as triage and as a kelurahan officer, and times each page in-process (Flask test client: the app's
own work, no network). Prints per page: median and p95 in ms and the response size.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from gateway.app import create_app  # noqa: E402
from gateway.cli import unit_specs  # noqa: E402
from gateway.config import load_config  # noqa: E402
from normalizer.wilayah import Wilayah  # noqa: E402
from store import Database  # noqa: E402
from store.crypto import Keyring  # noqa: E402
from store.reports import NewReport, create_report  # noqa: E402
from store.scratch import scratch_schema  # noqa: E402
from store.types import utcnow  # noqa: E402
from store.units import import_units  # noqa: E402
from store.users import create_user  # noqa: E402

PAGES = ["/console/inbox", "/console/inbox?status=menunggu&overdue=1", "/console/inbox?q=jalan",
         "/console/inbox.json?after_id=0", "/console/map/reports.geojson", "/console/stats", "/console/stats.json",
         "/console/exports/reports.csv"]
PASSWORD = "bench-password-123"


def seed(db, config, wilayah, count: int) -> str:
    import_units(db, unit_specs(config, wilayah))
    kelurahan = wilayah.of_level("kelurahan")
    random.seed(7)
    now = utcnow()
    with db.transaction() as session:
        for index in range(count):
            area = random.choice(kelurahan)
            point = area.geometry.representative_point()
            category = random.choice(config.categories)
            create_report(session, NewReport(
                type=category.type, category=category.code, title=f"{category.name.id} nomor {index}",
                description=f"Laporan uji {index}: {category.description.id}", origin_channel=random.choice(
                    ["telegram", "sms", "email", "x", "open311"]),
                sla_due_at=now + timedelta(hours=random.randint(-48, 96)),
                latitude=point.y, longitude=point.x,
                location_precision="point", kelurahan_code=area.code,
                kecamatan_code=area.kecamatan_code, kota_code=area.kota_code, assigned_unit_code=area.code,
            ), ticket_prefix=config.city.ticket_prefix, timezone=config.city.tz)
    return kelurahan[0].code


def login(app, username):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").get_data(as_text=True)).group(1)
    client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    return client


def measure(client, rounds: int) -> None:
    for page in PAGES:
        timings, size = [], 0
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(page)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (page, response.status_code)
            size = len(response.data)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        print(f"  {page:45} median {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms   {size / 1024:8.1f} KiB")


def run(url: str, count: int, rounds: int) -> None:
    config = load_config(ROOT / "config.yaml", environ={})
    wilayah = Wilayah.load(border_tolerance_m=config.geography.border_tolerance_m)
    db = Database(url, Keyring(Fernet.generate_key()), Path(tempfile.mkdtemp()) / "attachments")
    db.migrate()
    started = time.perf_counter()
    unit = seed(db, config, wilayah, count)
    print(f"{db.dialect}: {count} reports seeded in {time.perf_counter() - started:.1f} s")
    create_user(db, username="triage", password=PASSWORD, role="triage")
    create_user(db, username="officer", password=PASSWORD, role="officer", unit_code=unit)
    app = create_app(config, db, wilayah, environ={"LAPOR_SECRET_KEY": "bench"}, adapters={})
    for who in ("triage", "officer"):
        print(f" as {who}:")
        measure(login(app, who), rounds)
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", help="a PostgreSQL server (a scratch schema is used); default a SQLite file")
    args = parser.parse_args()
    if args.database_url:
        with scratch_schema(args.database_url, prefix="bench") as url:
            run(url, args.reports, args.rounds)
    else:
        run(f"sqlite:///{tempfile.mkdtemp()}/bench.db", args.reports, args.rounds)


if __name__ == "__main__":
    main()
