"""Load through the whole pipeline of a served gateway: signed SMS webhooks and Telegram updates in,
replies out to the provider stand-ins.

    .venv/bin/python benchmarks/intake_load.py [--messages 2000] [--rate 200] [--database-url URL]

Starts `run.py serve` (waitress + the in-process worker) on a scratch SQLite file, or on a scratch
schema of the PostgreSQL server given, with the Telegram and Twilio stand-ins from tests/standins.
Prints: webhook acknowledgement latency p50/p99, inbound-to-reply latency p50/p95 (the time the
stand-in received the reply), sustained messages per second end to end, the server's peak memory,
and — as the ceiling — the same server answering a bare endpoint (/healthz) at the same rate. Webhooks go
over kept-alive connections, as providers send them; PostgreSQL's CPU counts every server process seen during
the run, backends opened and closed in it included.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from store.scratch import scratch_schema  # noqa: E402
from tests.standins.telegram_api import TelegramStandIn  # noqa: E402
from tests.standins.twilio_api import TwilioStandIn, twilio_signature  # noqa: E402

TOKEN, SECRET = "4242:bench", "bench-secret"
SID, AUTH = "AC" + "2" * 32, "bench-auth"
TEXTS = ["lampu jalan mati udh seminggu", "sampah numpuk depan pasar", "jalan berlubang parah", "got mampet bau",
         "pohon miring mau tumbang", "parkir liar di trotoar"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class ReplyClock:
    """Wraps the stand-ins' request logs to time when each recipient got its first reply."""

    def __init__(self, telegram: TelegramStandIn, twilio: TwilioStandIn):
        self.first: dict[str, float] = {}
        self._wrap_telegram(telegram)
        self._wrap_twilio(twilio)

    def _wrap_telegram(self, standin: TelegramStandIn) -> None:
        answer = standin._answer

        def timed(method, params):
            if method == "sendMessage":
                self.first.setdefault(f"tg:{params.get('chat_id')}", time.monotonic())
            return answer(method, params)

        standin._answer = timed

    def _wrap_twilio(self, standin: TwilioStandIn) -> None:
        clock = self

        class Timed(list):
            def append(self, form):
                clock.first.setdefault(f"sms:{form.get('To')}", time.monotonic())
                super().append(form)

        standin.messages = Timed()


def gateway_environment(url: str, port: int, telegram: TelegramStandIn, twilio: TwilioStandIn) -> dict[str, str]:
    """What a benchmark's gateway processes run with: the store, a fresh data key, the stand-ins' addresses."""
    return {
        "PATH": os.environ.get("PATH", ""), "PORT": str(port), "DATABASE_URL": url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "LAPOR_DATA_KEY": Fernet.generate_key().decode(),
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": telegram.api_base,
        "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": AUTH, "TWILIO_FROM_NUMBER": "+62811000000",
        "TWILIO_API_BASE": twilio.base_url,
    }


def wait_healthy(base: str, seconds: float = 90) -> None:
    """Until the served gateway answers /healthz (it has migrated the store)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise SystemExit("the gateway did not start; see its log in the work folder")


def start_server(url: str, telegram: TelegramStandIn, twilio: TwilioStandIn, workdir: str, workers: int = 0,
                 config: Path = ROOT / "config.yaml"):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = gateway_environment(url, port, telegram, twilio)
    log = open(Path(workdir) / "server.log", "w")
    command = [sys.executable, str(ROOT / "run.py"), "--config", str(config)]
    serve = ["serve", "--no-worker"] if workers else ["serve"]
    process = subprocess.Popen(command + serve, cwd=workdir, env=environment, stdout=log, stderr=subprocess.STDOUT)
    wait_healthy(base)  # migrated: now the workers (they would race serve to migrate)
    others = [subprocess.Popen(command + ["worker", "--idle-seconds", "0.02"], cwd=workdir, env=environment,
                               stdout=log, stderr=subprocess.STDOUT) for _ in range(workers)]
    return [process, *others], base


def shut_down(processes: list[subprocess.Popen], *standins) -> None:
    for process in processes:
        process.terminate()
        process.wait(timeout=30)
    for standin in standins:
        standin.stop()


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (its CPU is part of every message's cost)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


class PostgresCpu:
    """CPU of the PostgreSQL server over a run, backends opened (and closed) during it included: its processes are
    sampled every 0.2 s, and each one's last reading counts."""

    def __init__(self) -> None:
        self.start = {pid: cpu for pid in postgres_pids() if (cpu := _cpu_or_none(pid)) is not None}
        self.last = dict(self.start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for pid in postgres_pids():
                cpu = _cpu_or_none(pid)
                if cpu is not None:
                    self.last[pid] = cpu

    def seconds(self) -> float:
        """CPU used since this sampler started, by every server process seen."""
        self._stop.set()
        self._thread.join()
        for pid in list(self.last):
            cpu = _cpu_or_none(pid)
            if cpu is not None:
                self.last[pid] = cpu
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.last.items())


def _cpu_or_none(pid: int) -> float | None:
    try:
        return cpu_seconds(pid)
    except OSError:
        return None


