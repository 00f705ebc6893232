"""X mentions end to end: X API v2 stand-in → poller → inbox → worker → report or triage → outbox →
create_tweet reply, over real HTTP with tweepy."""

import time

import pytest
from sqlalchemy import select, update

from bots.base import Outgoing, PermanentError, RetryableError
from bots.social import XAdapter
from gateway.app import create_app
from gateway.channels import build_adapters
from gateway.mentions import convert_mention
from gateway.polling import poll_channel
from gateway.worker import Worker
from store.cursors import get_cursor, set_cursor
from store.models import InboundMessage, OutboundMessage, Report, Reporter, TriageItem
from store.reports import Actor
from store.triage import TriageError, dismiss_triage_item, pending_triage
from tests.helpers import count, drain
from tests.standins.x_api import XStandIn, weighted_length

BEARER = "x-bearer-token"
CONSUMER = ("consumer-key", "consumer-secret")
ACCESS = ("access-token", "access-secret")
CITY_ID, CITY = "1000", "LaporJakarta"
AUTHOR = "4242"
REPORT = f"@{CITY} pohon tumbang nutup jalan di Jl. Kenari, kel. Kenari. saya Budi Santoso 081234567890"
CHATTER = f"@{CITY} selamat pagi min, semangat terus!"
NEVER_LOGGED = (BEARER, *CONSUMER, *ACCESS, "Budi Santoso", "081234567890", "semangat terus")
TEAM = Actor("triage", "ana")


@pytest.fixture
def x_api():
    standin = XStandIn(BEARER, CONSUMER, ACCESS).start()
    standin.add_user(CITY_ID, CITY, "Lapor Jakarta")
    standin.add_user(AUTHOR, "siti_warga", "Siti Rahayu")
    yield standin
    standin.stop()


def environ(x_api, consumer_secret=CONSUMER[1]):
    return {"X_BEARER_TOKEN": BEARER, "X_USER_ID": CITY_ID, "X_CONSUMER_KEY": CONSUMER[0],
            "X_CONSUMER_SECRET": consumer_secret, "X_ACCESS_TOKEN": ACCESS[0], "X_ACCESS_TOKEN_SECRET": ACCESS[1],
            "X_API_BASE": x_api.origin}


def start(units_db, config, wilayah, normalizer, x_api) -> Worker:
    """A process: app, adapters and worker over the given store."""
    env = environ(x_api)
    app = create_app(config, units_db, wilayah, environ=env, normalizer=normalizer, adapters=build_adapters(env))
    return Worker(app.extensions["lapor"], app.extensions["lapor"].adapters)


@pytest.fixture
def worker(units_db, config, wilayah, normalizer, x_api):
    return start(units_db, config, wilayah, normalizer, x_api)


def test_a_report_gets_one_public_reply_with_its_ticket_and_no_personal_data(worker, x_api, units_db, config):
    tweet = x_api.mention(AUTHOR, REPORT)
    assert poll_channel(worker.services, "x") == 1
    drain(worker)
    [reply] = x_api.posted
    assert reply["reply"] == {"in_reply_to_tweet_id": tweet}
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        assert report.origin_channel == "x" and report.confidential and report.category == "pohon"
        assert report.assigned_unit.name == "Kelurahan Kenari"
        link = f"{config.server.base_url}/t/{report.ticket}?k={report.public_token}"
        for secret in ("Budi", "Santoso", "0812"):
            assert secret not in report.description
        assert f"@{CITY}" not in report.description
        [identity] = session.get(Reporter, report.reporter_id).identities
        assert (identity.channel, identity.address) == ("x", AUTHOR)
    text = reply["text"]
    assert report.ticket in text and link in text and "https://t.me/LaporJakartaBot" in text
    for personal in ("Siti", "Rahayu", "siti_warga", "Budi", "Santoso", "0812", "081234567890", "Kenari", "@"):
        assert personal not in text, personal
    with units_db.transaction() as session:
        assert session.scalar(select(OutboundMessage)).status == "sent"
        assert session.scalar(select(InboundMessage)).status == "processed"
    assert count(units_db, TriageItem) == 0


