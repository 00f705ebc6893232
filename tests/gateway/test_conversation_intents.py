"""Messages that are no report — a status asked in plain words, thanks, greetings, help, small talk — are
answered as such, in Indonesian and English, and never start a report; a real problem with a greeting or a
question in it is still a report (the engine alone, as in test_conversation)."""

from dataclasses import replace

import pytest

from gateway.conversation import State, StatusInfo, Turn
from tests.gateway.test_conversation import context_for, talk

LATEST = "JKT-2611-00007"
NAMED = "JKT-2611-00042"
STATUSES = {
    LATEST: StatusInfo(LATEST, "Disposisi", "biru", "Kelurahan Kenari", "27-11-2026 08:00"),
    NAMED: StatusInfo(NAMED, "Sedang ditangani", "kuning", "Kelurahan Gambir", "28-11-2026 10:00"),
}


def status_of(config, ticket, language):
    info = STATUSES[ticket]
    return config.message("status", language, ticket=info.ticket, status=info.status, colour=info.colour,
                          unit=info.unit, due=info.due)


def one_answer(context, text, state=None):
    """The single reply to one message, and the state after it; no report was created or started."""
    state, [outcome] = talk(context, text, state=state or State(last_ticket=LATEST))
    assert outcome.create is None and outcome.follow is None and len(outcome.replies) == 1
    return state, outcome.replies[0].text


# -- a status asked in plain words ----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "gimana laporan saya yg lampu?",
    "laporan saya sudah sampai mana?",
    "udah diproses belum laporan saya yg lampu",
    "laporanku kok belum ditanggapi",
    "kapan laporan yang kemarin diperbaiki?",
    "min, mau tanya laporan saya udah sampai mana ya?",
    "udah lapor kemarin, gimana?",
    "cek status laporan",
])
def test_a_status_asked_in_indonesian_is_the_latest_reports(config, normalizer, text):
    state, said = one_answer(context_for(config, normalizer, statuses=STATUSES), text)
    assert said == status_of(config, LATEST, "id") and state.draft is None


@pytest.mark.parametrize("text", [
    "what is the status of my report?",
    "any update on my report?",
    "how is my complaint going",
    "has my complaint been handled yet?",
    "where is my ticket?",
])
def test_a_status_asked_in_english_is_the_latest_reports(config, normalizer, text):
    state, said = one_answer(context_for(config, normalizer, statuses=STATUSES), text)
    assert said == status_of(config, LATEST, "en") and state.draft is None and state.language == "en"


@pytest.mark.parametrize(("text", "language"), [("gimana laporan saya?", "id"), ("any update on my report?", "en")])
def test_without_a_report_yet_the_citizen_is_told_how_to_report(config, normalizer, text, language):
    state, said = one_answer(context_for(config, normalizer, statuses=STATUSES), text, State())
    assert said == config.message("no_ticket", language) and state.draft is None
    assert ("ceritakan masalah dan lokasinya" if language == "id" else "describe the problem and where") in said


@pytest.mark.parametrize("text", [
    f"gimana {NAMED}?", f"{NAMED} sudah sampai mana?", f"laporan {NAMED.lower()} kapan selesai", NAMED,
    f"what's the status of {NAMED}?",
])
def test_a_named_ticket_is_the_one_looked_up(config, normalizer, text):
    _, said = one_answer(context_for(config, normalizer, statuses=STATUSES), text)
    assert said == status_of(config, NAMED, "en" if text.startswith("what") else "id")


def test_a_status_question_about_a_followed_ticket_also_reaches_its_unit(config, normalizer):
    context = replace(context_for(config, normalizer, statuses=STATUSES), is_following=lambda ticket: ticket == NAMED)
    _, [outcome] = talk(context, f"{NAMED} kok sampahnya belum diangkut juga?", state=State(last_ticket=LATEST))
    assert outcome.comment.ticket == NAMED and "belum diangkut" in outcome.comment.text
    assert [r.text for r in outcome.replies] == [status_of(config, NAMED, "id")]


def test_after_a_report_is_created_asking_in_words_gives_its_status(config, normalizer):
    context = context_for(config, normalizer, statuses=STATUSES)
    state, outcomes = talk(context, "lampu jalan mati di Jl. Kenari, kel. Kenari", "publik", "ya")
    assert outcomes[-1].create is not None
    state.report_created(LATEST)  # what the worker does
    _, said = one_answer(context, "lampunya udah diproses belum ya?  laporan saya yg kemarin", state)
    assert said == status_of(config, LATEST, "id")


def test_a_status_question_leaves_an_open_draft_as_it_was(config, normalizer):
    context = context_for(config, normalizer, statuses=STATUSES)
    state, _ = talk(context, "lampu jalan mati", state=State(last_ticket=LATEST))
    state, said = one_answer(context, "gimana laporan saya yg kemarin?", state)
    assert said == status_of(config, LATEST, "id")
    assert state.draft.texts == ["lampu jalan mati"] and state.awaiting == "location"
    _, [next_question] = talk(context, "kel. Kenari", state=state)
    assert next_question.replies[0].text == config.message("ask_confidential", "id")


