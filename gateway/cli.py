"""`python run.py <command>`: serve (default), init-db, import-units, create-user, …"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from gateway.config import Config, ConfigError, load_config
from normalizer.wilayah import DEFAULT_GEOJSON, Wilayah
from store import Database
from store.crypto import DataKeyError, load_keyring
from store.units import UnitSpec, count_units, import_units

log = logging.getLogger("lapor")


def open_database(config: Config) -> Database:
    keyring = load_keyring(config.storage.data_key_env, config.storage.dev_key_file)
    return Database(config.storage.database_url, keyring, config.storage.attachments_dir)


def unit_specs(config: Config, wilayah: Wilayah) -> list[UnitSpec]:
    """Every kota, kecamatan and kelurahan from the wilayah data, then the configured services."""
    specs = [
        UnitSpec(
            code=area.code,
            kind=area.level,
            name=unit_name(area),
            parent_code=area.parent_code,
            kota_code=area.kota_code,
            kecamatan_code=area.kecamatan_code,
        )
        for level in ("kota", "kecamatan", "kelurahan")
        for area in wilayah.of_level(level)
    ]
    specs += [
        UnitSpec(code=unit.code, kind="service", name=unit.name, contacts=unit.contacts.model_dump())
        for unit in config.service_units
    ]
    return specs


def unit_name(area) -> str:
    """'Kelurahan Gambir' and 'Kecamatan Gambir' — 24 names exist at both levels."""
    return area.name if area.level == "kota" else f"{area.level.capitalize()} {area.name}"


def cmd_init_db(config: Config, args: argparse.Namespace) -> int:
    db = open_database(config)
    db.migrate()
    print(f"database ready: {db.url.render_as_string(hide_password=True)}")
    return 0


def cmd_import_units(config: Config, args: argparse.Namespace) -> int:
    db = open_database(config)
    db.migrate()
    wilayah = Wilayah.load(Path(args.file), config.geography.border_tolerance_m)
    result = import_units(db, unit_specs(config, wilayah))
    print(f"units: {result.created} created, {result.updated} updated, {result.unchanged} unchanged")
    return 0


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    from waitress import serve

    from gateway.app import create_app
    from gateway.normalizing import build_normalizer

    wilayah = load_wilayah(config)
    db = _ready_database(config, wilayah)
    app = create_app(config, db, wilayah, normalizer=build_normalizer(config, wilayah))
    from gateway.jobs import start_scheduler

    start_scheduler(app, telegram_polling=os.environ.get("TELEGRAM_MODE", "webhook") == "polling",
                    with_worker=not getattr(args, "no_worker", False))
    host, port = config.server.host, config.server.port
    log.info("serving on http://%s:%d (public address %s)", host, port, config.server.base_url)
    serve(app, host=host, port=port, threads=config.server.threads, ident="lapor-gateway")
    return 0


def cmd_normalize(config: Config, args: argparse.Namespace) -> int:
    """JSON lines in (`{"text": …, "lat": …, "lon": …}`), one JSON result per line out."""
    import json

    from gateway.normalizing import build_normalizer, normalize_line

    normalizer = build_normalizer(config)
    progress = Progress(sys.stderr) if sys.stderr.isatty() else None
    for number, line in enumerate(sys.stdin, start=1):
        if line.strip():
            result = normalize_line(normalizer, line, number)
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        if progress:
            progress.update(number)
    sys.stdout.flush()
    if progress:
        progress.finish()
    return 0


class Progress:
    """A one-line counter on a terminal, redrawn at most ten times a second."""

    def __init__(self, stream):
        self.stream = stream
        self.started = self.shown = time.monotonic()
        self.count = 0

    def update(self, count: int) -> None:
        self.count = count
        now = time.monotonic()
        if now - self.shown >= 0.1 or count == 1:
            self.shown = now
            self._draw(now)

    def finish(self) -> None:
        self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, now: float) -> None:
        rate = self.count / max(now - self.started, 1e-6)
        self.stream.write(f"\rnormalizing: {self.count} lines, {rate:.0f}/s")
        self.stream.flush()


def cmd_chat(config: Config, args: argparse.Namespace) -> int:
    """Talk to the bot in this terminal, through the same inbox, conversation and outbox."""
    import uuid

    from bots.chat import CHANNEL, ChatAdapter, payload
    from gateway.app import create_app
    from gateway.worker import Worker
    from store.inbox import record_inbound
    from store.reporters import contact_hash

    wilayah = load_wilayah(config)
    app = create_app(config, _ready_database(config, wilayah), wilayah)
    db = app.extensions["lapor"].db
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda out: print(f"bot> {out.text}", flush=True))})
    session = f"terminal-{uuid.uuid4().hex[:8]}"
    print("Lapor Gateway chat: tell the bot about a problem in Jakarta (Ctrl-D to quit).")
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("you> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        text = line.strip()
        if not text:
            continue
        message = payload(session, text)
        record_inbound(db, CHANNEL, message["message_id"], message, sender_hash=contact_hash(CHANNEL, session))
        while worker.run_once():
            pass


def cmd_worker(config: Config, args: argparse.Namespace) -> int:
    """Process the inbox and send the outbox until stopped (for deployments with several web processes)."""
    from gateway.app import create_app
    from gateway.worker import Worker
    from store.wakeups import InboxWakeups

    wilayah = load_wilayah(config)
    app = create_app(config, _ready_database(config, wilayah), wilayah)
    worker = Worker(app.extensions["lapor"], app.extensions["lapor"].adapters)
    wakeups = InboxWakeups(app.extensions["lapor"].db)
    log.info("worker started")
    while True:
        if not worker.run_once():
            wakeups.wait(args.idle_seconds)  # at once on a new message (PostgreSQL); retries fall due meanwhile


def cmd_create_user(config: Config, args: argparse.Namespace) -> int:
    """A console login (the first admin, say). The password is asked twice, or read from stdin."""
    import getpass

    from store.users import UserError, create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    try:
        user = create_user(_ready_database(config, load_wilayah(config)), username=args.username, password=password,
                           role=args.role, display_name=args.name, unit_code=args.unit, language=args.language)
    except UserError as error:
        print(f"cannot create the user: {error}", file=sys.stderr)
        return 2
    print(f"user {user.username} ({user.role}) created; log in at {config.server.base_url}/console/")
    return 0


def load_wilayah(config: Config) -> Wilayah:
    return Wilayah.load(border_tolerance_m=config.geography.border_tolerance_m)


def _ready_database(config: Config, wilayah: Wilayah) -> Database:
    """Migrated, with the units loaded on first start."""
    db = open_database(config)
    db.migrate()
    if count_units(db) == 0:
        result = import_units(db, unit_specs(config, wilayah))
        log.info("first start: imported %d units", result.created)
    return db


COMMANDS = {
    "serve": (cmd_serve, "run the gateway (web, API) with a production WSGI server"),
    "init-db": (cmd_init_db, "create or migrate the database"),
    "import-units": (cmd_import_units, "load kota/kecamatan/kelurahan and the configured services"),
    "normalize": (cmd_normalize, "normalize JSON-lines messages from stdin to JSON lines on stdout"),
    "chat": (cmd_chat, "talk to the bot in this terminal"),
    "worker": (cmd_worker, "process the inbox and send the outbox until stopped"),
    "create-user": (cmd_create_user, "add a console login (e.g. the first admin)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description="Lapor Gateway")
    parser.add_argument("--config", default="config.yaml", help="configuration file (default: config.yaml)")
    commands = parser.add_subparsers(dest="command", metavar="command")
    for name, (_handler, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text)
        if name == "serve":
            sub.add_argument("--no-worker", action="store_true", help="web only: run `run.py worker` processes instead")
        if name == "worker":
            sub.add_argument("--idle-seconds", type=float, default=0.5, help="pause when there is nothing to do")
        if name == "create-user":
            sub.add_argument("--username", required=True)
            sub.add_argument("--role", required=True, choices=["triage", "officer", "verifier", "admin"])
            sub.add_argument("--unit", help="an officer's unit code (kelurahan, e.g. 31.71.01.1001, or service)")
            sub.add_argument("--name", help="the name shown in the console")
            sub.add_argument("--language", default="id", choices=["id", "en"])
            sub.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
        if name == "import-units":
            sub.add_argument("--file", default=str(DEFAULT_GEOJSON), help="wilayah GeoJSON")
    return parser


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per half-second worker tick
    # The HTTP clients log every request at INFO: httpx with the Bot API URL (it holds the bot token),
    # twilio with the recipient's number. Logs carry ids only.
    for noisy in ("httpx", "twilio.http_client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    command = args.command or "serve"
    try:
        config = load_config(args.config)
        return COMMANDS[command][0](config, args)
    except (ConfigError, DataKeyError) as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