def test_chatter_goes_to_the_triage_queue_only(worker, x_api, units_db):
    tweet = x_api.mention(AUTHOR, CHATTER)
    assert poll_channel(worker.services, "x") == 1
    drain(worker)
    assert x_api.posted == [] and count(units_db, Report) == 0 and count(units_db, OutboundMessage) == 0
    [item] = pending_triage(units_db)
    assert (item.channel, item.provider_message_id, item.status) == ("x", tweet, "pending")
    assert item.text == "selamat pagi min, semangat terus!" and item.contact.address == AUTHOR


def test_an_author_posting_past_the_rate_limit_goes_to_people_not_the_bot(worker, x_api, units_db, config):
    """Clear reports from one author beyond the rate limit are not filed nor answered: the team looks at them."""
    limit = config.conversation.rate_limit_messages
    for batch in (range(limit), range(limit, limit + 2)):
        for number in batch:
            x_api.mention(AUTHOR, f"{REPORT} ({number})")
        assert poll_channel(worker.services, "x") == len(batch)
        drain(worker)
    assert count(units_db, Report) == limit and len(x_api.posted) == limit
    assert len(pending_triage(units_db)) == 2


def test_one_click_turns_a_triage_item_into_a_report_or_dismisses_it(worker, x_api, units_db, config):
    asked = x_api.mention(AUTHOR, f"@{CITY} min tolong dong di kel. Klender ini parah banget")  # of what? unsure
    x_api.mention("77", f"@{CITY} halo min, semangat!")
    x_api.add_user("77", "budi77", "Budi")
    poll_channel(worker.services, "x")
    drain(worker)
    first, second = pending_triage(units_db)
    report = convert_mention(worker.services, first.id, TEAM, category="jalan")
    assert report.category == "jalan" and report.origin_channel == "x" and report.confidential
    with pytest.raises(TriageError):
        convert_mention(worker.services, first.id, TEAM)
    dismiss_triage_item(units_db, second.id, TEAM)
    with pytest.raises(TriageError):
        dismiss_triage_item(units_db, second.id, TEAM)
    assert pending_triage(units_db) == []
    with units_db.transaction() as session:
        converted, dismissed = session.get(TriageItem, first.id), session.get(TriageItem, second.id)
        assert (converted.status, converted.report_id, converted.decided_by) == ("converted", report.id, "triage:ana")
        assert converted.decided_at is not None
        assert (dismissed.status, dismissed.report_id, dismissed.decided_by) == ("dismissed", None, "triage:ana")
        assert session.get(Report, report.id).assigned_unit.name == "Kelurahan Klender"
    drain(worker)
    [reply] = x_api.posted
    assert reply["reply"] == {"in_reply_to_tweet_id": asked} and report.ticket in reply["text"]


def test_two_pages_of_mentions_are_all_stored(worker, x_api, units_db):
    ids = [x_api.mention(AUTHOR, f"@{CITY} halo nomor {n}") for n in range(105)]
    assert poll_channel(worker.services, "x") == 105
    first, second = x_api.mention_calls()
    assert "pagination_token" not in first and second["pagination_token"] and first["max_results"] == "100"
    assert get_cursor(units_db, XAdapter.poll_cursor) == {"since_id": ids[-1]}
    assert count(units_db, InboundMessage) == 105


def test_since_id_survives_a_restart(worker, x_api, units_db, config, wilayah, normalizer):
    x_api.mention(AUTHOR, CHATTER)
    newest = x_api.mention(AUTHOR, f"@{CITY} halo min")
    assert poll_channel(worker.services, "x") == 2
    restarted = start(units_db, config, wilayah, normalizer, x_api)  # a new process: new adapter, same store
    assert poll_channel(restarted.services, "x") == 0
    assert x_api.mention_calls()[-1]["since_id"] == newest
    later = x_api.mention(AUTHOR, REPORT)
    assert poll_channel(restarted.services, "x") == 1
    drain(restarted)
    assert [p["reply"]["in_reply_to_tweet_id"] for p in x_api.posted] == [later]
    assert count(units_db, InboundMessage) == 3


