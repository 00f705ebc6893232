"""Load through the whole pipeline of a served gateway: signed SMS webhooks and Telegram updates in,
replies out to the provider stand-ins; and, in the same run, the floors under its CPU per message.

    .venv/bin/python benchmarks/intake_load.py [--messages 2000] [--rate 200] [--database-url URL]

Starts `run.py serve` (waitress + the in-process worker) on a scratch SQLite file, or on a scratch
schema of the PostgreSQL server given, with the Telegram and Twilio stand-ins from tests/standins.
Prints: webhook acknowledgement latency p50/p99, inbound-to-reply latency p50/p95 (the time the
stand-in received the reply), sustained messages per second end to end, the server's peak memory,
and — as the ceiling — the same server answering a bare endpoint (/healthz) at the same rate. Webhooks go
over kept-alive connections, as providers send them, and the stand-ins keep the gateway's connections alive
as the providers do (HTTP/1.1; the connections they accepted are printed). PostgreSQL's CPU is read for every
server process seen during the run and told apart by each backend's application_name (the gateway's
connections say `lapor-bench`, the SQL floor's `lapor-floor`). Telegram's send pacing is lifted to 1000/s for the
run (`--telegram-per-second`): the config keeps Telegram's published limit for a bot, about 30 messages a second,
and half of 200 messages/s offered would otherwise wait on it (the stand-in has no limit).

Then, the gateway stopped, the floors of benchmarks/floors.py, each in a process of its own: a pooled POST of
one reply, the minimal SQL of one first-contact message in SQLAlchemy Core, the normalizer; with the bare endpoint
they add up to the floor the gateway's CPU per message is compared with.
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

import yaml  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.floors import (  # noqa: E402
    AUTH,
    FLOOR_APPLICATION,
    SID,
    TEXTS,
    normalizer_floor,
    post_floor,
    sql_floor,
    url_text,
    with_application_name,
)
from store.scratch import scratch_schema  # noqa: E402
from tests.standins.telegram_api import TelegramStandIn  # noqa: E402
from tests.standins.twilio_api import TwilioStandIn, twilio_signature  # noqa: E402

TOKEN, SECRET = "4242:bench", "bench-secret"
GATEWAY_APPLICATION = "lapor-bench"  # application_name of the gateway's PostgreSQL connections


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


def paced_config(source: Path, workdir: str, telegram_per_second: float) -> Path:
    """The gateway's config with Telegram's send pacing set for this run (0: as the config has it). The config keeps
    Telegram's published limit, about 30 messages a second a bot; at 200 messages/s offered, half to Telegram, the
    run would measure that pacing, not the gateway (the stand-in has no limit)."""
    if not telegram_per_second:
        return source
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    raw.setdefault("send_limits", {}).setdefault("telegram", {})["per_second"] = telegram_per_second
    paced = Path(workdir) / "config.yaml"
    paced.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return paced


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
    """CPU of the PostgreSQL server over a run, told apart by application: every 0.2 s each server process's CPU is
    read from /proc and the server is asked which application_name each backend has (pg_stat_activity), so backends
    opened and closed during the run count, under their name. Processes without one (the WAL writer, the
    checkpointer, clients that give none) count as OTHER."""

    OTHER = "other"

    def __init__(self, server_url: str) -> None:
        import psycopg

        url = make_url(server_url).set(drivername="postgresql")  # what libpq takes
        self._connection = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True,
                                           application_name="lapor-bench-sampler")
        self._lock = threading.Lock()
        self.names: dict[int, str] = {}
        self.start = {pid: cpu for pid in postgres_pids() if (cpu := _cpu_or_none(pid)) is not None}
        self.last = dict(self.start)
        self._sample()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        with self._lock:
            for pid, name in self._connection.execute("SELECT pid, application_name FROM pg_stat_activity"):
                if name:
                    self.names[pid] = name
            for pid in postgres_pids():
                cpu = _cpu_or_none(pid)
                if cpu is not None:
                    self.last[pid] = cpu

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def seconds(self) -> dict[str, float]:
        """CPU seconds used since the sampler started, by application_name (OTHER for the rest)."""
        self._sample()
        totals: dict[str, float] = {}
        with self._lock:
            for pid, cpu in self.last.items():
                name = self.names.get(pid, self.OTHER)
                totals[name] = totals.get(name, 0.0) + cpu - self.start.get(pid, 0.0)
        return totals

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._connection.close()


def cpu_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: seconds - before.get(name, 0.0) for name, seconds in after.items()}


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


def serve_load(args, telegram: TelegramStandIn, twilio: TwilioStandIn, clock: ReplyClock, url: str, workdir: str,
               database: PostgresCpu | None) -> dict:
    """The bare phase and the load through the gateway; its figures (the gateway stopped at the end)."""
    processes, base = start_server(url, telegram, twilio, workdir, args.workers, args.config.resolve())
    try:
        bare = [(urllib.request.Request(base + "/healthz"), None) for _ in range(args.messages)]
        serve_before = cpu_seconds(processes[0].pid)
        bare_latencies, _ = drive(bare, args.rate)
        bare_cpu = (cpu_seconds(processes[0].pid) - serve_before) / args.messages * 1000
        requests = [request_for(base, i) for i in range(args.messages)]
        database_before = database.seconds() if database else {}
        cpu_before = [cpu_seconds(p.pid) for p in processes] + [time.process_time()]
        started = time.monotonic()
        latencies, sent_at = drive(requests, args.rate)
        deadline = time.monotonic() + 120
        while len(clock.first) < len(sent_at) and time.monotonic() < deadline:
            time.sleep(0.05)
        finished = max(clock.first.values(), default=time.monotonic())
        cpu_after = [cpu_seconds(p.pid) for p in processes] + [time.process_time()]
        database_cpu = cpu_between(database_before, database.seconds()) if database else {}
        return {
            "bare_latencies": bare_latencies, "bare_cpu": bare_cpu, "latencies": latencies, "sent_at": sent_at,
            "started": started, "finished": finished,
            "cpu": [(after - before) / args.messages * 1000 for before, after in zip(cpu_before, cpu_after, strict=True)],
            "database": {name: seconds / args.messages * 1000 for name, seconds in database_cpu.items()},
            "replies": (len(telegram.accepted), len(twilio.accepted)),
            "connections": (telegram.connections_accepted, twilio.connections_accepted),  # since the gateway started
            "memory": [peak_memory_mib(p.pid) for p in processes],
        }
    finally:
        shut_down(processes)


def measure_floors(args, twilio: TwilioStandIn, workdir: str, database: PostgresCpu | None) -> dict:
    """The floors, each in a process of its own, the gateway stopped: CPU ms a unit."""
    post = post_floor(twilio.base_url, args.messages)
    before = database.seconds() if database else {}
    sql = sql_floor(args.database_url, args.messages, workdir)
    backends = cpu_between(before, database.seconds()).get(FLOOR_APPLICATION, 0.0) if database else 0.0
    return {"post": post["requests_ms"], "post_http_client": post["http_client_ms"], "sql": sql["ms"],
            "sql_backends": backends / (sql["messages"] + sql["warmup"]) * 1000,
            "normalizer": normalizer_floor(args.messages)["ms"]}


def report(args, clock: ReplyClock, load: dict, floors: dict | None) -> None:
    sent_at, messages = load["sent_at"], args.messages
    replies = [clock.first[r] - sent_at[r] for r in sent_at if r in clock.first]
    backend = "postgresql" if args.database_url else "sqlite"
    pacing = (f"Telegram paced at {args.telegram_per_second:g}/s for the run, not the config's published limit"
              if args.telegram_per_second else "Telegram paced as the config says")
    print(f"backend: {backend}; {messages} messages offered at {args.rate:.0f}/s (half SMS, half Telegram; {pacing})")
    print(f"bare endpoint (ceiling): ack p50 {pct(load['bare_latencies'], .5):.1f} ms, "
          f"p99 {pct(load['bare_latencies'], .99):.1f} ms")
    print(f"webhook ack: p50 {pct(load['latencies'], .5):.1f} ms, p99 {pct(load['latencies'], .99):.1f} ms")
    print(f"inbound → reply at the stand-in: p50 {pct(replies, .5):.0f} ms, p95 {pct(replies, .95):.0f} ms "
          f"({len(replies)}/{len(sent_at)} replied)")
    print(f"sustained through the pipeline: {len(replies) / (load['finished'] - load['started']):.0f} messages/s")
    names = ["serve", *[f"worker {n}" for n in range(1, len(load["cpu"]) - 1)], "load + stand-ins"]
    database = load["database"]
    print("CPU per message: " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in zip(names, load["cpu"], strict=True))
          + (f"; PostgreSQL: gateway backends {database.get(GATEWAY_APPLICATION, 0.0):.2f} ms, other server "
             f"processes {database.get(PostgresCpu.OTHER, 0.0):.2f} ms" if args.database_url else "")
          + f"; serve answering /healthz: {load['bare_cpu']:.2f} ms a request")
    per_reply = sum(load["replies"]) / messages
    print(f"replies: {per_reply:.2f} a message ({load['replies'][0]} to Telegram, {load['replies'][1]} to Twilio) over "
          f"{load['connections'][0]} + {load['connections'][1]} connections the stand-ins accepted from the gateway")
    print(f"server peak memory (RSS): {' + '.join(f'{mib:.0f}' for mib in load['memory'])} MiB")
    if floors is None:
        return
    gateway = sum(load["cpu"][:-1])
    floor = load["bare_cpu"] + floors["sql"] + per_reply * floors["post"] + floors["normalizer"]
    rows = [("gateway processes (web + worker)", gateway, floor)]
    if args.database_url:
        backends = database.get(GATEWAY_APPLICATION, 0.0)
        rows += [("PostgreSQL backends", backends, floors["sql_backends"]),
                 ("together", gateway + backends, floor + floors["sql_backends"])]
    print(f"{'CPU a message, this run':<34}{'gateway':>10}{'floor':>10}{'ratio':>8}")
    for name, measured, least in rows:
        print(f"  {name:<32}{measured:>7.2f} ms{least:>7.2f} ms{measured / least:>7.1f}×")
    print(f"  floor = bare endpoint {load['bare_cpu']:.2f} + minimal SQL in Core {floors['sql']:.2f} + {per_reply:.2f} "
          f"× pooled POST {floors['post']:.2f} (http.client: {floors['post_http_client']:.2f}) + normalizer "
          f"{floors['normalizer']:.2f} ms")
    print("  targets: gateway ≤ 1.5× the floor; serve ≤ 3.5 ms a message on SQLite, ≤ 4.5 ms on PostgreSQL")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200, help="offered messages per second")
    parser.add_argument("--database-url")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--workers", type=int, default=0, help="`run.py worker` processes beside `serve --no-worker`")
    parser.add_argument("--no-floors", action="store_true", help="the gateway only")
    parser.add_argument("--telegram-per-second", type=float, default=1000,
                        help="Telegram's send pacing for the run (0: the config's, Telegram's published ~30/s)")
    args = parser.parse_args()
    telegram, twilio = TelegramStandIn(TOKEN).start(), TwilioStandIn(SID, AUTH).start()
    clock = ReplyClock(telegram, twilio)
    with tempfile.TemporaryDirectory() as workdir, contextlib.ExitStack() as stack:
        stack.callback(shut_down, [], telegram, twilio)
        database = PostgresCpu(args.database_url) if args.database_url else None
        if database:
            stack.callback(database.close)
        url = args.database_url and stack.enter_context(scratch_schema(args.database_url, prefix="load"))
        url = url_text(with_application_name(url or f"sqlite:///{workdir}/load.db", GATEWAY_APPLICATION))
        args.config = paced_config(args.config.resolve(), workdir, args.telegram_per_second)
        load = serve_load(args, telegram, twilio, clock, url, workdir, database)
        floors = None if args.no_floors else measure_floors(args, twilio, workdir, database)
        report(args, clock, load, floors)


if __name__ == "__main__":
    main()
