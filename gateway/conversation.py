"""The conversation with a citizen: from a first message to a ticket, one question at a time.

`handle(state, turn, context)` is pure: it reads the citizen's turn and the persisted state, and
returns the new state plus what should happen (replies, a report to create, a report to follow).
The worker applies that outcome in one transaction. What is still missing decides the next
question: location, then category (when unsure), then confidentiality, then a likely duplicate,
then a confirmation. Answers may come in any order and over several messages; commands (status,
cancel, help, stop) work at any point. Wording comes from `config.yaml` `messages`.

Messages that are no report are answered as what they are, never as a new report: a status asked in
plain words ('gimana laporan saya?'), thanks, greetings, help and small talk (see "messages that are no
report" below). A real problem with a greeting or a question in it is still a report.

On channels with buttons the category question offers inline choices (label, category code): a
press comes back as `Turn.choice`, kept apart from typed text, so a stale or unknown press is
answered by asking the pending question again and never ends up in the description.

An emergency is created at once (the reply gives the emergency number); then the conversation
keeps its ticket open (`State.emergency`) and asks for what is missing, the location first, then
photos and details. What the citizen sends next is added to that same report (`Outcome.add`) until
they say SELESAI or BATAL, clearly report something else, go quiet for `expire_after_minutes`,
or the report is closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gateway.config import Config
from normalizer.core import Normalizer
from normalizer.language import detect_language
from normalizer.location import LocationResult

TICKET = re.compile(r"\b([A-Z]{2,6}-\d{4}-\d{5,})\b", re.IGNORECASE)
YES = frozenset("ya iya y yes yup ok oke okay betul benar setuju lanjut kirim".split())
NO = frozenset("tidak tdk gak ga nggak no nope jangan bukan baru".split())
CONFIDENTIAL = frozenset("rahasia rahasiakan confidential secret private anonim".split())
PUBLIC = frozenset("publik public terbuka umum".split())
COMMANDS = {
    "start": {"/start", "/lapor", "mulai", "start", "unstop"},
    "help": {"/help", "/bantuan", "bantuan", "help", "tolong bantu", "menu"},
    "cancel": {"/batal", "batal", "cancel", "/cancel", "batalkan"},
    "stop": {"stop", "berhenti", "unsubscribe", "stopall"},
}
STATUS_WORDS = ("/status", "status", "cek laporan", "cek status", "check")
DONE = frozenset({"selesai", "cukup", "sudah", "sudah cukup", "done", "finished", "that's all"})  # ends an emergency's details
RATING = re.compile(r"^\s*(?:nilai|rating|skor)?\s*([1-5])(?:\s*/\s*5)?(?![\d.,])\s*(.*)$", re.IGNORECASE | re.DOTALL)
TEXT_CHOICES = 8  # categories numbered in a text-only question (SMS: two segments at most)
PRECISE = ("point", "landmark", "street", "kelurahan")  # places precise enough to dispatch to
POINT_PRECISIONS = ("point", "landmark", "street")  # places whose coordinates are a point (area centroids are not)


@dataclass
class Draft:
    texts: list[str] = field(default_factory=list)
    category: str | None = None
    category_sure: bool = False
    latitude: float | None = None
    longitude: float | None = None
    place: str | None = None  # how the place reads back to the citizen
    located: bool = False
    confidential: bool | None = None
    photos: list[int] = field(default_factory=list)
    urgency: str = "normal"
    type: str = "pengaduan"
    duplicate_ticket: str | None = None
    duplicates_checked: bool = False
    likely_categories: list[str] = field(default_factory=list)  # offered first when the bot asks

    @property
    def description(self) -> str:
        return "\n".join(self.texts)


@dataclass
class Emergency:
    """An emergency report created at once and still taking details: location first, then photos and words."""

    category: str
    since: str  # ISO time of the citizen's last message about it: silence past expire_after_minutes ends it
    ticket: str | None = None  # filled in once the worker has created the report


@dataclass
class State:
    language: str = "id"
    awaiting: str | None = None  # location | category | confidential | duplicate | confirm | emergency_location | emergency_details
    draft: Draft | None = None
    last_ticket: str | None = None
    reminded: bool = False  # an unfinished draft was already reminded of
    emergency: Emergency | None = None  # an emergency report whose details are still coming
    rating_ticket: str | None = None  # a finished report the citizen was asked to rate 1–5

    def to_dict(self) -> dict[str, Any]:
        """As stored (JSON): `asdict`'s result, built directly (it runs for every message; asdict deep-copies)."""
        data = dict(vars(self))
        for name in ("draft", "emergency"):
            if data[name] is not None:
                data[name] = {key: list(value) if isinstance(value, list) else value
                              for key, value in vars(data[name]).items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> State:
        if not data:
            return cls()
        draft = Draft(**data["draft"]) if data.get("draft") else None
        emergency = Emergency(**data["emergency"]) if data.get("emergency") else None
        return cls(language=data.get("language", "id"), awaiting=data.get("awaiting"), draft=draft,
                   last_ticket=data.get("last_ticket"), reminded=data.get("reminded", False), emergency=emergency,
                   rating_ticket=data.get("rating_ticket"))

    def report_created(self, ticket: str) -> None:
        """The worker wrote a report for this citizen: STATUS shows it, and an emergency's details go to it."""
        self.last_ticket = ticket
        if self.emergency is not None and self.emergency.ticket is None:
            self.emergency.ticket = ticket


@dataclass(frozen=True)
class Turn:
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    photos: tuple[int, ...] = ()  # attachment ids already stored
    choice: str | None = None  # the data of a pressed inline button, instead of text
    about_ticket: str | None = None  # the channel vouches the message is about this ticket (a signed e-mail thread)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[str, ...], ...] = ()  # answers the citizen can tap to send as text
    request_location: bool = False
    choices: tuple[tuple[tuple[str, str], ...], ...] = ()  # inline buttons: rows of (label, data sent back)


@dataclass(frozen=True)
class StatusInfo:
    ticket: str
    status: str
    colour: str
    unit: str
    due: str
    closed: bool = False  # selesai, ditolak or duplikat


@dataclass(frozen=True)
class Addition:
    """What the citizen adds to the open emergency report: its place, more words, photos."""

    ticket: str
    text: str = ""  # as written; the worker redacts it as intake does
    location: LocationResult | None = None  # a place in Jakarta precise enough to dispatch to
    place: str | None = None  # how that place reads back (and the report's new address)
    photos: tuple[int, ...] = ()


@dataclass(frozen=True)
class Comment:
    """A citizen's follow-up about a report they follow: words for the assigned unit, photos."""

    ticket: str
    text: str  # as written; the worker redacts it as intake does
    photos: tuple[int, ...] = ()


@dataclass(frozen=True)
class Rating:
    ticket: str
    score: int  # 1–5
    comment: str | None = None


@dataclass
class Outcome:
    state: State
    replies: list[Reply] = field(default_factory=list)  # said after whatever the worker says for create/follow/add
    create: Draft | None = None  # the worker creates the report, then says `created_message`
    created_message: str = "created"
    follow: str | None = None  # ticket the citizen chose to follow instead of a new report
    add: Addition | None = None  # the worker adds it to its report and confirms with the ticket
    comment: Comment | None = None  # a follow-up about a report the citizen follows, for its unit
    rate: Rating | None = None  # the citizen's 1–5 for a finished report
    stop_contact: bool = False
    restart_contact: bool = False


@dataclass(frozen=True)
class Context:
    config: Config
    normalizer: Normalizer
    channel_buttons: bool  # the channel can show buttons and ask for a location
    find_duplicate: Callable[[str, float, float, str], tuple[str, str] | None]  # → (ticket, status label)
    report_status: Callable[[str, str], StatusInfo | None]  # (ticket, language) → status
    now: datetime  # when the turn arrived (UTC): the engine reads no clock
    is_following: Callable[[str], bool] = lambda ticket: False  # does this citizen follow the ticket?


def handle(state: State, turn: Turn, context: Context) -> Outcome:
    text = (turn.text or "").strip()
    state.reminded = False
    _end_emergency_if_over(state, context)
    if len(text.split()) >= 3:
        state.language = detect_language(text)
    if turn.choice is not None:
        return _chosen(state, turn.choice, context)
    command = _command(text)
    if command:
        return command(state, text, context)
    taking_a_report = state.draft is not None or state.emergency is not None  # "3" may answer it, or be a detail
    rating = _rating(text, state, context) if state.rating_ticket and not taking_a_report else None
    if rating is not None:
        state.rating_ticket = None
        return Outcome(state, rate=rating)
    about = _followed_ticket(turn, text, context) if not taking_a_report else None
    words_only = bool(text) and not turn.photos and turn.latitude is None  # a photo or a pin is never small talk
    if words_only and _asks_status(text, context):
        outcome = _status_of(ticket_in(text) or turn.about_ticket or state.last_ticket, state, context)
        outcome.comment = Comment(about, text) if about else None  # its unit still reads what they wrote
        return outcome
    answer = _social_answer(state, text, context) if words_only else None
    if answer is not None:
        return answer
    if about is not None:
        return Outcome(state, comment=Comment(about, text, turn.photos))
    return TURNS[_stage(state)](state, turn, context, Outcome(state))


def _stage(state: State) -> str:
    """Where the citizen is: nothing under way, a report being taken, or an emergency being followed."""
    if state.emergency is not None:
        return "emergency"
    return "idle" if state.draft is None else "reporting"


def _continue_report(state: State, turn: Turn, context: Context, outcome: Outcome) -> Outcome:
    """A message while a report is taken: what it adds to the draft, then the next question (or the report)."""
    _merge(state, turn, context, outcome)
    if outcome.replies or outcome.create or outcome.follow:
        return outcome
    return _next_question(state, context, outcome)


def ticket_in(text: str) -> str | None:
    """The first ticket number written in a text (any case), as the store spells it."""
    found = TICKET.search(text or "")
    return found.group(1).upper() if found else None


def _rating(text: str, state: State, context: Context) -> Rating | None:
    """'5', '4 cepat sekali', 'nilai 3', '2/5 lambat': a score for the report awaiting one — unless the
    words after the number are a new report ('5 rumah kebanjiran lagi')."""
    found = RATING.match(text)
    if not found:
        return None
    comment = found.group(2).strip(" .,-:")
    if comment and context.normalizer.normalize(comment).is_report and len(comment.split()) > 3:
        return None
    return Rating(state.rating_ticket, int(found.group(1)), comment or None)


def _followed_ticket(turn: Turn, text: str, context: Context) -> str | None:
    """The report a follow-up is about: the ticket its channel vouches for, or one the citizen names
    and follows (with something to say beyond the number)."""
    if turn.about_ticket and (text or turn.photos) and context.is_following(turn.about_ticket):
        return turn.about_ticket
    ticket = ticket_in(text)
    if ticket is None or len(TICKET.sub("", text).split()) < 2:
        return None
    return ticket if context.is_following(ticket) else None


# -- commands -------------------------------------------------------------------------------------


def _command(text: str) -> Callable[[State, str, Context], Outcome] | None:
    lowered = text.lower().strip(" .!")
    for name, words in COMMANDS.items():
        if lowered in words:
            return {"start": _start, "help": _help, "cancel": _cancel, "stop": _stop}[name]
    if lowered.startswith(STATUS_WORDS) and len(lowered) < 60:
        return _status
    return None


def _say(state: State, context: Context, key: str, **values: object) -> Reply:
    return Reply(context.config.message(key, state.language, **values))


def _start(state: State, text: str, context: Context) -> Outcome:
    outcome = Outcome(state, [_say(state, context, "welcome")])
    outcome.restart_contact = text.lower().strip() in ("mulai", "start", "unstop")
    return outcome


def _help(state: State, text: str, context: Context) -> Outcome:
    return Outcome(state, [_say(state, context, "help")])


def _cancel(state: State, text: str, context: Context) -> Outcome:
    if state.emergency is not None:  # the emergency report stays: only the questions about it stop
        return _close_emergency(state, context, Outcome(state))
    state.draft, state.awaiting = None, None
    return Outcome(state, [_say(state, context, "cancelled")])


def _stop(state: State, text: str, context: Context) -> Outcome:
    state.draft, state.awaiting, state.emergency = None, None, None
    return Outcome(state, [_say(state, context, "stopped")], stop_contact=True)


def _status(state: State, text: str, context: Context) -> Outcome:
    return _status_of(ticket_in(text) or state.last_ticket, state, context)


def _status_of(ticket: str | None, state: State, context: Context) -> Outcome:
    """The status of a ticket; without one (no report yet), how to report."""
    if ticket is None:
        return Outcome(state, [_say(state, context, "no_ticket")])
    info = context.report_status(ticket, state.language)
    if info is None:
        return Outcome(state, [_say(state, context, "status_unknown", ticket=ticket)])
    return Outcome(state, [_say(state, context, "status", ticket=info.ticket, status=info.status,
                                colour=info.colour, unit=info.unit, due=info.due)])


# -- messages that are no report: a status asked in words, thanks, greetings, help, small talk -----
# A ticket or one's own report plus a question asks for a status. A message made only of the words below
# (and fillers), with at least one word of an intent, is that intent. Anything else goes on as before, so
# 'pagi min, lampu jalan mati di jl kenari' and 'lampu jalan mati, gimana nih?' are reports.
# The patterns read the message's words, lowercased and joined by single spaces.

MY_REPORT = re.compile(
    r"\b(?:laporan|aduan|pengaduan|keluhan|tiket)(?:ku|nya)?(?: (?:yg|yang|dari|punya))?"
    r" (?:saya|sy|aku|aq|gue|gua|gw|ane|kami|kemarin|kemaren|tadi|sebelumnya)\b"  # laporan (yg) saya, laporan kemarin
    r"|\b(?:laporan|aduan|keluhan|tiket)(?:ku|nya)\b"  # laporanku, laporannya
    r"|\b(?:my|our|previous|earlier|last) (?:\w+ )?(?:report|complaint|ticket|case)s?\b"
    r"|\bstatus\b"
)
REPORTED = re.compile(  # 'udah lapor kemarin, gimana?' asks, but 'sudah lapor ke RT, jalan rusak…' is a report
    r"\b(?:sudah|udah|udh|sdh|pernah|telah) (?:\w+ )?(?:lapor|melapor|ngelapor|laporkan|dilaporkan|mengadu)\b"
    r"|\bi (?:\w+ )?(?:reported|complained|submitted|filed)\b"
)
ASKING = frozenset("""gimana gmn gmana gimna bgmn bagaimana kapan mana sejauh apakah kok status kabar kabarnya progres
    progress perkembangan perkembangannya update updates news how when where what whats any has did""".split())
YES_NO_QUESTION = re.compile(r"\b(?:sudah|udah|udh|sdh) \w+ (?:belum|blm)\b")  # 'udah diproses belum'
HOW_TO = frozenset("cara caranya how bantu bantuin help".split())  # with a word of TO_REPORT: 'cara lapor gimana'
TO_REPORT = frozenset("""lapor melapor lapornya laporan ngelapor laporkan mengadu ngadu pakai pake menggunakan gunakan
    report complain complaint use work works""".split())
HOW_TO_OTHERS = frozenset("""layanan service bot aplikasi app masalah problem sesuatu something mau ingin want bisa to
    should file make buat bikin cek check lihat see""".split())  # nothing else: 'cara lapor jalan rusak?' is a report
SOCIAL = {  # intent → its words; the first intent a message has a word of wins ('ok makasih' is thanks)
    "thanks": frozenset("""makasih makasi mksh mksih mks maksih trims trimakasih terimakasih terima kasih tq tks thx
        thanks thank ty tengkyu nuhun hatur suwun matur nuwun""".split()),
    "help": frozenset("bantuan bantu help menu panduan petunjuk guide cara caranya".split()),
    "greeting": frozenset("""halo hallo helo hello hai hay hi hii hey pagi siang sore malam selamat met assalamualaikum
        asalamualaikum assalamu alaikum salam waalaikumsalam permisi punten morning afternoon evening""".split()),
    "small_talk": frozenset("""ok oke okay okey okeh sip siip siap mantap mantab mantul keren nice cool great noted bot
        robot manusia orang human person beneran asli real siapa who apa what ngapain kabar kabarnya test tes testing
        ping p""".split()),
}
FILLER = frozenset("""admin min mimin pak bu bapak ibu kak kakak bang mas mbak mba om gan bro sis ya yaa yah iya dong
    deh nih sih kok lah kah ah oh wah juga ini itu lagi sedang kamu anda km lu lo kau sama atas banyak sekali bgt banget
    semua aja saja wr wb dulu bantuannya infonya responnya minta butuh perlu saya aku gimana bagaimana
    are you u is this it a an the so much very lot all good sir team there for your need please me i how can do
    does""".split())
LAUGHTER = re.compile(r"(?:wk)+w?|(?:ha)+h?|(?:he)+h?|(?:hi){2,}|(?:xi)+|lol|hm+")


def _words(text: str) -> list[str]:
    """The words of a message, lowercased, without tickets, apostrophes and punctuation."""
    return re.findall(r"[a-z]+", TICKET.sub(" ", text.lower()).replace("'", "").replace("\u2019", ""))


def _asks_status(text: str, context: Context) -> bool:
    """'gimana laporan saya?', 'any update on my report?', 'JKT-2611-00042 sudah sampai mana?': a ticket or the
    citizen's own report, and a question (a ticket alone asks too)."""
    words, ticket = _words(text), ticket_in(text)
    if ticket and not words:
        return True
    joined = " ".join(words)
    if "?" not in text and ASKING.isdisjoint(words) and not YES_NO_QUESTION.search(joined):
        return False
    return (ticket is not None or MY_REPORT.search(joined) is not None
            or (REPORTED.search(joined) is not None and not _names_a_problem(text, context)))


def _social_answer(state: State, text: str, context: Context) -> Outcome | None:
    """Thanks, help, a greeting or small talk, answered without touching a draft; None for anything else.
    While a report is taking shape only thanks and help are taken (anything else may answer its question)."""
    words = _words(text)
    if _asks_how_to_report(words):
        return _help(state, text, context)
    intent = _social_intent(words)
    if intent == "thanks" and state.emergency is None:
        if state.draft is None:
            return Outcome(state, [_say(state, context, "thanks_reply")])
        if state.awaiting in ("duplicate", "confirm") and not (YES | NO).isdisjoint(words):
            return None  # 'ok makasih' answers the yes/no question
        return Outcome(state, [_say(state, context, "thanks_reply_draft")])
    if intent == "help":
        return _help(state, text, context)
    if intent in ("greeting", "small_talk") and state.draft is None and state.emergency is None:
        return Outcome(state, [_say(state, context, "welcome" if intent == "greeting" else "small_talk")])
    return None


def _asks_how_to_report(words: list[str]) -> bool:
    """'cara lapor gimana', 'halo min, mau lapor caranya?', 'how do I report this?': how to, and nothing more."""
    known = HOW_TO | TO_REPORT | HOW_TO_OTHERS | FILLER
    return (not HOW_TO.isdisjoint(words) and not TO_REPORT.isdisjoint(words)
            and all(w in known or _social(w) for w in words))


def _social_intent(words: list[str]) -> str | None:
    """The intent of a message made only of social words and fillers ('makasih ya min'); None for any other."""
    meaningful = [w for w in words if w not in FILLER]
    if not meaningful or not all(_social(w) for w in meaningful):
        return None
    return next((intent for intent, listed in SOCIAL.items() if not listed.isdisjoint(meaningful)), "small_talk")


def _social(word: str) -> bool:
    return LAUGHTER.fullmatch(word) is not None or any(word in listed for listed in SOCIAL.values())


def _names_a_problem(text: str, context: Context) -> bool:
    """A problem the normalizer is sure of ('sudah lapor ke RT, jalan rusak…' is a report, not a question)."""
    result = context.normalizer.normalize(text)
    return result.is_report and result.category not in (None, "lainnya") and _sure(result, context)


# -- a report taking shape ------------------------------------------------------------------------


def _first_message(state: State, turn: Turn, context: Context, outcome: Outcome) -> Outcome:
    text = (turn.text or "").strip()
    result = context.normalizer.normalize(text, turn.latitude, turn.longitude, has_photo=bool(turn.photos))
    if text and not result.is_report and turn.latitude is None and not turn.photos:
        outcome.replies.append(_say(state, context, "not_a_report" if len(text.split()) > 2 else "welcome"))
        return outcome
    location = result.location
    if location.in_jakarta is False:
        outcome.replies.append(_say(state, context, "out_of_area", place=location.outside_place or "?"))
        return outcome
    draft = Draft(texts=[text] if text else [], photos=list(turn.photos), urgency=result.urgency, type=result.type)
    _take_category(draft, result, context)
    _take_location(draft, location, state.language)
    draft.confidential = _confidentiality(text)
    state.draft = draft
    if draft.urgency == "darurat":  # no questions first: create now, then ask for what is missing
        draft.category = draft.category or "lainnya"
        draft.confidential = True if draft.confidential is None else draft.confidential
        outcome.create, outcome.created_message = draft, "emergency"
        state.draft = None
        state.emergency = Emergency(draft.category, since=context.now.isoformat())
        state.awaiting = "emergency_details" if draft.located else "emergency_location"
        return _ask_emergency(state, context, outcome)
    return _next_question(state, context, outcome)


def _chosen(state: State, choice: str, context: Context) -> Outcome:
    """A pressed button: a category sets the draft's category; anything else (an old keyboard, data
    no button of ours carries) just asks the pending question again."""
    outcome = Outcome(state)
    if state.emergency is not None:
        return _ask_emergency(state, context, outcome)
    if state.draft is None:
        outcome.replies.append(_say(state, context, "welcome"))
        return outcome
    if context.config.category(choice) is not None:
        state.draft.category, state.draft.category_sure = choice, True
    return _next_question(state, context, outcome)


def _merge(state: State, turn: Turn, context: Context, outcome: Outcome) -> None:
    """Fold a follow-up into the draft: it may answer the pending question, or anything else."""
    draft = state.draft
    text = (turn.text or "").strip()
    words = set(re.findall(r"\w+", text.lower()))
    draft.photos.extend(turn.photos)
    answered = False
    if state.awaiting in ("duplicate", "confirm") and words and len(words) <= 4:
        if words & YES:
            answered = True
            if state.awaiting == "duplicate":
                outcome.follow = draft.duplicate_ticket
            else:
                outcome.create = draft
            state.draft, state.awaiting = None, None
            return
        if words & NO:
            answered = True
            if state.awaiting == "duplicate":
                draft.duplicate_ticket = None
            else:
                state.draft, state.awaiting = None, None
                outcome.replies.append(_say(state, context, "cancelled"))
                return
    choice = _confidentiality(text)
    if choice is not None:
        draft.confidential, answered = choice, True
    if state.awaiting == "category" and text:
        chosen = _category_answer(text, context)
        if chosen:
            draft.category, draft.category_sure, answered = chosen, True, True
    if turn.latitude is not None and turn.longitude is not None:
        result = context.normalizer.normalize("", turn.latitude, turn.longitude)
        if result.location.in_jakarta is False:
            state.draft, state.awaiting = None, None
            outcome.replies.append(_say(state, context, "out_of_area", place=_place_of_point(result.location)))
            return
        _take_location(draft, result.location, state.language)
        answered = True
    elif text and not answered:
        location = context.normalizer.locate_text(text)
        if location.in_jakarta is False:
            state.draft, state.awaiting = None, None
            outcome.replies.append(_say(state, context, "out_of_area", place=location.outside_place or "?"))
            return
        if location.in_jakarta and not draft.located:
            _take_location(draft, location, state.language)
            answered = state.awaiting == "location" or answered
        if not answered or len(text.split()) > 3:
            draft.texts.append(text)
            if not draft.category_sure:
                _take_category(draft, context.normalizer.normalize(draft.description), context)


def _take_category(draft: Draft, result, context: Context) -> None:
    """A specific category the normalizer found ('lainnya' is no answer), and whether it is sure."""
    if result.category and result.category != "lainnya":
        draft.category, draft.category_sure = result.category, _sure(result, context)
    draft.likely_categories = list(result.likely_categories) or draft.likely_categories


def _sure(result, context: Context) -> bool:
    return result.category_confidence >= context.config.normalizer.category_confidence_threshold


def _confidentiality(text: str) -> bool | None:
    words = set(re.findall(r"\w+", text.lower()))
    if words & CONFIDENTIAL:
        return True
    if words & PUBLIC:
        return False
    return None


def _take_location(draft: Draft, location, language: str) -> None:
    if location.in_jakarta is not True:
        return
    precise = location.precision in PRECISE
    if not precise and draft.located:
        return
    has_point = location.precision in POINT_PRECISIONS
    draft.latitude, draft.longitude = (location.lat, location.lon) if has_point else (None, None)
    draft.place = _place_text(location) or draft.place
    draft.located = precise


def _place_text(location) -> str | None:
    """How a place in Jakarta reads back: the street or landmark, then the kelurahan (or kecamatan)."""
    parts = [location.address, f"Kel. {location.kelurahan}" if location.kelurahan else None,
             f"Kec. {location.kecamatan}" if location.kecamatan and not location.kelurahan else None]
    return ", ".join(p for p in parts if p) or None


def _place_of_point(location) -> str:
    return location.outside_place or f"{location.lat:.4f}, {location.lon:.4f}"


def numbered_categories(config: Config) -> list:
    """The short numbered list an SMS can carry: the most reported categories, then 'other'."""
    categories = config.categories
    return categories[:TEXT_CHOICES] + [c for c in categories if c.code == "lainnya"]


def _likely_first(categories: list, likely: list[str]) -> list:
    """The categories the normalizer found likeliest first, so an unsure guess costs one tap."""
    rank = {code: i for i, code in enumerate(likely)}
    return sorted(categories, key=lambda c: rank.get(c.code, len(rank)))


def _category_answer(text: str, context: Context) -> str | None:
    lowered = text.strip().lower()
    numbered = numbered_categories(context.config)
    if lowered.isdigit() and 1 <= int(lowered) <= len(numbered):
        return numbered[int(lowered) - 1].code
    for category in context.config.categories:
        if lowered in (category.code, category.name.id.lower(), category.name.en.lower()):
            return category.code
    result = context.normalizer.normalize(text)
    return result.category if _sure(result, context) else None


def _next_question(state: State, context: Context, outcome: Outcome) -> Outcome:
    draft, language = state.draft, state.language
    if not draft.located:
        state.awaiting = "location"
        outcome.replies.append(_ask_location(state, context, "ask_location_share", "ask_location"))
        return outcome
    if not draft.category or not draft.category_sure:
        state.awaiting = "category"
        categories = _likely_first(context.config.categories, draft.likely_categories)
        if context.channel_buttons:
            choices = [(c.name.get(language), c.code) for c in categories]
            rows = tuple(tuple(choices[i : i + 2]) for i in range(0, len(choices), 2))
            outcome.replies.append(Reply(context.config.message("ask_category", language, choices="").strip(), choices=rows))
        else:
            choices = ", ".join(f"{i}={_short(c.name.get(language))}" for i, c in enumerate(numbered_categories(context.config), 1))
            outcome.replies.append(_say(state, context, "ask_category", choices=choices))
        return outcome
    if draft.confidential is None:
        state.awaiting = "confidential"
        reply = _say(state, context, "ask_confidential")
        if context.channel_buttons:
            reply = Reply(reply.text, (("RAHASIA", "PUBLIK") if language == "id" else ("CONFIDENTIAL", "PUBLIC"),))
        outcome.replies.append(reply)
        return outcome
    if not draft.duplicates_checked and draft.latitude is not None:
        draft.duplicates_checked = True
        found = context.find_duplicate(draft.category, draft.latitude, draft.longitude, draft.description)
        if found:
            draft.duplicate_ticket = found[0]
            state.awaiting = "duplicate"
            outcome.replies.append(_yes_no(state, context, "offer_duplicate", ticket=found[0], status=found[1]))
            return outcome
    state.awaiting = "confirm"
    category = context.config.category(draft.category)
    outcome.replies.append(_yes_no(
        state, context, "confirm", category=category.name.get(language) if category else draft.category,
        place=draft.place or "?", confidential=context.config.message(
            "confidential_yes" if draft.confidential else "confidential_no", language),
    ))
    return outcome


def _ask_location(state: State, context: Context, share_key: str, words_key: str) -> Reply:
    """With a share-location button where the channel has one, else in words."""
    if context.channel_buttons:
        button = context.config.message("location_button", state.language)
        return Reply(context.config.message(share_key, state.language), ((button,),), True)
    return _say(state, context, words_key)


def _short(name: str) -> str:
    return name.split(" dan ")[0].split(" / ")[0].split(" (")[0]


def _yes_no(state: State, context: Context, key: str, **values: object) -> Reply:
    reply = _say(state, context, key, **values)
    if context.channel_buttons:
        return Reply(reply.text, (("YA", "TIDAK") if state.language == "id" else ("YES", "NO"),))
    return reply


# -- an emergency's details, after its report was created ----------------------------------------


def _end_emergency_if_over(state: State, context: Context) -> None:
    """Details go to an emergency report while the citizen keeps writing and the report is open."""
    emergency = state.emergency
    if emergency is None:
        return
    quiet = context.now - datetime.fromisoformat(emergency.since)
    over = quiet > timedelta(minutes=context.config.conversation.expire_after_minutes)
    if over or emergency.ticket is None or _closed(emergency.ticket, state, context):
        state.emergency, state.awaiting = None, None


def _closed(ticket: str, state: State, context: Context) -> bool:
    info = context.report_status(ticket, state.language)
    return info is None or info.closed


def _follow_emergency(state: State, turn: Turn, context: Context, outcome: Outcome) -> Outcome:
    """A message after an emergency report: its place, photos or words, unless it ends the questions."""
    emergency, text = state.emergency, (turn.text or "").strip()
    if text.lower().strip(" .!") in DONE:
        return _close_emergency(state, context, outcome)
    result = context.normalizer.normalize(text) if text else None
    if result is not None and _another_problem(result, emergency, context):
        state.emergency, state.awaiting = None, None
        return _first_message(state, turn, context, outcome)
    emergency.since = context.now.isoformat()
    location = _emergency_location(state, turn, context)
    if location is not None and location.in_jakarta is False:
        place = _place_of_point(location) if turn.latitude is not None else location.outside_place or "?"
        outcome.replies.append(_say(state, context, "out_of_area", place=place))
        return outcome
    located = location is not None and location.in_jakarta is True and location.precision in PRECISE
    detail = text if _is_detail(text, result, located) else ""
    if not (located or detail or turn.photos):
        return _ask_emergency(state, context, outcome)  # nothing to add ("ok", a sticker): the question again
    outcome.add = Addition(emergency.ticket, detail, location if located else None,
                           _place_text(location) if located else None, tuple(turn.photos))
    if located:
        state.awaiting = "emergency_details"  # the worker's confirmation asks for photos and details
    elif state.awaiting == "emergency_location":
        _ask_emergency(state, context, outcome)
    return outcome


def _is_detail(text: str, result, located: bool) -> bool:
    """Words worth adding: more than the place they gave (as a draft keeps them), and no bare 'ok'."""
    words = len(text.split())
    if located:
        return words > 3
    return words >= 3 or (result is not None and result.is_report)


def _emergency_location(state: State, turn: Turn, context: Context) -> LocationResult | None:
    """A shared pin always; written words only while the place is what the bot asked for."""
    if turn.latitude is not None and turn.longitude is not None:
        return context.normalizer.normalize("", turn.latitude, turn.longitude).location
    if turn.text and state.awaiting == "emergency_location":
        return context.normalizer.locate_text(turn.text)
    return None


def _another_problem(result, emergency: Emergency, context: Context) -> bool:
    """A clear report of something else (not urgent, sure of a category other than the emergency's) starts
    a report of its own; anything urgent is taken as more about the emergency."""
    return (result.is_report and result.urgency != "darurat" and _sure(result, context)
            and result.category not in (None, "lainnya", emergency.category))


def _ask_emergency(state: State, context: Context, outcome: Outcome) -> Outcome:
    if state.awaiting == "emergency_location":
        outcome.replies.append(_ask_location(state, context, "emergency_ask_location_share", "emergency_ask_location"))
    else:
        outcome.replies.append(_say(state, context, "emergency_ask_details"))
    return outcome


def _close_emergency(state: State, context: Context, outcome: Outcome) -> Outcome:
    ticket = state.emergency.ticket if state.emergency else state.last_ticket
    state.emergency, state.awaiting = None, None
    outcome.replies.append(_say(state, context, "emergency_closed", ticket=ticket))
    return outcome


# What a message means at each stage, once commands, ratings, status questions and small talk are ruled out.
TURNS: dict[str, Callable[[State, Turn, Context, Outcome], Outcome]] = {
    "idle": _first_message,
    "reporting": _continue_report,
    "emergency": _follow_emergency,
}
