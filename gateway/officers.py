"""Officers act on their unit's cases from Telegram, where the cases were forwarded to them.

Pressing TERIMA moves a case to `ditangani`, KOORDINASI asks the category's service unit for help
(`koordinasi`), and replying to the case with a photo (or sending one captioned with the ticket)
hands in the proof: `verifikasi`, awaiting Biro Pemerintahan. Only officers registered for the
case's unit (`cases.officers` in config.yaml) may act; every move is a status event with the
officer as actor. Anything else said in a unit's own chat or sent from its mailbox is left alone; an officer
writing to the bot privately is treated as any citizen.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bots.base import Incoming
from gateway.conversation import Reply, ticket_in
from gateway.workflow import escalate
from store import lifecycle
from store.reports import Actor, NotFound, get_report, transition_report

CASE_ACTION = re.compile(r"^case:(accept|coordinate):(\S+)$")
LANGUAGE = "id"


def may_be_officer(config, incoming: Incoming) -> bool:
    """Whether `officer_turn` takes this message (an officer's action, or talk in a unit's own chat or mailbox):
    read before any transaction, so such a message is never held to a citizen's rate limit."""
    return _officer_action(config, incoming) is not None


def _officer_action(config, incoming: Incoming) -> tuple[str, str] | tuple[None, None] | None:
    """(action, ticket) of an officer's action; (None, None) for talk in a unit's chat or mailbox; None otherwise."""
    officer = config.officer(incoming.actor_id) if incoming.channel == "telegram" else None
    pressed = CASE_ACTION.match(incoming.choice or "")
    proof_ticket = (ticket_in(incoming.text) or ticket_in(incoming.quoted_text)) if incoming.media else None
    if pressed:
        return pressed.groups()
    if officer is not None and proof_ticket:
        return "proof", proof_ticket
    if incoming.channel in ("telegram", "email") and config.is_unit_address(incoming.channel, incoming.sender):
        return None, None
    return None


def officer_turn(config, session: Session, incoming: Incoming, store_photos) -> list[Reply] | None:
    """The replies to an officer's action on a case; None when the message is no such action. `store_photos()`
    stores the message's photos (already downloaded) and says their ids and why any was refused."""
    found = _officer_action(config, incoming)
    if found is None:
        return None
    action, ticket = found
    if action is None:
        return []  # officers talking among themselves in a unit's chat, or answering a case mail: not for the bot
    officer = config.officer(incoming.actor_id) if incoming.channel == "telegram" else None
    try:
        report = get_report(session, ticket)
    except NotFound:
        return [_say(config, "status_unknown", ticket=ticket)]
    unit = report.assigned_unit
    if officer is None or unit is None or officer.unit != unit.code:
        return [_say(config, "officer_not_allowed", unit=unit.name if unit else "?", ticket=ticket)]
    actor = Actor("officer", f"telegram:{officer.telegram_user_id}")
    try:
        report = _act(config, session, incoming, action, ticket, actor, officer.name, store_photos)
    except lifecycle.TransitionError as error:
        return [_say(config, "officer_refused", ticket=ticket, reason=str(error))]
    status = config.statuses[report.status].label.get(LANGUAGE)
    return [_say(config, "officer_done", ticket=ticket, status=status, officer=officer.name)]


def _act(config, session: Session, incoming: Incoming, action: str, ticket: str, actor: Actor, name: str,
         store_photos):
    if action == "accept":
        return transition_report(session, ticket, lifecycle.DITANGANI, actor)
    if action == "coordinate":
        return escalate(session, config, ticket, actor, note=f"Koordinasi diminta oleh {name}", note_public=False)
    photos, rejected = store_photos()
    if not photos:
        raise lifecycle.TransitionError("; ".join(rejected) or "the photo could not be stored")
    if get_report(session, ticket).status != lifecycle.DITANGANI:  # the work was done before anyone pressed TERIMA
        transition_report(session, ticket, lifecycle.DITANGANI, actor)
    return transition_report(session, ticket, lifecycle.VERIFIKASI, actor, proof_attachment_id=photos[0],
                             note=incoming.text or None, note_public=False)


def _say(config, key: str, **values) -> Reply:
    return Reply(config.message(key, LANGUAGE, **values))
