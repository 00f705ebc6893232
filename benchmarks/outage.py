"""Provider outages: nothing lost, nothing sent twice, the backlog cleared soon after recovery.

    .venv/bin/python benchmarks/outage.py [--minutes 10] [--messages 400] [--database-url URL]

Starts `run.py serve` (SQLite scratch file, or a scratch schema of the PostgreSQL server given) with the
Telegram and Twilio stand-ins from tests/standins. Both stand-ins then refuse every send: the first half of
the outage with HTTP 500, the second half with 429 (Telegram with `retry_after: 1`, as in the storm that once
lost replies). Signed webhooks (half Telegram, half SMS, each from its own sender) arrive throughout the
outage. When it ends, the benchmark waits until every reply queued has been accepted by a stand-in, then
prints: replies delivered, lost (given up, or never accepted), sent twice, the time from recovery until the
last one was accepted, and the busiest second and the closest two sends to one chat on Telegram (limits:
30 a second, one a second per chat).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select  # noqa: E402

from benchmarks.intake_load import AUTH, SID, TOKEN, drive, request_for, shut_down, start_server  # noqa: E402
from store.db import normalise_url  # noqa: E402
from store.models import OutboundMessage  # noqa: E402
from store.scratch import scratch_schema  # noqa: E402
from tests.standins.telegram_api import TelegramStandIn  # noqa: E402
from tests.standins.twilio_api import TwilioStandIn  # noqa: E402

SETTLE_SECONDS = 600  # after recovery, how long the benchmark waits for the backlog before calling the rest lost


def outbox(url: str) -> Counter:
    """The outbox's rows by status (read straight from the database the gateway writes)."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            table = OutboundMessage.__table__
            return Counter(dict(connection.execute(select(table.c.status, func.count()).group_by(table.c.status)).all()))
    finally:
        engine.dispose()


def telegram_pace(accepted: list[tuple[float, dict]]) -> tuple[int, float]:
    """The most sends accepted within one second, and the shortest gap between two sends to one chat."""
    times = sorted(t for t, _ in accepted)
    busiest, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    last: dict[str, float] = {}
    closest = float("inf")
    for moment, params in sorted(accepted, key=lambda item: item[0]):
        chat = str(params.get("chat_id"))
        if chat in last:
            closest = min(closest, moment - last[chat])
        last[chat] = moment
    return busiest, closest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10, help="length of the outage (500s, then 429s)")
    parser.add_argument("--messages", type=int, default=400, help="webhooks arriving during the outage")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    telegram, twilio = TelegramStandIn(TOKEN).start(), TwilioStandIn(SID, AUTH).start()
    sms_accepted_at: list[float] = []

    class Stamped(list):  # when Twilio took each message
        def append(self, message):
            sms_accepted_at.append(time.monotonic())
            super().append(message)

    twilio.accepted = Stamped()
    outage = args.minutes * 60
    with tempfile.TemporaryDirectory() as workdir, contextlib.ExitStack() as stack:
        url = args.database_url and str(stack.enter_context(scratch_schema(args.database_url, prefix="outage")))
        url = url or f"sqlite:///{workdir}/outage.db"
        processes, base = start_server(url, telegram, twilio, workdir)
        try:
            telegram.begin_outage(500)
            twilio.begin_outage(500)
            started = time.monotonic()

            def second_half():
                time.sleep(outage / 2)
                telegram.begin_outage(429, retry_after=1)
                twilio.begin_outage(429)

            switch = threading.Thread(target=second_half, daemon=True)
            switch.start()
            requests = [request_for(base, i) for i in range(args.messages)]
            drive(requests, rate=args.messages / (outage * 0.9))  # spread over the outage
            time.sleep(max(0.0, outage - (time.monotonic() - started)))
            switch.join()
            during = outbox(url)
            telegram.end_outage()
            twilio.end_outage()
            recovered = time.monotonic()
            while time.monotonic() - recovered < SETTLE_SECONDS:
                statuses = outbox(url)
                if statuses["pending"] + statuses["sending"] == 0:
                    break
                time.sleep(0.5)
            statuses = outbox(url)
            latest = max([t for t, _ in telegram.accepted] + sms_accepted_at + [recovered])
            replies = Counter((str(p.get("chat_id")), p.get("text")) for _, p in telegram.accepted)
            replies.update((m["to"], m["body"]) for m in twilio.accepted)
            twice = sum(n - 1 for n in replies.values() if n > 1)
            queued = sum(statuses.values())
            busiest, closest = telegram_pace(telegram.accepted)
            backend = "postgresql" if args.database_url else "sqlite"
            print(f"backend: {backend}; outage {args.minutes:g} min (500s, then 429s with retry_after 1); "
                  f"{args.messages} webhooks during it (half Telegram, half SMS)")
            print(f"refused sends during the outage: Telegram {sum(1 for m, _ in telegram.calls if m == 'sendMessage') - len(telegram.accepted)}, "
                  f"SMS {len(twilio.messages) - len(twilio.accepted)}; outbox at recovery: {dict(during)}")
            print(f"replies queued {queued}: delivered {statuses['sent'] + statuses['delivered']}, "
                  f"lost {statuses['failed'] + statuses['pending'] + statuses['sending']} (target 0), sent twice {twice} (target 0)")
            print(f"backlog cleared {latest - recovered:.1f} s after recovery (target ≤ 60 s)")
            print(f"Telegram pace: busiest second {busiest} sends (limit 30), closest two to one chat {closest:.2f} s (limit 1 s)")
        finally:
            shut_down(processes, telegram, twilio)


if __name__ == "__main__":
    main()
