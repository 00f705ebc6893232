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

    scheduler = start_scheduler(app, telegram_polling=os.environ.get("TELEGRAM_MODE", "webhook") == "polling",
                                with_worker=not getattr(args, "no_worker", False))
    host, port = config.server.host, config.server.port
    log.info("serving on http://%s:%d (public address %s)", host, port, config.server.base_url)
    try:
        serve(app, host=host, port=port, threads=config.server.threads, ident="lapor-gateway")
    finally:  # the adapters' kept-alive connections and threads go with the process, closed properly
        scheduler.shutdown(wait=False)
        for adapter in app.extensions["lapor"].adapters.values():
            adapter.close()
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
    """Talk to the bot in this terminal, through the same inbox, conversation and outbox: alone, or beside a
    serving gateway (`make run`), whose worker may well answer first."""
    from bots.chat import CHANNEL, ChatAdapter
    from gateway.app import create_app

    wilayah = load_wilayah(config)
    app = create_app(config, _ready_database(config, wilayah), wilayah, adapters={CHANNEL: ChatAdapter()})
    return terminal_chat(app.extensions["lapor"], sys.stdin, sys.stdout)


def terminal_chat(services, stdin, stdout, session: str | None = None, poll_seconds: float = 0.5) -> int:
    """Each line goes to the inbox; the bot's messages to this session are read from the outbox and shown once
    each, in order: the replies, whichever process's worker handled the line (a served gateway's worker "sends"
    chat replies into nothing), and what comes later on its own (status updates, reminders), shown as it comes.

    After a line the terminal waits until it is handled, helping with the chat channel's share of the work
    itself (so it also works with no gateway running); it never takes another channel's messages, which a
    gateway beside it may have the adapters for and this process has not."""
    import threading
    import uuid

    from bots.chat import CHANNEL, ChatAdapter, payload
    from gateway.worker import Worker
    from store.inbox import record_inbound, unfinished_from_sender
    from store.reporters import contact_hash

    db = services.db
    session = session or f"terminal-{uuid.uuid4().hex[:8]}"
    digest = contact_hash(CHANNEL, session)
    worker = Worker(services, {CHANNEL: ChatAdapter()}, channels=(CHANNEL,))
    interactive = stdin.isatty()
    screen = _ChatScreen(db, session, stdout, interactive)
    stop = threading.Event()

    def watch() -> None:  # what the bot says between lines: status updates, reminders
        while not stop.wait(poll_seconds):
            try:
                screen.show_new()
            except Exception:  # the database away for a moment: the next round shows it
                log.debug("reading the chat replies failed", exc_info=True)

    watcher = threading.Thread(target=watch, name="chat-replies", daemon=True)
    screen.say("Lapor Gateway chat: tell the bot about a problem in Jakarta (Ctrl-D to quit).")
    watcher.start()
    try:
        while True:
            screen.prompt()
            line = stdin.readline()
            screen.prompting = False
            if not line:
                break
            text = line.strip()
            if not text:
                continue
            message = payload(session, text)
            record_inbound(db, CHANNEL, message["message_id"], message, sender_hash=digest)
            while unfinished_from_sender(db, CHANNEL, digest):
                if not worker.run_once():  # another process's worker may hold it: look again shortly
                    time.sleep(0.05)
                screen.show_new()
            while worker.run_once():  # this session's replies marked sent, if no other worker did
                pass
            screen.show_new()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        watcher.join(timeout=5)
    if interactive:
        screen.say("")
    return 0


class _ChatScreen:
    """The terminal's side of one chat session: the bot's messages from the outbox, each printed once, in order."""

    def __init__(self, db, session: str, out, interactive: bool):
        import threading

        self.db, self.session, self.out, self.interactive = db, session, out, interactive
        self.contact_id: int | None = None
        self.after = 0  # the last outbox message shown
        self.prompting = False  # a "you> " prompt is on screen, waiting for a line
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def prompt(self) -> None:
        if self.interactive:
            with self._lock:
                self.out.write("you> ")
                self.out.flush()
                self.prompting = True

    def show_new(self) -> int:
        from bots.chat import CHANNEL
        from store.outbox import messages_for_contact
        from store.reporters import find_identity

        with self._lock:
            if self.contact_id is None:
                identity = find_identity(self.db, CHANNEL, self.session)
                if identity is None:  # nothing handled yet
                    return 0
                self.contact_id = identity.id
            shown = 0
            while rows := messages_for_contact(self.db, self.contact_id, after_id=self.after):
                for row in rows:
                    if self.prompting:  # a message arriving while the citizen is at the prompt: above it
                        self.out.write("\r\x1b[K")
                    self.out.write(f"bot> {row.body}\n")
                    if self.prompting:
                        self.out.write("you> ")
                    self.after = row.id
                    shown += 1
            self.out.flush()
            return shown


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
    # HTTP clients log requests (httpx at INFO, urllib3 at DEBUG) with their URL, and the Bot API URL holds the
    # bot token; twilio's own client logs the recipient's number. Logs carry ids only.
    for noisy in ("httpx", "urllib3", "twilio.http_client"):
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