def request_for(base: str, index: int) -> tuple[urllib.request.Request, str]:
    text = TEXTS[index % len(TEXTS)]
    if index % 2:
        chat = 100_000 + index
        update = {"update_id": 1_000_000 + index, "message": {"message_id": 1, "date": int(time.time()),
                  "chat": {"id": chat, "type": "private"}, "text": text}}
        return urllib.request.Request(base + "/webhooks/telegram", json.dumps(update).encode(), {
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}), f"tg:{chat}"
    phone = f"+62812{index:07d}"
    form = {"MessageSid": f"SM{index:032d}", "AccountSid": SID, "From": phone, "To": "+62811000000", "Body": text}
    signature = twilio_signature(AUTH, base + "/webhooks/twilio/sms", form)
    return urllib.request.Request(base + "/webhooks/twilio/sms", urllib.parse.urlencode(form).encode(), {
        "X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}), f"sms:{phone}"


def drive(requests: list, rate: float, workers: int = 32) -> tuple[list[float], dict[str, float]]:
    """Send at `rate` per second over kept-alive connections (one per sending thread, as providers keep theirs);
    returns acknowledgement latencies and each recipient's send time."""
    latencies, sent_at, lock = [], {}, threading.Lock()
    connections = threading.local()
    started = time.monotonic()

    def post(request: urllib.request.Request) -> int:
        for attempt in (1, 2):  # once more on a fresh connection if the server closed the kept one
            if getattr(connections, "http", None) is None:
                parts = urllib.parse.urlsplit(request.full_url)
                connections.http = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            try:
                connections.http.request(request.get_method(), request.selector, request.data, dict(request.header_items()))
                response = connections.http.getresponse()
                response.read()
                return response.status
            except (ConnectionError, http.client.HTTPException):
                connections.http.close()
                connections.http = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def one(item):
        index, (request, recipient) = item
        due = started + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        t0 = time.monotonic()
        status = post(request)
        assert status == 200, status
        with lock:
            latencies.append(time.monotonic() - t0)
            if recipient:
                sent_at[recipient] = t0

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, enumerate(requests)))
    return latencies, sent_at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200, help="offered messages per second")
    parser.add_argument("--database-url")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--workers", type=int, default=0, help="`run.py worker` processes beside `serve --no-worker`")
    args = parser.parse_args()
    telegram, twilio = TelegramStandIn(TOKEN).start(), TwilioStandIn(SID, AUTH).start()
    clock = ReplyClock(telegram, twilio)
    with tempfile.TemporaryDirectory() as workdir, contextlib.ExitStack() as stack:
        url = args.database_url and str(stack.enter_context(scratch_schema(args.database_url, prefix="load")))
        url = url or f"sqlite:///{workdir}/load.db"
        processes, base = start_server(url, telegram, twilio, workdir, args.workers, args.config.resolve())
        try:
            bare = [(urllib.request.Request(base + "/healthz"), None) for _ in range(args.messages)]
            serve_before = cpu_seconds(processes[0].pid)
            bare_latencies, _ = drive(bare, args.rate)
            bare_cpu = (cpu_seconds(processes[0].pid) - serve_before) / args.messages * 1000
            requests = [request_for(base, i) for i in range(args.messages)]
            database = PostgresCpu() if args.database_url else None
            cpu_before = [cpu_seconds(p.pid) for p in processes] + [time.process_time(), 0.0]
            started = time.monotonic()
            latencies, sent_at = drive(requests, args.rate)
            deadline = time.monotonic() + 120
            while len(clock.first) < len(sent_at) and time.monotonic() < deadline:
                time.sleep(0.05)
            finished = max(clock.first.values(), default=time.monotonic())
            cpu_after = [cpu_seconds(p.pid) for p in processes] + [time.process_time(),
                                                                   database.seconds() if database else 0.0]
            replies = [clock.first[r] - sent_at[r] for r in sent_at if r in clock.first]
            backend = "postgresql" if args.database_url else "sqlite"
            print(f"backend: {backend}; {args.messages} messages offered at {args.rate:.0f}/s (half SMS, half Telegram)")
            print(f"bare endpoint (ceiling): ack p50 {pct(bare_latencies, .5):.1f} ms, p99 {pct(bare_latencies, .99):.1f} ms")
            print(f"webhook ack: p50 {pct(latencies, .5):.1f} ms, p99 {pct(latencies, .99):.1f} ms")
            print(f"inbound → reply at the stand-in: p50 {pct(replies, .5):.0f} ms, p95 {pct(replies, .95):.0f} ms "
                  f"({len(replies)}/{len(sent_at)} replied)")
            print(f"sustained through the pipeline: {len(replies) / (finished - started):.0f} messages/s")
            per_message = [(after - before) / args.messages * 1000 for before, after in zip(cpu_before, cpu_after, strict=True)]
            print("CPU per message: " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in zip(
                ["serve", *[f"worker {n}" for n in range(1, len(processes))], "load + stand-ins", "PostgreSQL"],
                per_message, strict=True)) + f"; serve answering /healthz: {bare_cpu:.2f} ms a request")
            print(f"server peak memory (RSS): {' + '.join(f'{peak_memory_mib(p.pid):.0f}' for p in processes)} MiB")
        finally:
            shut_down(processes, telegram, twilio)


if __name__ == "__main__":
    main()
