"""Crashes: nothing lost, nothing processed twice, and no reply sent twice beyond the sends on the wire.

    .venv/bin/python benchmarks/chaos.py [--messages 2000] [--kills 30] [--workers 2] [--database-url URL]

Starts `run.py serve --no-worker` and `run.py worker` processes (SQLite scratch file, or a scratch schema of
the PostgreSQL server given) with the Telegram and Twilio stand-ins, which take 30 ms to answer a send so
that kills often land mid-send. Signed webhooks (half Telegram, half SMS, one first message per sender)
are posted by senders that retry any non-2xx or broken connection, as providers do; meanwhile a process
chosen at random — the web server or a worker — is killed with SIGKILL at random moments and restarted.
When every webhook has been acknowledged the kills stop and the benchmark waits for the inbox and outbox to
drain (leases of dead processes run out first), then counts:
- lost: webhooks acknowledged but not in the inbox, or never answered;
- processed twice: senders whose one message produced more replies than one processing makes;
- sent twice: replies a stand-in accepted twice, against the sends that were on the wire at the kills
  (at most one per sending thread of each killed worker).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from benchmarks.intake_load import (  # noqa: E402
    AUTH,
    SID,
    TEXTS,
    TOKEN,
    free_port,
    gateway_environment,
    request_for,
    wait_healthy,
)
from gateway.config import load_config  # noqa: E402
from store.crypto import Keyring  # noqa: E402
from store.db import Database  # noqa: E402
from store.models import InboundMessage, OutboundMessage  # noqa: E402
from store.scratch import scratch_schema  # noqa: E402
from tests.standins.telegram_api import TelegramStandIn  # noqa: E402
from tests.standins.twilio_api import TwilioStandIn  # noqa: E402

SEND_SECONDS = 0.03  # each stand-in send takes this long, like a provider's round trip
DRAIN_SECONDS = 300


class Fleet:
    """The gateway's processes, each restartable with the same command and environment."""

    def __init__(self, url: str, telegram: TelegramStandIn, twilio: TwilioStandIn, workdir: str, workers: int):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.environment = gateway_environment(url, port, telegram, twilio)
        self.workdir = workdir
        self.log = open(Path(workdir) / "fleet.log", "a")
        run = [sys.executable, str(ROOT / "run.py"), "--config", str(ROOT / "config.yaml")]
        self.commands = {"web": run + ["serve", "--no-worker"]}
        self.commands |= {f"worker-{n}": run + ["worker", "--idle-seconds", "0.05"] for n in range(1, workers + 1)}
        self.processes: dict[str, subprocess.Popen] = {}
        self.start("web")
        wait_healthy(self.base)
        for name in self.commands:
            if name != "web":
                self.start(name)

    def start(self, name: str) -> None:
        self.processes[name] = subprocess.Popen(self.commands[name], cwd=self.workdir, env=self.environment,
                                                stdout=self.log, stderr=subprocess.STDOUT)

    def kill_and_restart(self, name: str) -> None:
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self.start(name)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)


def post_until_accepted(request: urllib.request.Request) -> int:
    """A provider's retries: the same webhook again after a non-2xx or a broken connection; returns the tries."""
    for attempt in range(1, 1000):
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
                if 200 <= response.status < 300:
                    return attempt
        except (urllib.error.URLError, OSError, http.client.HTTPException):  # refused, reset, cut off mid-answer
            pass
        time.sleep(0.3)
    raise RuntimeError("a webhook was never accepted")


def slow_sends(telegram: TelegramStandIn, twilio: TwilioStandIn) -> None:
    answer = telegram._answer

    def slow(method, params):
        if method == "sendMessage":
            time.sleep(SEND_SECONDS)
        return answer(method, params)

    telegram._answer = slow

    class Slow(list):
        def append(self, form):
            time.sleep(SEND_SECONDS)
            super().append(form)

    twilio.messages = Slow()