# -- thanks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "language"), [
    ("makasih", "id"), ("terima kasih min", "id"), ("mksh ya", "id"), ("makasih banyak ya kak", "id"),
    ("trims pak", "id"), ("ok tengkyu min", "id"),
    ("thanks", "en"), ("thank you", "en"), ("thx!", "en"), ("ok ty", "en"),
])
def test_thanks_gets_a_short_you_are_welcome(config, normalizer, text, language):
    state, said = one_answer(context_for(config, normalizer), text, State(language=language, last_ticket=LATEST))
    assert said == config.message("thanks_reply", language) and state.draft is None


def test_thanks_while_a_report_takes_shape_keeps_it(config, normalizer):
    context = context_for(config, normalizer)
    state, _ = talk(context, "pohon tumbang nutup jalan")
    state, said = one_answer(context, "makasih min", state)
    assert said == config.message("thanks_reply_draft", "id")
    assert state.draft.texts == ["pohon tumbang nutup jalan"] and state.awaiting == "location"
    state, outcomes = talk(context, "kel. Kenari", "rahasia", "makasih", "ya", state=state)
    assert outcomes[2].replies[0].text == config.message("thanks_reply_draft", "id") and outcomes[2].create is None
    assert outcomes[3].create.description == "pohon tumbang nutup jalan", "confirmed after the thanks, nothing added"


def test_thanks_in_english_keeps_an_english_draft(config, normalizer):
    context = context_for(config, normalizer)
    state, _ = talk(context, "The street light on my street is broken and it is very dark")
    state, said = one_answer(context, "thank you", state)
    assert said == config.message("thanks_reply_draft", "en") and state.awaiting == "location"
    assert state.draft.texts == ["The street light on my street is broken and it is very dark"]


def test_thanks_with_a_photo_is_a_photo_for_the_report(config, normalizer):
    context = context_for(config, normalizer)
    state, _ = talk(context, "pohon tumbang nutup jalan")
    state, [outcome] = talk(context, Turn(text="makasih", photos=(5,)), state=state)
    assert state.draft.photos == [5] and outcome.replies[0].text == config.message("ask_location", "id")


def test_a_yes_with_thanks_still_answers_the_confirmation(config, normalizer):
    context = context_for(config, normalizer)
    state, outcomes = talk(context, "lampu jalan mati di Jl. Kenari, kel. Kenari", "publik", "ok makasih")
    assert outcomes[-1].create is not None and state.draft is None


# -- greetings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "language"), [
    ("halo", "id"), ("hai min", "id"), ("selamat pagi", "id"), ("assalamualaikum", "id"),
    ("Assalamu'alaikum wr wb", "id"), ("selamat sore bu", "id"), ("permisi min", "id"), ("halo, apa kabar?", "id"),
    ("hi", "en"), ("hello there", "en"), ("good morning", "en"), ("Good evening!", "en"),
])
def test_a_greeting_alone_gets_a_greeting_and_how_to_report(config, normalizer, text, language):
    state, said = one_answer(context_for(config, normalizer), text, State(language=language))
    assert said == config.message("welcome", language) and state.draft is None


# -- help -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "language"), [
    ("cara lapor gimana", "id"), ("gimana caranya pakai layanan ini?", "id"), ("minta bantuan dong", "id"),
    ("bantu lapor dong", "id"), ("halo min, mau lapor caranya gimana?", "id"), ("how do I report this?", "en"),
    ("how can I report a problem?", "en"), ("can you help me report it?", "en"), ("help", "en"),
])
def test_help_in_words_gets_the_help(config, normalizer, text, language):
    state, said = one_answer(context_for(config, normalizer), text, State(language=language))
    assert said == config.message("help", language) and state.draft is None


# -- small talk -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "language"), [
    ("bot ya?", "id"), ("lagi apa min", "id"), ("kamu robot ya?", "id"), ("ini siapa?", "id"), ("wkwkwk", "id"),
    ("oke", "id"), ("sip", "id"), ("mantap min", "id"), ("tes", "id"),
    ("who are you", "en"), ("are you a bot?", "en"), ("is this a real person?", "en"), ("what can you do?", "en"),
    ("ok", "en"), ("lol", "en"),
])
def test_small_talk_says_what_the_bot_is_for(config, normalizer, text, language):
    state, said = one_answer(context_for(config, normalizer), text, State(language=language))
    assert said == config.message("small_talk", language) and state.draft is None


# -- real problems stay reports -------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "pagi min, lampu jalan mati di jl kenari",
    "halo min, got mampet di kel. Kenari bikin banjir",
    "selamat siang, ada pohon tumbang di jl kenari",
    "ok, jalan di depan sekolah berlubang",
    "makasih, tapi ada lagi: lampu jalan mati di jl kenari",
    "lampu jalan mati, gimana nih?",
    "lampu taman mati sudah seminggu, kapan diperbaiki?",
    "sampah numpuk depan halte Harmoni, udah seminggu ga diangkut, gimana ini?",
    "jalan rusak di jl kenari, saya sudah lapor ke RT tapi belum ada tindakan",
    "cara lapor jalan rusak gimana?",
    "Good morning, the street light near my house is broken",
    "how long until the broken street light on jl kenari is fixed?",
])
def test_a_real_problem_with_a_greeting_or_a_question_is_a_report(config, normalizer, text):
    context = context_for(config, normalizer, statuses=STATUSES)
    state, [outcome] = talk(context, text, state=State(last_ticket=LATEST))
    assert state.draft is not None and state.draft.texts == [text] and outcome.create is None
    assert outcome.replies[0].text != status_of(config, LATEST, state.language)
