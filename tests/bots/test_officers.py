"""Cases forwarded to a unit's Telegram chat, worked by its officers with buttons and a proof photo,
verified, and the citizen told by SMS and rating by SMS; deadlines reminded and overdue cases
escalated once. Through the Bot API and Twilio stand-ins, on SQLite and PostgreSQL."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.app import create_app
from gateway.cases import forward_cases, watch_deadlines
from gateway.channels import build_adapters
from gateway.config import CasesConfig, Contacts, OfficerConfig
from gateway.notifications import tell_followers
from gateway.worker import Worker
from store import lifecycle
from store.models import Rating, Report
from store.reports import get_report, open_reports_due_by
from tests.bots.test_sms import PHONE, SID, text_in, twilio  # noqa: F401  (fixture)
from tests.bots.test_sms import TOKEN as TWILIO_TOKEN
from tests.bots.test_telegram import JPEG, SECRET, TOKEN, post, telegram_api  # noqa: F401  (fixture)
from tests.helpers import VERIFIER, bring_to, drain, move

UNIT_CHAT, KECAMATAN_CHAT = "-1007770001", "-1007770002"
OFFICER_ID, STRANGER_ID = "9001", "9002"
UPDATES = iter(range(70_000, 80_000))
NEVER_LOGGED = (TOKEN, SECRET, TWILIO_TOKEN, PHONE, OFFICER_ID, STRANGER_ID, "Petugas Kenari")


@pytest.fixture
def city(units_db, config, wilayah, normalizer, telegram_api, twilio):  # noqa: F811
    kenari = _unit_code(units_db, "Kelurahan Kenari")
    kecamatan = _parent(units_db, kenari)
    cases = CasesConfig(
        unit_contacts={kenari: Contacts(telegram_chats=[UNIT_CHAT]), kecamatan: Contacts(telegram_chats=[KECAMATAN_CHAT])},
        officers=[OfficerConfig(telegram_user_id=OFFICER_ID, name="Petugas Kenari", unit=kenari)],
    )
    city_config = config.model_copy(update={"cases": cases})
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": telegram_api.api_base,
               "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_FROM_NUMBER": "+62811000000",
               "TWILIO_API_BASE": twilio.base_url}
    app = create_app(city_config, units_db, wilayah, environ=environ, normalizer=normalizer,
                     adapters=build_adapters(environ, city_config.server.base_url))
    services = app.extensions["lapor"]
    forward_cases(services), tell_followers(services)  # first runs: what came before is not news
    return app.test_client(), Worker(services, services.adapters), services


def _unit_code(db, name):
    from store.models import Unit

    with db.transaction() as session:
        return session.scalar(select(Unit.code).where(Unit.name == name))


def _parent(db, code):
    from store.units import get_unit

    return get_unit(db, code).parent_code


def sms_report(client, worker, config):
    for body in ("Lampu jalan mati udah seminggu, saya Budi 081298765432", "Jl. Kenari kel. Kenari", "rahasia", "ya"):
        text_in(client, config, body)
        drain(worker)


def group_update(from_id, **part):
    chat = {"id": int(UNIT_CHAT), "type": "supergroup", "title": "Kelurahan Kenari"}
    user = {"id": int(from_id), "is_bot": False, "first_name": "Petugas"}
    update_id = next(UPDATES)
    if "data" in part:
        query = {"id": f"cbq-{update_id}", "chat_instance": "-1", "data": part["data"], "from": user,
                 "message": {"message_id": 10, "date": 1764000000, "chat": chat, "text": "KASUS"}}
        return {"update_id": update_id, "callback_query": query}
    message = {"message_id": 20, "date": 1764000000, "chat": chat, "from": user, **part}
    return {"update_id": update_id, "message": message}


def test_a_case_is_forwarded_worked_by_its_officer_verified_and_rated_by_sms(city, telegram_api, twilio, units_db):  # noqa: F811
    client, worker, services = city
    sms_report(client, worker, services.config)
    ticket = get_report(units_db, _only_ticket(units_db)).ticket
    assert forward_cases(services) == 1 and forward_cases(services) == 0, "once per hand-over"
    drain(worker)
    [case] = [m for m in telegram_api.sent() if m["chat_id"] == UNIT_CHAT]
    assert case["text"].startswith(f"KASUS {ticket}") and "Jl. Kenari" in case["text"]
    assert "Budi" not in case["text"] and "081298765432" not in case["text"] and PHONE not in case["text"]
    buttons = json.loads(case["reply_markup"])["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == [f"case:accept:{ticket}", f"case:coordinate:{ticket}"]

    post(client, group_update(STRANGER_ID, data=f"case:accept:{ticket}"))
    drain(worker)
    assert telegram_api.sent()[-1]["text"].startswith("Anda tidak terdaftar sebagai petugas Kelurahan Kenari")
    assert get_report(units_db, ticket).status == lifecycle.MENUNGGU

    said = len(telegram_api.sent())
    post(client, group_update(OFFICER_ID, text="sudah dicek, besok diperbaiki"))  # officers talking in their chat
    drain(worker)
    assert len(telegram_api.sent()) == said, "the bot stays out of the unit's own talk"
    post(client, group_update(OFFICER_ID, data=f"case:accept:{ticket}"))
    drain(worker)
    assert telegram_api.sent()[-1]["text"] == f"{ticket}: Sedang ditangani, oleh Petugas Kenari."
    assert telegram_api.sent("answerCallbackQuery")[-1]["callback_query_id"].startswith("cbq-")
    telegram_api.files["PROOF-1"] = JPEG
    photo = [{"file_id": "PROOF-1", "file_unique_id": "p1", "width": 800, "height": 600}]
    post(client, group_update(OFFICER_ID, photo=photo, reply_to_message={
        "message_id": 10, "date": 1764000000, "chat": {"id": int(UNIT_CHAT), "type": "supergroup"}, "text": case["text"]}))
    drain(worker)
    report = get_report(units_db, ticket)
    assert report.status == lifecycle.VERIFIKASI
    assert [e.actor_id for e in report.events[-2:]] == [f"telegram:{OFFICER_ID}"] * 2
    assert report.events[-1].proof_attachment is not None

    move(units_db, services.config, ticket, lifecycle.SELESAI, actor=VERIFIER)
    tell_followers(services)
    drain(worker)
    done = twilio.messages[-1]
    assert done["To"] == PHONE and "SELESAI" in done["Body"] and "/media/" in done["Body"]
    text_in(client, services.config, "5")
    drain(worker)
    assert twilio.messages[-1]["Body"].startswith("Terima kasih! Nilai 5")
    with units_db.transaction() as session:
        assert session.scalar(select(Rating.score)) == 5


def test_an_officer_of_another_unit_cannot_act_and_coordination_moves_the_case(city, telegram_api, units_db):  # noqa: F811
    client, worker, services = city
    sms_report(client, worker, services.config)
    ticket = _only_ticket(units_db)
    post(client, group_update(OFFICER_ID, data=f"case:coordinate:{ticket}"))
    drain(worker)
    report = get_report(units_db, ticket)
    assert (report.status, report.assigned_unit.code) == (lifecycle.KOORDINASI, "DINAS-BINA-MARGA")
    assert report.events[-1].actor_id == f"telegram:{OFFICER_ID}"
    assert report.events[-1].note_public is False, "the officer's name stays off the public page"
    post(client, group_update(OFFICER_ID, data=f"case:accept:{ticket}"))
    drain(worker)
    assert telegram_api.sent()[-1]["text"].startswith("Anda tidak terdaftar"), "the case left the officer's unit"


def test_a_case_due_soon_is_reminded_and_an_overdue_one_escalated_once(city, telegram_api, units_db):  # noqa: F811
    client, worker, services = city
    sms_report(client, worker, services.config)
    report = get_report(units_db, _only_ticket(units_db))
    due = report.sla_due_at
    assert watch_deadlines(services, now=due - timedelta(hours=3)) == (0, 0), "not yet"
    assert watch_deadlines(services, now=due - timedelta(hours=1)) == (1, 0)
    assert watch_deadlines(services, now=due - timedelta(minutes=30)) == (0, 0), "reminded once"
    assert watch_deadlines(services, now=due + timedelta(minutes=1)) == (0, 1)
    assert watch_deadlines(services, now=due + timedelta(hours=5)) == (0, 0), "escalated once"
    with units_db.transaction() as session:
        assert open_reports_due_by(session, due + timedelta(hours=5)) == [], "an escalated case leaves the watch list"
    drain(worker)
    to_unit = [m["text"] for m in telegram_api.sent() if m["chat_id"] == UNIT_CHAT]
    to_kecamatan = [m["text"] for m in telegram_api.sent() if m["chat_id"] == KECAMATAN_CHAT]
    assert any(text.startswith(f"PENGINGAT: kasus {report.ticket}") for text in to_unit)
    assert [t for t in to_kecamatan if t.startswith("LEWAT TENGGAT")] == [
        f"LEWAT TENGGAT: kasus {report.ticket} (Jaringan Listrik dan Penerangan Jalan) di Kelurahan Kenari belum selesai "
        f"sejak {due.astimezone(services.config.city.tz):%d-%m-%Y %H:%M}. Status: Menunggu."]
    history = get_report(units_db, report.ticket).events
    assert [e.note for e in history if e.actor_id and e.actor_id.startswith("sla:")] == ["Lewat tenggat: diteruskan ke Kecamatan Senen"]


def test_a_case_awaiting_verification_is_not_the_units_to_be_reminded_of(city, units_db):
    client, worker, services = city
    sms_report(client, worker, services.config)
    report = get_report(units_db, _only_ticket(units_db))
    bring_to(units_db, services.config, report.ticket, lifecycle.VERIFIKASI)
    assert watch_deadlines(services, now=report.sla_due_at + timedelta(hours=1)) == (0, 0)


def _only_ticket(db):
    with db.transaction() as session:
        return session.scalar(select(Report.ticket))


def test_a_unit_chat_added_in_the_console_is_left_to_its_officers(city, telegram_api, units_db):  # noqa: F811
    from store.models import InboundMessage, Report
    from gateway.jobs import refresh_category_settings
    from store.units import update_unit_contacts
    from tests.helpers import count

    client, worker, services = city
    console_chat = "-1007770099"
    update_unit_contacts(units_db, _unit_code(units_db, "Kelurahan Kenari"), telegram_chats=[console_chat], emails=[])
    refresh_category_settings(services)  # as the job does in every process after an admin's edit
    update = group_update(OFFICER_ID, text="lampu jalan mati di depan kantor kelurahan")
    update["message"]["chat"]["id"] = int(console_chat)
    said = len(telegram_api.sent())
    post(client, update)
    drain(worker)
    assert count(units_db, InboundMessage) == 1 and count(units_db, Report) == 0
    assert len(telegram_api.sent()) == said, "officers talking in a chat known only to the database: no bot reply"


def test_a_busy_unit_chat_is_no_citizen_over_the_rate_limit(city, telegram_api, units_db):
    """Officers talking in their unit's chat are not held to a citizen's rate limit: their proof photo still counts."""
    client, worker, services = city
    sms_report(client, worker, services.config)
    ticket = get_report(units_db, _only_ticket(units_db)).ticket
    forward_cases(services)
    drain(worker)
    post(client, group_update(OFFICER_ID, data=f"case:accept:{ticket}"))
    for number in range(services.config.conversation.rate_limit_messages + 2):
        post(client, group_update(OFFICER_ID, text=f"koordinasi lapangan {number}"))
    drain(worker)
    telegram_api.files["PROOF-2"] = JPEG
    photo = [{"file_id": "PROOF-2", "file_unique_id": "p2", "width": 800, "height": 600}]
    post(client, group_update(OFFICER_ID, photo=photo, caption=f"sudah beres {ticket}"))
    drain(worker)
    report = get_report(units_db, ticket)
    assert report.status == lifecycle.VERIFIKASI and report.events[-1].proof_attachment is not None
