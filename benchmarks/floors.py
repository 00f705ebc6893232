"""Floors under the intake pipeline's CPU per message: what the least code doing the same work costs, measured on
this machine in the same run as the gateway (`benchmarks/intake_load.py` calls these), or alone:

    .venv/bin/python benchmarks/floors.py [--messages 1000] [--database-url postgresql://…]

- pooled POST: one reply sent as a form POST to the Twilio stand-in's Messages endpoint over a kept-alive
  connection, by `requests.Session` (what the providers' client libraries use) and by a bare `http.client`
  connection;
- minimal SQL: one first-contact message in SQLAlchemy Core on the real (migrated, encrypted) tables, in two
  transactions: [the inbox row inserted (ON CONFLICT DO NOTHING RETURNING) and claimed (UPDATE … RETURNING), a
  reporter, its contact identity, a conversation and the reply's outbox row inserted, the inbox row marked
  processed], then [the outbox row claimed and marked sent]: 9 statements. The gateway also commits the inbox
  row alone before acknowledging a webhook and claims in batches; the floor leaves both out;
- normalizer: `Normalizer.normalize` on the load's texts.

Each floor runs in a process of its own (`python benchmarks/floors.py post|sql|normalize …`), which times only its
loop with its own CPU clock (`time.process_time`: imports, set-up and a short warm-up are left out) and prints one
JSON line. The bare endpoint (waitress + Flask answering /healthz) is measured by intake_load on the served gateway.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SID, AUTH = "AC" + "2" * 32, "bench-auth"
TEXTS = ["lampu jalan mati udh seminggu", "sampah numpuk depan pasar", "jalan berlubang parah", "got mampet bau",
         "pohon miring mau tumbang", "parkir liar di trotoar"]
REPLY = "Di mana lokasinya? Sebutkan jalan/patokan dan kelurahan, atau bagikan lokasi."
FLOOR_APPLICATION = "lapor-floor"  # application_name of the SQL floor's PostgreSQL backends
WARMUP = 20


# -- the measured loops (each in a process of its own) ---------------------------------------------------------


def measure_post(base_url: str, messages: int, account_sid: str = SID, auth_token: str = AUTH) -> dict:
    """CPU a POST of one reply over a kept-alive connection: requests.Session, then one http.client connection."""
    import requests

    path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
    forms = [urllib.parse.urlencode({"To": f"+62812{i:07d}", "From": "+62811000000", "Body": REPLY})
             for i in range(messages + WARMUP)]
    session = requests.Session()
    session.auth = (account_sid, auth_token)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def by_requests(form: str) -> None:
        response = session.post(base_url + path, data=form, headers=headers, timeout=30)
        response.json()
        assert response.status_code == 201, response.status_code

    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    plain = {**headers, "Authorization": "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()}

    def by_http_client(form: str) -> None:
        connection.request("POST", path, form, plain)
        response = connection.getresponse()
        json.loads(response.read())
        assert response.status == 201, response.status

    result = {"messages": messages}
    for name, send in (("requests", by_requests), ("http_client", by_http_client)):
        for form in forms[:WARMUP]:
            send(form)
        started = time.process_time()
        for form in forms[WARMUP:]:
            send(form)
        result[f"{name}_ms"] = (time.process_time() - started) / messages * 1000
    session.close()
    connection.close()
    return result


def measure_sql(url: str, messages: int) -> dict:
    """CPU a first-contact message in SQLAlchemy Core (see the module's docstring), on a migrated store at `url`."""
    from cryptography.fernet import Fernet
    from sqlalchemy import bindparam, update

    from store.crypto import Keyring
    from store.db import Database, insert_ignoring_repeats
    from store.models import ContactIdentity, Conversation, InboundMessage, OutboundMessage, Reporter
    from store.types import utcnow

    keyring = Keyring(Fernet.generate_key())
    db = Database(url, keyring, Path(tempfile.gettempdir()) / "floor-attachments")
    dialect = db.dialect
    inbox, outbox = InboundMessage.__table__, OutboundMessage.__table__
    record = insert_ignoring_repeats(InboundMessage, ["channel", "provider_message_id"], InboundMessage.id)[dialect]
    claim = (update(inbox).where(inbox.c.id == bindparam("message_id"), inbox.c.status == "pending")
             .values(status="processing", claimed_until=bindparam("until"), attempts=inbox.c.attempts + 1)
             .returning(inbox.c.payload))
    add_reporter = Reporter.__table__.insert().returning(Reporter.__table__.c.id)
    add_identity = ContactIdentity.__table__.insert().returning(ContactIdentity.__table__.c.id)
    add_conversation = Conversation.__table__.insert().returning(Conversation.__table__.c.id)
    queue = outbox.insert().returning(outbox.c.id)
    finish = (update(inbox).where(inbox.c.id == bindparam("message_id"))
              .values(status="processed", processed_at=bindparam("now"), claimed_until=None))
    claim_reply = (update(outbox).where(outbox.c.id == bindparam("reply_id"), outbox.c.status == "pending")
                   .values(status="sending", claimed_until=bindparam("until"), attempts=outbox.c.attempts + 1)
                   .returning(outbox.c.recipient, outbox.c.body))
    sent = (update(outbox).where(outbox.c.id == bindparam("reply_id"))
            .values(status="sent", provider_message_id=bindparam("sid"), sent_at=bindparam("now"), claimed_until=None))
    lease = timedelta(seconds=60)
    run = f"{time.time_ns():x}"

    def first_contact(index: int) -> None:
        phone = f"+62813{index:07d}"
        form = {"MessageSid": f"SM{run}{index:012d}", "AccountSid": SID, "From": phone, "To": "+62811000000",
                "Body": TEXTS[index % len(TEXTS)], "NumMedia": "0"}
        digest = keyring.lookup_hash("sms", phone)
        now = utcnow()
        with db.engine.begin() as connection:
            message_id = connection.execute(record, dict(
                channel="sms", provider_message_id=form["MessageSid"], sender_hash=digest, payload=form,
                status="pending", attempts=0, received_at=now)).scalar_one()
            payload = connection.execute(claim, {"message_id": message_id, "until": now + lease}).scalar_one()
            reporter_id = connection.execute(add_reporter, {"name": None, "language": "id", "created_at": now}).scalar_one()
            contact_id = connection.execute(add_identity, dict(
                reporter_id=reporter_id, channel="sms", address=payload["From"], address_hash=digest,
                created_at=now)).scalar_one()
            connection.execute(add_conversation, dict(
                channel="sms", sender_hash=digest, contact_id=contact_id, created_at=now, updated_at=now,
                state={"step": "location", "draft": {"text": payload["Body"], "category": "jalan"}}))
            reply_id = connection.execute(queue, dict(
                channel="sms", contact_id=contact_id, recipient=payload["From"], body=REPLY, extras={},
                reply_context=None, idempotency_key=f"reply:{message_id}:0", status="pending", attempts=0,
                next_attempt_at=now, created_at=now)).scalar_one()
            connection.execute(finish, {"message_id": message_id, "now": now})
        with db.engine.begin() as connection:
            connection.execute(claim_reply, {"reply_id": reply_id, "until": now + lease}).one()
            connection.execute(sent, {"reply_id": reply_id, "sid": f"SM{reply_id:032d}", "now": utcnow()})

    for index in range(WARMUP):
        first_contact(index)
    started = time.process_time()
    for index in range(WARMUP, WARMUP + messages):
        first_contact(index)
    cpu = time.process_time() - started
    db.dispose()
    return {"messages": messages, "warmup": WARMUP, "dialect": dialect, "ms": cpu / messages * 1000}


def measure_normalizer(messages: int) -> dict:
    from gateway.config import load_config
    from gateway.normalizing import build_normalizer

    normalizer = build_normalizer(load_config(ROOT / "config.yaml", environ={}))
    for index in range(WARMUP):
        normalizer.normalize(TEXTS[index % len(TEXTS)])
    started = time.process_time()
    for index in range(messages):
        normalizer.normalize(TEXTS[index % len(TEXTS)])
    return {"messages": messages, "ms": (time.process_time() - started) / messages * 1000}


# -- run from another process ----------------------------------------------------------------------------------


def run_floor(kind: str, *args: str) -> dict:
    """One floor in a process of its own; its JSON result."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), kind, *args], capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"floor {kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def post_floor(base_url: str, messages: int) -> dict:
    return run_floor("post", "--url", base_url, "--messages", str(messages))


def normalizer_floor(messages: int) -> dict:
    return run_floor("normalize", "--messages", str(messages))


def with_application_name(url, name: str):
    """A SQLAlchemy URL whose PostgreSQL connections say `name` in pg_stat_activity (psycopg takes it from the URL)."""
    from store.db import normalise_url

    url = normalise_url(url)
    return url.update_query_dict({"application_name": name}) if url.get_backend_name() == "postgresql" else url


def url_text(url) -> str:
    """The URL for another process, password included (`str()` hides it)."""
    return url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else str(url)


@contextlib.contextmanager
def floor_store(database_url: str | None, workdir: str):
    """A migrated, empty store for the SQL floor: a SQLite file in `workdir`, or a scratch schema of the PostgreSQL
    server at `database_url`; yields its URL (connections named FLOOR_APPLICATION)."""
    from cryptography.fernet import Fernet

    from store.crypto import Keyring
    from store.db import Database
    from store.scratch import scratch_schema

    with contextlib.ExitStack() as stack:
        url = (stack.enter_context(scratch_schema(database_url, prefix="floor")) if database_url
               else f"sqlite:///{workdir}/floor.db")
        setup = Database(url, Keyring(Fernet.generate_key()), Path(workdir) / "attachments")
        setup.migrate()
        setup.dispose()
        yield with_application_name(url, FLOOR_APPLICATION)


def sql_floor(database_url: str | None, messages: int, workdir: str) -> dict:
    with floor_store(database_url, workdir) as url:
        return run_floor("sql", "--database-url", url_text(url), "--messages", str(messages))


# -- alone -----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", nargs="?", choices=["post", "sql", "normalize"], help="one floor, in this process")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--url", help="post: the Twilio stand-in's origin")
    parser.add_argument("--database-url", help="sql: a migrated store; alone: a PostgreSQL server for a scratch schema")
    args = parser.parse_args()
    if args.kind == "post":
        print(json.dumps(measure_post(args.url, args.messages)))
    elif args.kind == "sql":
        print(json.dumps(measure_sql(args.database_url, args.messages)))
    elif args.kind == "normalize":
        print(json.dumps(measure_normalizer(args.messages)))
    else:
        from tests.standins.twilio_api import TwilioStandIn

        twilio = TwilioStandIn(SID, AUTH).start()
        try:
            post = post_floor(twilio.base_url, args.messages)
        finally:
            twilio.stop()
        print(f"pooled POST of a reply: {post['requests_ms']:.2f} ms (requests.Session), "
              f"{post['http_client_ms']:.2f} ms (http.client), {twilio.connections_accepted} connection(s) for "
              f"{2 * (args.messages + WARMUP)} POSTs")
        print(f"normalizer: {normalizer_floor(args.messages)['ms']:.2f} ms a message")
        with tempfile.TemporaryDirectory() as workdir:
            sql = sql_floor(None, args.messages, workdir)
            print(f"minimal SQL in Core, sqlite: {sql['ms']:.2f} ms a message (this process)")
            if args.database_url:
                sql = sql_floor(args.database_url, args.messages, workdir)
                print(f"minimal SQL in Core, postgresql: {sql['ms']:.2f} ms a message (this process; the server's "
                      "backends are measured by intake_load)")


if __name__ == "__main__":
    main()
