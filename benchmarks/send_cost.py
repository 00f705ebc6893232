"""What one reply costs the sending process in the provider client libraries alone: CPU per
`SmsAdapter.send` (twilio's REST client) and `TelegramAdapter.send` (python-telegram-bot), against
the stand-ins running in another process.

    .venv/bin/python benchmarks/send_cost.py [--messages 2000] [--threads 8]

This is a floor under the whole pipeline's cost per message: it is spent whatever the gateway's
own code does.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bots.base import Outgoing  # noqa: E402

TOKEN, SID, AUTH = "4242:bench", "AC" + "2" * 32, "bench-auth"
TEXT = "Di mana lokasinya? Sebutkan jalan/patokan dan kelurahan."


def serve_standins(addresses, stop) -> None:
    from tests.standins.telegram_api import TelegramStandIn
    from tests.standins.twilio_api import TwilioStandIn

    telegram, twilio = TelegramStandIn(TOKEN).start(), TwilioStandIn(SID, AUTH).start()
    addresses.put((telegram.api_base, twilio.base_url))
    stop.wait()


def measure(name: str, send, count: int, threads: int) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, range(count)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{name}: {cpu / count * 1000:.2f} ms CPU a message, {count / wall:.0f} messages/s with {threads} threads")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    addresses, stop = multiprocessing.Queue(), multiprocessing.Event()
    standins = multiprocessing.Process(target=serve_standins, args=(addresses, stop), daemon=True)
    standins.start()
    telegram_base, twilio_base = addresses.get(timeout=30)
    try:
        from bots.sms import SmsAdapter
        from bots.telegram import TelegramAdapter

        sms = SmsAdapter(SID, AUTH, "+62811000000", api_base=twilio_base)
        telegram = TelegramAdapter(TOKEN, webhook_secret="s", api_base=telegram_base)
        for adapter in (sms, telegram):  # connections and first-call set-up out of the figures
            adapter.send(Outgoing(adapter.channel, "100", TEXT))
        measure("twilio messages.create", lambda n: sms.send(Outgoing("sms", f"+62812{n:07d}", TEXT)),
                args.messages, args.threads)
        measure("telegram send_message", lambda n: telegram.send(Outgoing("telegram", str(100_000 + n), TEXT)),
                args.messages, args.threads)
    finally:
        stop.set()
        standins.join(timeout=10)


if __name__ == "__main__":
    main()