def test_retweets_and_the_accounts_own_posts_are_skipped(worker, x_api, units_db):
    kept = x_api.mention(AUTHOR, CHATTER)
    x_api.mention("55", f"RT @siti_warga: @{CITY} selamat pagi min", retweet_of=kept)
    own = x_api.mention(CITY_ID, f"@{CITY} pengumuman: layanan aduan buka 24 jam")
    assert poll_channel(worker.services, "x") == 1
    with units_db.transaction() as session:
        assert session.scalar(select(InboundMessage.provider_message_id)) == kept
    assert get_cursor(units_db, XAdapter.poll_cursor)["since_id"] == own, "skipped posts are not fetched again"


def test_a_rate_limit_loses_nothing_sleeps_never_and_polling_resumes_after_the_reset(worker, x_api, units_db):
    ids = [x_api.mention(AUTHOR, f"@{CITY} halo nomor {n}") for n in range(105)]
    reset = int(time.time()) + 2  # whole seconds, as X gives them: at least one second away
    x_api.spend_budget(remaining=1, reset_at=reset)  # the first page uses the window's last request
    began = time.monotonic()
    assert poll_channel(worker.services, "x") == 100
    assert get_cursor(units_db, XAdapter.poll_cursor) == {"not_before": reset}, "since_id stays until every page came"
    calls = len(x_api.mention_calls())
    assert poll_channel(worker.services, "x") == 0 and len(x_api.mention_calls()) == calls, "not asked before the reset"
    assert time.monotonic() - began < 1, "nothing slept"
    time.sleep(max(0.0, reset - time.time()) + 0.05)
    assert poll_channel(worker.services, "x") == 5
    assert get_cursor(units_db, XAdapter.poll_cursor) == {"since_id": ids[-1]}
    assert count(units_db, InboundMessage) == 105
    # A 429 answer itself (the budget was spent elsewhere): its x-rate-limit-reset is waited for.
    x_api.mention(AUTHOR, CHATTER)
    x_api.spend_budget(remaining=0, reset_at=int(time.time()) + 60)
    assert poll_channel(worker.services, "x") == 0
    assert get_cursor(units_db, XAdapter.poll_cursor) == {"since_id": ids[-1], "not_before": x_api.reset_at}


def test_a_reply_refused_with_503_is_retried_through_the_outbox_and_sent_once(worker, x_api, units_db):
    x_api.mention(AUTHOR, REPORT)
    x_api.fail_next(503)
    poll_channel(worker.services, "x")
    drain(worker)
    assert x_api.posted == []
    with units_db.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert row.status == "pending" and row.attempts == 1 and "503" in row.last_error
        session.execute(update(OutboundMessage).values(next_attempt_at=row.created_at))  # the backoff has passed
    drain(worker)
    assert len(x_api.posted) == 1
    drain(worker)
    with units_db.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert row.status == "sent" and row.provider_message_id
    assert len(x_api.posted) == 1 and count(units_db, Report) == 1


def test_the_same_mention_twice_or_edited_is_one_report_and_one_reply(worker, x_api, units_db):
    tweet = x_api.mention(AUTHOR, REPORT)
    assert poll_channel(worker.services, "x") == 1
    set_cursor(units_db, XAdapter.poll_cursor, {})  # delivered again from the start
    assert poll_channel(worker.services, "x") == 0
    x_api.mention(AUTHOR, REPORT + " tolong cepat", edit_of=tweet)  # an edit: a new id, the same post
    assert poll_channel(worker.services, "x") == 0
    drain(worker)
    assert count(units_db, Report) == 1 and len(x_api.posted) == 1


def test_an_emergency_is_answered_with_the_emergency_number(worker, x_api, units_db, config):
    x_api.mention(AUTHOR, f"@{CITY} kebakaran! rumah terbakar di kel. Kramat, ada orang terjebak")
    poll_channel(worker.services, "x")
    drain(worker)
    [reply] = x_api.posted
    assert reply["text"].startswith(f"DARURAT: segera hubungi {config.city.emergency_number}.")
    with units_db.transaction() as session:
        assert session.scalar(select(Report)).priority == "darurat"