def table_counts(url: str, data_key: str) -> tuple[Counter, int, Counter]:
    """Inbox and outbox rows by status, the inbox's row count, and outbox rows per recipient."""
    database = Database(url, Keyring(data_key))
    try:
        with database.transaction() as session:
            statuses = Counter(dict(session.execute(
                select(InboundMessage.status, func.count()).group_by(InboundMessage.status)).all()))
            inbox_rows = session.scalar(select(func.count()).select_from(InboundMessage))
            replies = Counter(session.scalars(select(OutboundMessage.recipient)))
            statuses["outbox unsent"] = session.scalar(select(func.count()).select_from(OutboundMessage).where(
                OutboundMessage.status.in_(("pending", "sending"))))
            return statuses, inbox_rows, replies
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs spread over the run")
    parser.add_argument("--workers", type=int, default=2, help="`run.py worker` processes beside the web server")
    parser.add_argument("--rate", type=float, default=40, help="webhooks offered per second")
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    send_threads = load_config(ROOT / "config.yaml").server.send_threads
    telegram, twilio = TelegramStandIn(TOKEN).start(), TwilioStandIn(SID, AUTH).start()
    slow_sends(telegram, twilio)
    with tempfile.TemporaryDirectory() as workdir, contextlib.ExitStack() as stack:
        url = args.database_url and str(stack.enter_context(scratch_schema(args.database_url, prefix="chaos")))
        url = url or f"sqlite:///{workdir}/chaos.db"
        fleet = Fleet(url, telegram, twilio, workdir, args.workers)
        try:
            requests = [request_for(fleet.base, i) for i in range(args.messages)]
            duration = args.messages / args.rate
            kills: Counter = Counter()
            done = threading.Event()

            def killer():
                for _ in range(args.kills):
                    if done.wait(rng.uniform(0.2, 2 * duration / args.kills)):
                        return
                    name = rng.choice(list(fleet.commands))
                    fleet.kill_and_restart(name)
                    kills[name.split("-")[0]] += 1

            chaos = threading.Thread(target=killer, daemon=True)
            chaos.start()
            started = time.monotonic()

            def one(item):
                index, (request, _) = item
                delay = started + index / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                return post_until_accepted(request)

            with ThreadPoolExecutor(max_workers=32) as pool:
                tries = list(pool.map(one, enumerate(requests)))
            done.set()
            chaos.join()
            deadline = time.monotonic() + DRAIN_SECONDS
            while time.monotonic() < deadline:
                statuses, _, _ = table_counts(url, fleet.environment["LAPOR_DATA_KEY"])
                if statuses["pending"] + statuses["processing"] + statuses["outbox unsent"] == 0:
                    break
                time.sleep(1)
            statuses, in_inbox, replies = table_counts(url, fleet.environment["LAPOR_DATA_KEY"])
            recipients = [recipient.split(":", 1)[1] for _, recipient in requests]
            unanswered = sum(1 for r in recipients if replies[r] == 0)
            # One processing of a text makes a fixed number of replies (an emergency gets its advice too): more is twice.
            by_text: dict[str, list[str]] = {}
            for index, recipient in enumerate(recipients):
                by_text.setdefault(TEXTS[index % len(TEXTS)], []).append(recipient)
            usual = {text: Counter(replies[r] for r in group).most_common(1)[0][0] for text, group in by_text.items()}
            twice_processed = sum(1 for text, group in by_text.items() for r in group if replies[r] > usual[text])
            accepted = Counter((str(p.get("chat_id")), p.get("text")) for _, p in telegram.accepted)
            accepted.update((m["to"], m["body"]) for m in twilio.accepted)
            sent_twice = sum(n - 1 for n in accepted.values() if n > 1)
            backend = "postgresql" if args.database_url else "sqlite"
            print(f"backend: {backend}; {args.messages} webhooks at {args.rate:g}/s, web server + {args.workers} workers; "
                  f"kills: {dict(kills)} (SIGKILL, restarted at once); webhook posts needed: {sum(tries)} for {len(tries)}")
            print(f"inbox: {in_inbox} rows for {len(requests)} webhooks, statuses {dict((k, v) for k, v in statuses.items() if k != 'outbox unsent')}")
            print(f"lost: {len(requests) - in_inbox + unanswered} (target 0: {len(requests) - in_inbox} missing from the inbox, "
                  f"{unanswered} senders never answered)")
            print(f"processed twice: {twice_processed} (target 0; one processing makes {min(usual.values())}–"
                  f"{max(usual.values())} reply rows, by text)")
            print(f"sent twice: {sent_twice} (target ≤ the sends on the wire at the worker kills: at most "
                  f"{kills['worker'] * send_threads} = {kills['worker']} kills × {send_threads} sending threads)")
            print(f"outbox left unsent after {DRAIN_SECONDS} s of draining: {statuses['outbox unsent']}")
        finally:
            fleet.stop()
            telegram.stop()
            twilio.stop()


if __name__ == "__main__":
    main()
