"""What the worker's own store work costs per message, with no HTTP around it: first reports from new senders
on the chat channel go through the inbox, the conversation, the outbox and a send that costs nothing.

    .venv/bin/python benchmarks/worker_cost.py [--messages 2000] [--database-url URL]

On a scratch SQLite file (or a scratch schema of the PostgreSQL server given). Prints the worker's CPU per
message (inbox claim → conversation → reply queued → reply claimed → outcome recorded), beside the minimal SQL
for the same rows in SQLAlchemy Core (`benchmarks/floors.py` measures that floor through a served gateway).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import Engine, event  # noqa: E402

TEXTS = ["lampu jalan mati udh seminggu", "sampah numpuk depan pasar", "jalan berlubang parah", "got mampet bau",
         "pohon miring mau tumbang", "parkir liar di trotoar"]


def measure(database_url: str, messages: int, profile: bool = False) -> dict[str, float]:
    from bots.chat import CHANNEL, ChatAdapter, payload
    from gateway.app import create_app
    from gateway.cli import unit_specs
    from gateway.config import load_config
    from gateway.worker import Worker
    from store.crypto import Keyring
    from store.db import Database
    from store.inbox import record_inbound
    from store.reporters import contact_hash
    from store.units import import_units

    config = load_config(ROOT / "config.yaml", environ={})
    db = Database(database_url, Keyring(Fernet.generate_key().decode()), Path(tempfile.mkdtemp()) / "attachments")
    db.migrate()
    app = create_app(config, db, environ={})
    import_units(db, unit_specs(config, app.extensions["lapor"].wilayah))
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda message: None)})
    for number in range(messages):
        session = f"bench-{number}"
        message = payload(session, TEXTS[number % len(TEXTS)])
        record_inbound(db, CHANNEL, message["message_id"], message, sender_hash=contact_hash(CHANNEL, session))
    for _ in range(3):  # warm: statements compiled, caches filled
        worker.process_inbox(limit=1)
        worker.dispatch_outbox()
    done = 3
    counts = {"statements": 0, "transactions": 0}

    @event.listens_for(Engine, "before_cursor_execute")  # every engine: PostgreSQL's single statements have their own
    def _statement(connection, *_args):
        counts["statements"] += 1
        if connection.engine is not db.engine:  # `Database.statement()`: in autocommit, a transaction of its own
            counts["transactions"] += 1

    @event.listens_for(db.engine, "commit")
    def _commit(*_args):
        counts["transactions"] += 1

    started, cpu = time.perf_counter(), time.process_time()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    while True:
        handled = worker.process_inbox()
        sent = worker.dispatch_outbox(limit=50)
        while worker.dispatch_outbox(limit=50):
            pass
        if not handled and not sent:
            break
        done += handled
    if profiler is not None:
        profiler.disable()
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    measured = done - 3
    return {"messages": measured, "cpu_ms": (time.process_time() - cpu) * 1000 / measured,
            "wall_ms": (time.perf_counter() - started) * 1000 / measured,
            "statements": counts["statements"] / measured, "transactions": counts["transactions"] / measured}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.database_url:
        from store.scratch import scratch_schema

        with scratch_schema(args.database_url) as url:
            figures = measure(url, args.messages, args.profile)
    else:
        with tempfile.TemporaryDirectory() as folder:
            figures = measure(f"sqlite:///{folder}/bench.db", args.messages, args.profile)
    print(f"worker, {figures['messages']} first reports: CPU {figures['cpu_ms']:.2f} ms a message "
          f"(wall {figures['wall_ms']:.2f} ms); {figures['statements']:.1f} statements and "
          f"{figures['transactions']:.1f} transactions a message")


if __name__ == "__main__":
    main()