def test_a_report_outside_jakarta_gets_a_polite_pointer_and_no_report(worker, x_api, units_db, config):
    x_api.mention(AUTHOR, f"@{CITY} pohon tumbang nutup jalan di Bekasi Timur, tolong")
    poll_channel(worker.services, "x")
    drain(worker)
    [reply] = x_api.posted
    assert reply["text"] == config.message("x_out_of_area", "id") and "Bekasi" not in reply["text"]
    assert count(units_db, Report) == 0 and count(units_db, TriageItem) == 0


def test_a_tagged_point_places_the_report(worker, x_api, units_db):
    from tests.helpers import MONAS

    x_api.mention(AUTHOR, f"@{CITY} sampah numpuk di sini sudah seminggu", point=MONAS, place="Gambir, Indonesia")
    poll_channel(worker.services, "x")
    drain(worker)
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        assert (report.latitude, report.longitude) == MONAS and report.assigned_unit.name == "Kelurahan Gambir"


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("key", ["x_report_created", "x_emergency_created", "x_out_of_area"])
def test_every_public_reply_fits_one_post(config, key, language):
    link = "https://lapor.jakarta.go.id/t/JKT-2611-00042?k=" + "k" * 32
    text = config.message(key, language, ticket="JKT-2611-00042", link=link, number=config.city.emergency_number)
    assert weighted_length(text) <= 280, (key, language, weighted_length(text))


def test_the_adapter_maps_provider_errors(x_api):
    adapter = XAdapter(BEARER, CITY_ID, consumer_key=CONSUMER[0], consumer_secret=CONSUMER[1],
                       access_token=ACCESS[0], access_token_secret=ACCESS[1], api_base=x_api.origin)
    tweet = x_api.mention(AUTHOR, CHATTER)
    reply = Outgoing("x", AUTHOR, "Terima kasih.", reply_context={"in_reply_to_tweet_id": tweet})
    with pytest.raises(PermanentError):
        adapter.send(Outgoing("x", AUTHOR, "no post to answer"))
    x_api.fail_next(503)
    with pytest.raises(RetryableError):
        adapter.send(reply)
    assert adapter.send(reply).isdigit()
    with pytest.raises(PermanentError, match="duplicate"):
        adapter.send(reply)
    with pytest.raises(PermanentError, match="400"):
        adapter.send(Outgoing("x", AUTHOR, "x" * 281, reply_context={"in_reply_to_tweet_id": tweet}))
    forged = XAdapter(BEARER, CITY_ID, consumer_key=CONSUMER[0], consumer_secret="wrong", access_token=ACCESS[0],
                      access_token_secret=ACCESS[1], api_base=x_api.origin)
    with pytest.raises(RetryableError, match="401"):  # the signature is checked: the keys are wrong
        forged.send(Outgoing("x", AUTHOR, "Halo.", reply_context={"in_reply_to_tweet_id": tweet}))
    x_api.fail_next(429, "Too Many Requests", "Too Many Requests")
    with pytest.raises(RetryableError):
        adapter.send(Outgoing("x", AUTHOR, "Halo lagi.", reply_context={"in_reply_to_tweet_id": tweet}))
    assert len(x_api.posted) == 1


def test_the_adapter_stores_only_what_is_needed(x_api):
    adapter = XAdapter(BEARER, CITY_ID, api_base=x_api.origin)
    x_api.mention(AUTHOR, REPORT, point=(-6.19, 106.85), place="Kenari, Indonesia")
    [mention] = adapter.fetch_mentions(None).mentions
    assert set(mention) == {"id", "key", "author_id", "username", "name", "text", "lat", "lon", "place"}
    [incoming] = adapter.parse(mention)
    assert incoming.sender == AUTHOR and incoming.reply_context == {"in_reply_to_tweet_id": mention["id"]}
    assert incoming.text.startswith("pohon tumbang") and (incoming.latitude, incoming.longitude) == (-6.19, 106.85)
    assert x_api.mention_calls()[0]["tweet.fields"].split(",") == [
        "author_id", "created_at", "referenced_tweets", "geo", "edit_history_tweet_ids"]
