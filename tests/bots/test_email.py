"""E-mail end to end against real servers on 127.0.0.1: pymap (IMAP, mail put in with APPEND) →
poller → inbox → conversation → outbox → aiosmtpd (SMTP)."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from bots.base import Outgoing, PermanentError, RetryableError
from bots.email import EmailAdapter, SmtpSettings, html_to_text, inbox_entry, mail_cap, strip_reply
from gateway.app import create_app
from gateway.channels import build_adapters
from gateway.mailbox import cursor_name, idle_once, poll_mailbox
from gateway.notifications import tell_followers
from gateway.worker import Worker
from store import lifecycle
from store.cursors import get_cursor, set_cursor
from store.models import Attachment, ContactIdentity, InboundMessage, OutboundMessage, Rating, Report
from tests.helpers import bring_to, count, drain
from tests.standins.mail_servers import IMAP_PASSWORD, IMAP_USER, ImapServer, SmtpServer, free_port

pytestmark = pytest.mark.slow  # a real IMAP server process and SMTP server; tests/bots/test_payloads.py reads mail quickly

CITY = "lapor@jakarta.test"
CITIZEN = "budi.santoso@warga.test"
NEVER_LOGGED = (CITIZEN, IMAP_PASSWORD, "Budi Santoso", "a@warga.test", "b@warga.test", "c@warga.test",
                "d@warga.test", "gone@warga.test", "spam@warga.test")
LIMIT = 200_000  # storage.max_attachment_bytes in these tests
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def imap_server():
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def folder(imap_server):
    name = f"Lapor-{uuid.uuid4().hex[:10]}"  # a mailbox of its own for every test
    imap_server.create(name)
    return name


@pytest.fixture
def environ(imap_server, smtp_server, folder):
    return {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": str(imap_server.port), "IMAP_USER": IMAP_USER,
            "IMAP_PASSWORD": IMAP_PASSWORD, "IMAP_FOLDER": folder, "IMAP_TLS": "0",
            "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port), "SMTP_STARTTLS": "0", "EMAIL_FROM": CITY}


@pytest.fixture
def small_limit(config):
    return config.model_copy(update={"storage": config.storage.model_copy(update={"max_attachment_bytes": LIMIT})})


def gateway(units_db, small_limit, wilayah, normalizer, environ):
    """A freshly started gateway process on the same store (a restart is another call)."""
    app = create_app(small_limit, units_db, wilayah, environ=environ, normalizer=normalizer,
                     adapters=build_adapters(environ, small_limit.server.base_url))
    services = app.extensions["lapor"]
    return services, Worker(services, services.adapters)


@pytest.fixture
def email(units_db, small_limit, wilayah, normalizer, environ):
    return gateway(units_db, small_limit, wilayah, normalizer, environ)


def mail(body="", subject="Lampu jalan mati", sender=CITIZEN, to=CITY, reply_to_mail=None, photo=None,
         html=None, headers=None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="warga.test")
    if reply_to_mail is not None:
        message["In-Reply-To"] = reply_to_mail["Message-ID"]
        message["References"] = f"{reply_to_mail.get('References', '')} {reply_to_mail['Message-ID']}".strip()
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None and not body:
        message.set_content(html, subtype="html")
    else:
        message.set_content(body)
        if html is not None:
            message.add_alternative(html, subtype="html")
    if photo is not None:
        message.add_attachment(photo, maintype="image", subtype="jpeg", filename="foto.jpg")
    return message


def cycle(services, worker) -> int:
    stored = poll_mailbox(services)
    drain(worker)
    return stored


def stored_incoming(services, position=-1):
    with services.db.transaction() as session:
        rows = list(session.scalars(select(InboundMessage).where(InboundMessage.channel == "email").order_by(InboundMessage.id)))
    return services.adapters["email"].parse(rows[position].payload)


# -- a report by e-mail, threaded -----------------------------------------------------------------


def test_a_report_with_a_photo_threaded_to_its_ticket(email, imap_server, smtp_server, folder, units_db):
    services, worker = email
    first = mail("Lampu jalan mati udah seminggu, gelap sekali.\n\n-- \nBudi Santoso\n0812 3456 7890", photo=JPEG)
    imap_server.deliver(folder, first)
    assert cycle(services, worker) == 1
    question = smtp_server.mails[-1]
    assert question["To"] == CITIZEN and question["From"] == CITY
    assert question["In-Reply-To"] == first["Message-ID"] and first["Message-ID"] in question["References"]
    assert question["Subject"] == "Lapor Jakarta" and question["Auto-Submitted"] == "auto-replied"
    assert "Di mana lokasinya" in question.get_content()
    assert count(units_db, Attachment) == 1

    incoming = stored_incoming(services)[0]
    assert "0812" not in incoming.text and "Budi Santoso" not in incoming.text  # the signature is cut off
    assert incoming.reply_context == {"message_id": first["Message-ID"], "references": first["Message-ID"]}

    latest = question
    for answer in ("Jl. Kenari kel. Kenari", "rahasia", "ya"):
        quoted = f"{answer}\n\nOn Mon, 30 Nov 2026 at 09:00, Lapor Jakarta <{CITY}> wrote:\n> {latest.get_content()}"
        reply = mail(quoted, subject="Re: Lapor Jakarta", reply_to_mail=latest)
        imap_server.deliver(folder, reply)
        assert cycle(services, worker) == 1
        latest = smtp_server.mails[-1]
        assert latest["In-Reply-To"] == reply["Message-ID"]
        assert reply["Message-ID"] in latest["References"] and first["Message-ID"] in latest["References"]

    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        ticket = report.ticket
        assert report.origin_channel == "email" and report.assigned_unit.name == "Kelurahan Kenari"
        assert session.scalar(select(func.count()).select_from(Attachment).where(Attachment.report_id == report.id)) == 1
    assert latest.get_content().startswith(f"Laporan diterima: {ticket}")
    assert latest["Subject"] == f"[{ticket}] Lapor Jakarta"
    signed = latest["Reply-To"].addresses[0].addr_spec
    assert signed.startswith(f"lapor+{ticket}.") and signed.endswith("@jakarta.test")

    # The citizen answers the ticket's mail: it goes to the signed address, so it is about that ticket.
    imap_server.deliver(folder, mail("Lampunya ada dua yang mati.", subject=f"Re: [{ticket}] Lapor Jakarta",
                                     to=signed, reply_to_mail=latest))
    assert poll_mailbox(services) == 1
    assert stored_incoming(services)[0].about_ticket == ticket
    drain(worker)
    comment = smtp_server.mails[-1]
    assert f"ditambahkan ke laporan {ticket}" in comment.get_content()  # a note for the unit
    assert comment["Subject"] == f"[{ticket}] Lapor Jakarta" and comment["In-Reply-To"] != latest["In-Reply-To"]
    assert count(units_db, InboundMessage, InboundMessage.status != "processed") == 0

    # The city works the report; the citizen hears of each change by mail and rates by replying.
    tell_followers(services)  # the first run marks where news begins
    bring_to(units_db, services.config, ticket, lifecycle.SELESAI)
    assert tell_followers(services) == 3
    drain(worker)
    updates = smtp_server.mails[-3:]
    assert [m["To"] for m in updates] == [CITIZEN] * 3 and {m["Subject"] for m in updates} == {f"[{ticket}] Lapor Jakarta"}
    assert "kini Sedang ditangani (kuning)" in updates[0].get_content()
    done = updates[-1]
    assert "SELESAI (hijau)" in done.get_content() and "/media/" in done.get_content()
    signed = done["Reply-To"].addresses[0].addr_spec
    quoted = f"5 cepat sekali, terima kasih\n\nPada 1 Des 2026, Lapor Jakarta <{CITY}> menulis:\n> {done.get_content()}"
    imap_server.deliver(folder, mail(quoted, subject=f"Re: [{ticket}] Lapor Jakarta", to=signed, reply_to_mail=done))
    assert cycle(services, worker) == 1
    assert smtp_server.mails[-1].get_content().startswith(f"Terima kasih! Nilai 5 untuk laporan {ticket}")
    with units_db.transaction() as session:
        rating = session.scalar(select(Rating))
        assert (rating.score, rating.comment) == (5, "cepat sekali, terima kasih")


def test_a_reply_resent_after_its_sender_died_is_the_same_mail(email, imap_server, smtp_server, folder, units_db):
    """SMTP cannot be asked whether a mail went out; resent, it carries the same Message-ID, so the citizen's
    provider and client keep one of the two."""
    services, worker = email
    imap_server.deliver(folder, mail("Sampah menumpuk di depan pasar"))
    cycle(services, worker)
    first = smtp_server.mails[-1]
    with units_db.transaction() as session:
        row = session.scalar(select(OutboundMessage).order_by(OutboundMessage.id.desc()))
        row.status, row.claimed_until = "sending", row.created_at  # as a sender that died mid-send leaves it
    drain(worker)
    again = smtp_server.mails[-1]
    assert again is not first and again["Message-ID"] == first["Message-ID"]
    assert CITIZEN not in first["Message-ID"] and CITY.split("@")[0] not in first["Message-ID"]
    imap_server.deliver(folder, mail("Jalan berlubang di depan sekolah"))
    cycle(services, worker)
    assert smtp_server.mails[-1]["Message-ID"] != first["Message-ID"], "another reply, another Message-ID"


def test_only_a_signed_reply_address_ties_a_mail_to_a_ticket(email):
    services, _worker = email
    adapter = services.adapters["email"]
    ticket = "JKT-2611-00042"
    signed = adapter.reply_address(ticket)
    forged = f"lapor+{ticket}.0123456789abcdef@jakarta.test"

    def about(to, subject="Lampu mati"):
        _key, _sender, payload = inbox_entry(mail("lampu mati", subject=subject, to=to).as_bytes(), 1, 1, 0, False)
        return adapter.parse(payload)[0].about_ticket

    assert about(signed) == ticket and about(signed.upper()) == ticket
    assert about(forged) is None
    assert about(CITY, subject=f"Re: [{ticket}] Lapor Jakarta") is None  # a ticket in the subject proves nothing
    assert about(adapter.reply_address("JKT-2611-00043").replace("00043", "00042")) is None


# -- reading mail ---------------------------------------------------------------------------------


def test_html_only_mail_with_encoded_headers(email, imap_server, smtp_server, folder):
    services, worker = email
    raw = (
        "From: =?UTF-8?Q?Siti_N=C3=BCrhaliza?= <Siti@Warga.test>\r\n"
        f"To: {CITY}\r\n"
        "Subject: =?UTF-8?B?" + base64.b64encode("Pohon tumbang — jalan tertutup".encode()).decode() + "?=\r\n"
        "Message-ID: <html-1@warga.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "<html><head><style>p {color: red}</style></head><body>"
        "<p>Pohon besar tumbang di Jl. Kenari &amp; menutup jalan.</p><p>Mohon segera<br>dibersihkan.</p>"
        "<div class=3D\"gmail_quote\">On Mon wrote: <blockquote>kutipan lama</blockquote></div>"
        "</body></html>\r\n"
    ).encode()
    imap_server.deliver(folder, raw)
    assert poll_mailbox(services) == 1
    incoming = stored_incoming(services)[0]
    assert incoming.sender == "siti@warga.test" and incoming.sender_name == "Siti Nürhaliza"
    assert incoming.text.startswith("Pohon tumbang — jalan tertutup\n\nPohon besar tumbang di Jl. Kenari & menutup jalan.")
    assert "Mohon segera\ndibersihkan." in incoming.text
    assert "color" not in incoming.text and "kutipan" not in incoming.text and "On Mon" not in incoming.text
    drain(worker)
    assert smtp_server.mails[-1]["To"] == "siti@warga.test"


@pytest.mark.parametrize(("text", "kept"), [
    ("ya\n\nOn Mon, 30 Nov 2026 at 09:00, Lapor Jakarta <lapor@jakarta.test> wrote:\n> Kirim laporan?", "ya"),
    ("ya\n\nOn Mon, 30 Nov 2026 at 09:00, Lapor Jakarta\n<lapor@jakarta.test> wrote:\n> Kirim laporan?", "ya"),
    ("rahasia\n\nPada Sen, 30 Nov 2026 pukul 09.00 Lapor Jakarta <lapor@jakarta.test> menulis:\n> ...", "rahasia"),
    ("Jl. Kenari\n\n-----Original Message-----\nFrom: Lapor Jakarta\nSent: Monday\n\nDi mana?", "Jl. Kenari"),
    ("Jl. Kenari\n\nFrom: Lapor Jakarta <lapor@jakarta.test>\nSent: Monday, 30 November 2026 09:00\nTo: Budi", "Jl. Kenari"),
    ("Jl. Kenari\n> Di mana lokasinya?\nkel. Kenari", "Jl. Kenari\nkel. Kenari"),
    ("Sampah menumpuk\n-- \nBudi\nPT Contoh", "Sampah menumpuk"),
    ("Sampah menumpuk\n\nSent from my iPhone", "Sampah menumpuk"),
    ("Jalan berlubang\nFrom: the corner of Jl. Kenari", "Jalan berlubang\nFrom: the corner of Jl. Kenari"),
])
def test_quoted_replies_and_signatures_are_cut(text, kept):
    assert strip_reply(text) == kept


def test_html_to_text_keeps_lines_and_drops_quotes():
    html = "<div>Banjir<br/>setinggi lutut</div><ul><li>Jl. A</li><li>Jl. B</li></ul><blockquote>lama</blockquote>ok"
    assert html_to_text(html) == "Banjir\nsetinggi lutut\n\n- Jl. A\n\n- Jl. B\n\nok"


MALFORMED = [
    # a multipart whose closing boundary never comes, with broken base64 in its photo
    (b"From: rina@warga.test\r\nTo: lapor@jakarta.test\r\nSubject: got rusak\r\nMessage-ID: <bad-1@warga.test>\r\n"
     b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n--XX\r\n"
     b"Content-Type: text/plain\r\n\r\nGot mampet di Jl. Kenari\r\n--XX\r\nContent-Type: image/jpeg\r\n"
     b"Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ!!!not base64\r\n"),
    # an unknown charset and an undecodable encoded word
    (b"From: =?x-unknown?Q?Ma=FFn?= <man@warga.test>\r\nTo: lapor@jakarta.test\r\nSubject: =?utf-8?B?!!!?=\r\n"
     b"Message-ID: <bad-2@warga.test>\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nLampu \xff\xfe mati\r\n"),
    # no From at all, 8-bit garbage in the headers
    b"Subject: \xff\xfe\xfd\r\nMessage-ID: <bad-3@warga.test>\r\nContent-Type: multipart/alternative\r\n\r\nno boundary\r\n",
    # not a mail
    b"\x00\x01\x02 this is not a mail at all \xff\r\n",
]


def test_malformed_mail_never_stops_the_poller_or_the_worker(email, imap_server, smtp_server, folder, units_db):
    services, worker = email
    imap_server.deliver(folder, *MALFORMED, mail("Sampah menumpuk di Jl. Kenari", sender="ok@warga.test"))
    assert cycle(services, worker) == len(MALFORMED) + 1
    assert count(units_db, InboundMessage, InboundMessage.status == "processed") == len(MALFORMED) + 1
    cursor = get_cursor(units_db, cursor_name(folder))
    assert cursor["last_uid"] == max(imap_server_uids(imap_server, folder))
    answered = {m["To"] for m in smtp_server.mails}
    assert {"ok@warga.test", "rina@warga.test", "man@warga.test"} <= answered
    assert count(units_db, OutboundMessage, OutboundMessage.status != "sent") == 0


def imap_server_uids(imap_server, folder) -> list[int]:
    client = imap_server.client()
    try:
        client.select_folder(folder, readonly=True)
        return client.search(["ALL"])
    finally:
        client.logout()


# -- size limits ----------------------------------------------------------------------------------


def test_a_huge_attachment_is_refused_clearly_and_not_stored(email, imap_server, smtp_server, folder, units_db):
    services, worker = email
    huge = JPEG + bytes(1_500_000)  # over the mail cap: the poller fetches only its first bytes
    imap_server.deliver(folder, mail("Jalan berlubang besar di Jl. Kenari", photo=huge))
    assert cycle(services, worker) == 1
    with units_db.transaction() as session:
        payload = session.scalar(select(InboundMessage.payload))
    assert payload["truncated"] and len(base64.b64decode(payload["mail"])) == mail_cap(LIMIT)
    assert count(units_db, Attachment) == 0
    replies = [m.get_content() for m in smtp_server.mails]
    assert any(r.startswith("Foto tidak bisa disimpan: the e-mail is") and "one photo per e-mail" in r for r in replies)
    assert any("Di mana lokasinya" in r for r in replies)  # the words of the mail were still read

    imap_server.deliver(folder, mail("Ini fotonya", sender="dua@warga.test", photo=JPEG + bytes(LIMIT)))
    assert cycle(services, worker) == 1  # under the cap, over the attachment limit: the store refuses it
    assert count(units_db, Attachment) == 0
    assert any(f"the limit is {LIMIT}" in m.get_content() for m in smtp_server.mails if m["To"] == "dua@warga.test")


# -- mail loops -----------------------------------------------------------------------------------


def bounce() -> bytes:
    return (b"From: MAILER-DAEMON@mx.warga.test\r\nTo: lapor@jakarta.test\r\nSubject: Undelivered Mail\r\n"
            b"Message-ID: <bounce-1@mx.warga.test>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
            b"--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
            b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.warga.test\r\n\r\n"
            b"Final-Recipient: rfc822; nobody@warga.test\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n")


def test_automatic_mail_is_never_answered(email, imap_server, smtp_server, folder, units_db):
    services, worker = email
    automatic = [
        mail("Saya sedang cuti.", subject="Out of office", headers={"Auto-Submitted": "auto-replied"}),
        mail("Saya sedang cuti.", subject="Autoreply", sender="b@warga.test", headers={"X-Autoreply": "yes"}),
        mail("Auto", subject="Auto", sender="c@warga.test", headers={"X-Autorespond": "1"}),
        mail("Buletin", subject="Buletin", sender="d@warga.test", headers={"Precedence": "bulk"}),
        mail("Diskusi", subject="Milis", sender="e@warga.test", headers={"List-Id": "<warga.lists.warga.test>"}),
        mail("Berhenti", subject="Promo", sender="f@warga.test", headers={"List-Unsubscribe": "<mailto:u@x.test>"}),
        mail("Null sender", subject="Notice", sender="g@warga.test", headers={"Return-Path": "<>"}),
        mail("Notice", subject="Notice", sender="postmaster@warga.test"),
        mail("Our own", subject="Lapor Jakarta", sender=CITY),
        bounce(),
    ]
    imap_server.deliver(folder, *automatic)
    assert cycle(services, worker) == len(automatic)
    assert count(units_db, OutboundMessage) == 0 and smtp_server.mails == []
    assert count(units_db, InboundMessage, InboundMessage.status == "processed") == len(automatic)
    imap_server.deliver(folder, mail("Lampu mati", headers={"Auto-Submitted": "no"}))
    assert cycle(services, worker) == 1 and len(smtp_server.mails) == 1  # "no" is a person's mail


# -- the cursor -----------------------------------------------------------------------------------


def test_a_restart_neither_reimports_nor_skips(units_db, small_limit, wilayah, normalizer, environ, imap_server,
                                               smtp_server, folder):
    services, worker = gateway(units_db, small_limit, wilayah, normalizer, environ)
    imap_server.deliver(folder, mail("Lampu mati", sender="a@warga.test"), mail("Jalan rusak", sender="b@warga.test"))
    assert cycle(services, worker) == 2
    assert poll_mailbox(services) == 0
    imap_server.deliver(folder, mail("Banjir", sender="c@warga.test"), mail("Sampah", sender="d@warga.test"))

    services, worker = gateway(units_db, small_limit, wilayah, normalizer, environ)  # a new process
    assert cycle(services, worker) == 2 and poll_mailbox(services) == 0
    assert count(units_db, InboundMessage) == 4
    assert sorted(m["To"] for m in smtp_server.mails) == ["a@warga.test", "b@warga.test", "c@warga.test", "d@warga.test"]

    # A crash after fetching, before committing, leaves the cursor behind: fetching again is harmless.
    name = cursor_name(folder)
    newest = get_cursor(units_db, name)
    set_cursor(units_db, name, {**newest, "last_uid": newest["last_uid"] - 3})
    assert cycle(services, worker) == 0
    assert get_cursor(units_db, name) == newest and len(smtp_server.mails) == 4


def test_pollers_in_parallel_store_each_mail_once(email, imap_server, folder, units_db):
    services, _worker = email
    imap_server.deliver(folder, *(mail(f"Laporan {n}", sender=f"w{n}@warga.test") for n in range(6)))
    results = []
    threads = [threading.Thread(target=lambda: results.append(poll_mailbox(services))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 6 and count(units_db, InboundMessage) == 6
    assert get_cursor(units_db, cursor_name(folder))["last_uid"] == max(imap_server_uids(imap_server, folder))


def test_a_new_uidvalidity_starts_again_without_repeats(email, imap_server, smtp_server, folder, units_db):
    services, worker = email
    old = mail("Lampu mati", sender="a@warga.test")
    imap_server.deliver(folder, old, mail("Jalan rusak", sender="b@warga.test"), mail("Banjir", sender="c@warga.test"))
    assert cycle(services, worker) == 3
    before = get_cursor(units_db, cursor_name(folder))

    imap_server.rebuild(folder)  # the mailbox was restored elsewhere: UIDs start again, lower than before
    imap_server.deliver(folder, old, mail("Pohon tumbang", sender="d@warga.test"))
    assert cycle(services, worker) == 1
    after = get_cursor(units_db, cursor_name(folder))
    assert after["uidvalidity"] != before["uidvalidity"] and after["last_uid"] < before["last_uid"]
    assert count(units_db, InboundMessage) == 4 and len(smtp_server.mails) == 4


def test_idle_waits_for_new_mail(email, imap_server, folder):
    services, _worker = email
    imap_server.deliver(folder, mail("Lampu mati"))
    assert idle_once(services, timeout=5) is True  # arrived since the last poll: no waiting
    poll_mailbox(services)
    started = time.monotonic()
    assert idle_once(services, timeout=1) is False and time.monotonic() - started >= 0.9
    timer = threading.Timer(0.5, imap_server.deliver, args=(folder, mail("Jalan rusak", sender="b@warga.test")))
    timer.start()
    started = time.monotonic()
    assert idle_once(services, timeout=20) is True and time.monotonic() - started < 10
    timer.join()
    assert poll_mailbox(services) == 1


# -- sending --------------------------------------------------------------------------------------


def test_a_refusing_smtp_server_is_retried_and_nothing_is_lost(email, imap_server, smtp_server, folder, units_db):
    services, worker = email
    smtp_server.refuse("DATA", "451 4.3.0 Try again later")
    imap_server.deliver(folder, mail("Lampu mati"))
    cycle(services, worker)
    with units_db.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert row.status == "pending" and "451" in row.last_error
        row.next_attempt_at = row.created_at
    assert smtp_server.mails == []
    assert worker.dispatch_outbox() == 1 and len(smtp_server.mails) == 1
    with units_db.transaction() as session:
        assert session.scalar(select(OutboundMessage.provider_message_id)) == smtp_server.mails[0]["Message-ID"]


def test_permanent_refusals_stop_only_a_bad_address(email, imap_server, smtp_server, folder, units_db):
    services, worker = email
    smtp_server.refuse("RCPT", "554 5.7.1 Message rejected as spam")
    imap_server.deliver(folder, mail("Lampu mati", sender="spam@warga.test"))
    cycle(services, worker)
    smtp_server.refuse("RCPT", "550 5.1.1 No such user")
    imap_server.deliver(folder, mail("Lampu mati", sender="gone@warga.test"))
    cycle(services, worker)
    assert count(units_db, OutboundMessage, OutboundMessage.status == "failed") == 2
    with units_db.transaction() as session:
        stopped = [i.address for i in session.scalars(select(ContactIdentity).where(ContactIdentity.stopped_at.is_not(None)))]
    assert stopped == ["gone@warga.test"]


def test_an_unreachable_smtp_server_is_retryable(email):
    services, _worker = email
    adapter = services.adapters["email"]
    down = EmailAdapter(CITY, adapter.imap, SmtpSettings("127.0.0.1", free_port(), starttls=False, timeout=5))
    with pytest.raises(RetryableError):
        down.send(Outgoing("email", CITIZEN, "halo"))
    no_tls = EmailAdapter(CITY, adapter.imap, SmtpSettings(adapter.smtp.host, adapter.smtp.port, starttls=True))
    with pytest.raises(RetryableError, match="STARTTLS"):  # never sent in clear unless configured so
        no_tls.send(Outgoing("email", CITIZEN, "halo"))


def test_a_notification_without_a_thread_still_names_its_ticket(email, smtp_server):
    services, _worker = email
    adapter = services.adapters["email"]
    provider_id = adapter.send(Outgoing("email", CITIZEN, "Laporan JKT-2611-00042 kini Ditangani.",
                                        reply_context={"message_id": "not an id"}))
    sent = smtp_server.mails[-1]
    assert sent["Message-ID"] == provider_id and sent["Subject"] == "[JKT-2611-00042] Lapor Jakarta"
    assert sent["In-Reply-To"] is None and sent["Auto-Submitted"] == "auto-generated"
    assert sent["Reply-To"].addresses[0].addr_spec == adapter.reply_address("JKT-2611-00042")


def test_the_channel_runs_only_when_configured(environ):
    assert "email" not in build_adapters({})
    adapter = build_adapters(environ)["email"]
    assert adapter.imap.tls is False and adapter.smtp.starttls is False
    assert not adapter.verify("http://127.0.0.1:8080/webhooks/email", {}, {}, b"")
    defaults = build_adapters({"IMAP_HOST": "imap.example", "EMAIL_FROM": CITY, "SMTP_HOST": "smtp.example"})["email"]
    assert defaults.imap.tls and defaults.imap.port == 993 and defaults.imap.folder == "INBOX"
    assert defaults.smtp.starttls and defaults.smtp.port == 587
    with pytest.raises(PermanentError):
        defaults.fetch_media(defaults.parse(inbox_entry(mail("x", photo=JPEG).as_bytes(), 1, 1, 0, True)[2])[0].media[-1])
