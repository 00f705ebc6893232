"""Conversations as citizens have them, turn by turn (the engine alone: no store, no channel)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gateway.conversation import Context, State, StatusInfo, Turn, handle
from normalizer.language import detect_language
from tests.helpers import MONAS

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TICKET = "JKT-2611-00001"
OPEN = StatusInfo(TICKET, "Menunggu", "merah", "Kelurahan Gambir", "26-11-2026 16:15")


def context_for(config, normalizer, buttons=False, duplicate=None, statuses=None, now=NOW):
    statuses = statuses or {}
    return Context(
        config=config,
        normalizer=normalizer,
        channel_buttons=buttons,
        find_duplicate=lambda category, lat, lon, text: duplicate,
        report_status=lambda ticket, language: statuses.get(ticket),
        now=now,
    )


def talk(context, *turns, state=None):
    state = state or State()
    outcomes = []
    for turn in turns:
        outcome = handle(state, turn if isinstance(turn, Turn) else Turn(text=turn), context)
        state = outcome.state
        outcomes.append(outcome)
    return state, outcomes


def test_a_complete_report_one_question_at_a_time(config, normalizer):
    context = context_for(config, normalizer)
    state, outcomes = talk(context, "Assalamualaikum min, lampu jalan mati udh seminggu", "di Jl. Kenari, kel. Kenari", "rahasia", "ya")
    asked = [o.replies[0].text for o in outcomes[:3]]
    assert asked[0] == config.message("ask_location", "id")
    assert asked[1] == config.message("ask_confidential", "id")
    assert asked[2].startswith("Ringkasan: Jaringan Listrik dan Penerangan Jalan di ") and "Kel. Kenari" in asked[2]
    created = outcomes[3].create
    assert created is not None and created.category == "listrik" and created.confidential is True
    assert created.place and "Kenari" in created.place and state.draft is None


def test_answers_out_of_order_and_a_location_pin(config, normalizer):
    context = context_for(config, normalizer, buttons=True)
    state, outcomes = talk(context, "pohon tumbang nutup jalan, publik aja", Turn(latitude=-6.1754, longitude=106.8272), "YA")
    first = outcomes[0].replies[0]
    assert first.request_location and first.buttons == ((config.message("location_button", "id"),),)
    assert outcomes[1].replies[0].buttons == (("YA", "TIDAK"),), "confidentiality was already given"
    assert outcomes[2].create.confidential is False and outcomes[2].create.latitude == -6.1754


def test_unsure_category_is_asked_with_choices(config, normalizer):
    context = context_for(config, normalizer)
    state, outcomes = talk(context, "tolong dong ini di kel. Klender, parah banget", "1")
    assert "1=Jalan" in outcomes[0].replies[0].text
    assert state.draft.category == "jalan" and state.awaiting == "confidential"


def test_with_buttons_the_category_is_an_inline_choice_of_codes(config, normalizer):
    context = context_for(config, normalizer, buttons=True)
    state, outcomes = talk(context, "tolong dong ini di kel. Klender, parah banget", Turn(choice="jalan"))
    asked = outcomes[0].replies[0]
    assert asked.buttons == () and all(len(row) <= 2 for row in asked.choices)
    offered = [choice for row in asked.choices for choice in row]
    assert sorted(offered) == sorted((c.name.id, c.code) for c in config.categories), "every category, once"
    likely = normalizer.normalize("tolong dong ini di kel. Klender, parah banget").likely_categories
    assert [code for _, code in offered[: len(likely)]] == likely, "the likeliest first"
    assert state.draft.category == "jalan" and state.draft.category_sure and state.awaiting == "confidential"


def test_an_unsure_guess_offers_its_likeliest_categories_first(config, normalizer):
    strict = config.model_copy(update={"normalizer": config.normalizer.model_copy(
        update={"category_confidence_threshold": 0.999})})  # never sure enough: always asks
    text = "airnya keruh dan bau, udah 3 hari ngalir kecil banget, di kel. Kenari"
    result = normalizer.normalize(text)
    state, [outcome] = talk(context_for(strict, normalizer, buttons=True), text)
    assert state.awaiting == "category"
    assert [code for _, code in outcome.replies[0].choices[0]] == result.likely_categories[:2]
    assert result.likely_categories[0] == "air_bersih" and len(set(result.likely_categories)) == 3


def test_an_unknown_or_stale_choice_asks_again_and_is_never_text(config, normalizer):
    context = context_for(config, normalizer, buttons=True)
    state, outcomes = talk(context, "tolong dong ini di kel. Klender, parah banget", Turn(choice="bukan-kategori"))
    assert outcomes[1].replies[0].choices == outcomes[0].replies[0].choices, "the same question again"
    assert state.awaiting == "category" and "bukan-kategori" not in state.draft.description
    _, [outcome] = talk(context, Turn(choice="jalan"))
    assert outcome.replies[0].text == config.message("welcome", "id") and outcome.create is None


def test_a_likely_duplicate_is_offered_and_can_be_followed(config, normalizer):
    context = context_for(config, normalizer, duplicate=("JKT-2611-00007", "Disposisi"))
    state, outcomes = talk(context, "sampah numpuk depan halte Harmoni", "rahasia", "ya")
    assert "JKT-2611-00007" in outcomes[1].replies[0].text
    assert outcomes[2].follow == "JKT-2611-00007" and outcomes[2].create is None


def test_declining_the_duplicate_goes_on_to_a_new_report(config, normalizer):
    context = context_for(config, normalizer, duplicate=("JKT-2611-00007", "Disposisi"))
    state, outcomes = talk(context, "sampah numpuk depan halte Harmoni", "rahasia", "tidak", "ya")
    assert outcomes[2].replies[0].text.startswith("Ringkasan")
    assert outcomes[3].create is not None


def test_an_emergency_is_created_at_once(config, normalizer):
    context = context_for(config, normalizer)
    state, [outcome] = talk(context, "KEBAKARAN rumah di kel. Kenari, api besar, ada orang terjebak!")
    assert outcome.create is not None and outcome.created_message == "emergency"
    assert outcome.create.urgency == "darurat" and outcome.create.confidential is True
    assert state.draft is None and state.emergency.category == "kebakaran"
    assert [r.text for r in outcome.replies] == [config.message("emergency_ask_details", "id")], "it has a place: details next"


EMERGENCY = "KEBAKARAN! rumah terbakar, ada orang terjebak, tolong!"  # no place


def created(state):
    """What the worker does once the report exists."""
    state.report_created(TICKET)
    return state


def test_after_an_emergency_its_location_then_photos_and_words_go_to_the_same_report(config, normalizer):
    context = context_for(config, normalizer, buttons=True, statuses={TICKET: OPEN})
    state, [first] = talk(context, EMERGENCY)
    [ask] = first.replies
    assert ask.text == config.message("emergency_ask_location_share", "id") and ask.request_location
    assert state.awaiting == "emergency_location"
    state, outcomes = talk(context, Turn(latitude=MONAS[0], longitude=MONAS[1]), Turn(photos=(7,)),
                           "apinya sudah menjalar ke rumah sebelah", state=created(state))
    located, photo, words = (o.add for o in outcomes)
    assert (located.ticket, located.location.kelurahan, located.place) == (TICKET, "Gambir", "Kel. Gambir")
    assert outcomes[0].replies == [], "the worker's confirmation asks for photos and details"
    assert photo.photos == (7,) and photo.location is None and photo.text == ""
    assert words.text == "apinya sudah menjalar ke rumah sebelah" and words.ticket == TICKET
    assert all(o.create is None for o in outcomes) and state.awaiting == "emergency_details"
    state, [done] = talk(context, "selesai", state=state)
    assert done.replies[0].text == config.message("emergency_closed", "id", ticket=TICKET) and state.emergency is None
    state, [fresh] = talk(context, "lampu jalan mati", state=state)
    assert fresh.add is None and state.draft is not None, "a new message is a new report again"


def test_in_words_the_place_is_asked_until_given(config, normalizer):
    context = context_for(config, normalizer, statuses={TICKET: OPEN})
    state, [first] = talk(context, EMERGENCY)
    assert first.replies[0].text == config.message("emergency_ask_location", "id")
    state, (words, place, ok) = talk(context, "ada 3 orang terjebak di lantai 2", "di Jl. Kenari, kel. Kenari", "ok",
                                     state=created(state))
    assert words.add.text == "ada 3 orang terjebak di lantai 2" and words.add.location is None
    assert words.replies[0].text == config.message("emergency_ask_location", "id"), "still no place: asked again"
    assert place.add.location.kelurahan == "Kenari" and place.add.place == "Jl. Kenari, Kel. Kenari"
    assert ok.add is None and ok.replies[0].text == config.message("emergency_ask_details", "id")


def test_commands_still_work_and_cancel_only_ends_the_questions(config, normalizer):
    context = context_for(config, normalizer, statuses={TICKET: OPEN})
    state, _ = talk(context, EMERGENCY)
    state, (status, help_, choice, cancel) = talk(context, "status", "bantuan", Turn(choice="jalan"), "batal",
                                                 state=created(state))
    assert status.replies[0].text.startswith(f"{TICKET}: Menunggu") and help_.replies[0].text.startswith("Kirim laporan")
    assert choice.replies[0].text == config.message("emergency_ask_location", "id"), "a stale button: the question again"
    assert cancel.replies[0].text == config.message("emergency_closed", "id", ticket=TICKET) and state.emergency is None
    state, _ = talk(context, EMERGENCY)
    state, [stop] = talk(context, "STOP", state=created(state))
    assert stop.stop_contact and state.emergency is None


DETAIL = "rumah nomor 12 dekat masjid"  # a detail while the questions last, no report on its own


def test_a_clear_new_report_silence_or_a_closed_report_end_the_questions(config, normalizer):
    context = context_for(config, normalizer, statuses={TICKET: OPEN})
    state, _ = talk(context, EMERGENCY)
    state, [other] = talk(context, "lampu jalan mati di Jl. Kenari", state=created(state))
    assert other.add is None and state.emergency is None and state.draft.category == "listrik"
    state, _ = talk(context, EMERGENCY, state=State())
    state, [kept] = talk(context, DETAIL, state=created(state))
    assert kept.add.text == DETAIL, "while the questions last it is a detail"
    later = context_for(config, normalizer, statuses={TICKET: OPEN},
                        now=NOW + timedelta(minutes=config.conversation.expire_after_minutes + 1))
    state, [quiet] = talk(later, DETAIL, state=state)
    assert quiet.add is None and quiet.create is None and state.emergency is None
    state, _ = talk(context, EMERGENCY, state=State())
    closed = context_for(config, normalizer, statuses={TICKET: replace(OPEN, status="Selesai", closed=True)})
    state, [after] = talk(closed, DETAIL, state=created(state))
    assert after.add is None and state.emergency is None


def test_more_urgent_words_stay_with_the_emergency(config, normalizer):
    context = context_for(config, normalizer, statuses={TICKET: OPEN})
    state, _ = talk(context, EMERGENCY)
    state, [more] = talk(context, "ada korban luka butuh ambulans", state=created(state))
    assert more.add.text == "ada korban luka butuh ambulans" and more.create is None and state.emergency is not None


def test_an_open_emergency_survives_a_round_trip_through_storage(config, normalizer):
    context = context_for(config, normalizer, statuses={TICKET: OPEN})
    state, _ = talk(context, EMERGENCY)
    restored = State.from_dict(created(state).to_dict())
    assert restored == state and restored.emergency.ticket == TICKET


def test_out_of_area_gets_no_wrong_door_and_nothing_is_created(config, normalizer):
    context = context_for(config, normalizer)
    state, [outcome] = talk(context, "jalan rusak parah di Margonda Depok")
    assert "Depok" in outcome.replies[0].text and "1708" in outcome.replies[0].text
    assert outcome.create is None and state.draft is None
    state, outcomes = talk(context, "lampu jalan mati", Turn(latitude=-6.2383, longitude=106.9756))
    assert "luar DKI Jakarta" in outcomes[1].replies[0].text and state.draft is None


def test_status_cancel_help_stop_at_any_point(config, normalizer):
    info = StatusInfo("JKT-2611-00042", "Disposisi", "biru", "Kelurahan Kenari", "27 Nov 2026 08:00")
    context = context_for(config, normalizer, statuses={"JKT-2611-00042": info})
    _, [status] = talk(context, "status jkt-2611-00042")
    assert status.replies[0].text == "JKT-2611-00042: Disposisi (biru). Ditangani Kelurahan Kenari. Target selesai 27 Nov 2026 08:00."
    _, [unknown] = talk(context, "STATUS JKT-2611-99999")
    assert "tidak ditemukan" in unknown.replies[0].text
    state, outcomes = talk(context, "lampu jalan mati", "batal")
    assert state.draft is None and outcomes[1].replies[0].text == config.message("cancelled", "id")
    _, [stop] = talk(context, "STOP")
    assert stop.stop_contact
    _, [help_] = talk(context, "bantuan")
    assert "STATUS" in help_.replies[0].text


def test_english_in_english(config, normalizer):
    context = context_for(config, normalizer)
    state, [outcome] = talk(context, "The street light on my street is broken and it is very dark")
    assert state.language == "en" and outcome.replies[0].text == config.message("ask_location", "en")


def test_chatter_gets_a_pointer_not_a_report(config, normalizer):
    context = context_for(config, normalizer)
    state, [outcome] = talk(context, "Terima kasih pak gubernur, mantap pelayanannya")
    assert outcome.replies[0].text == config.message("not_a_report", "id") and state.draft is None


def test_state_survives_a_round_trip_through_storage(config, normalizer):
    context = context_for(config, normalizer)
    state, _ = talk(context, "lampu jalan mati", "kel. Kenari")
    restored = State.from_dict(state.to_dict())
    assert restored == state
    _, [outcome] = talk(context, "publik", state=restored)
    assert outcome.replies[0].text.startswith("Ringkasan")


@pytest.mark.parametrize(("text", "language"), [("lampu jalan mati di depan rumah saya", "id"), ("the road near my house is broken", "en"), ("ok", "id")])
def test_language_detection(text, language):
    assert detect_language(text) == language
