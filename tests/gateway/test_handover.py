"""The webhook's parse handed to the worker of the same process: taken once, and bounded when nobody takes it."""

from bots.base import Incoming
from gateway.handover import ParsedHandover


def parsed(number: int) -> list[Incoming]:
    return [Incoming("sms", f"SM{number}", "+62811", f"pesan {number}")]


def test_a_parse_is_taken_once_and_only_for_its_own_channel_and_id():
    handover = ParsedHandover()
    handover.hand("sms", {"SM1": parsed(1)})
    assert handover.take("telegram", "SM1") is None, "ids are unique per channel only"
    assert handover.take("sms", "SM1") == parsed(1)
    assert handover.take("sms", "SM1") is None, "a retry of the row parses it again"


def test_parses_nobody_takes_give_way_oldest_first():
    """A worker in another process (`serve --no-worker`), or one far behind, leaves them: memory stays bounded."""
    handover = ParsedHandover(capacity=3)
    for number in range(5):
        handover.hand("sms", {f"SM{number}": parsed(number)})
    assert [handover.take("sms", f"SM{number}") is not None for number in range(5)] == [False, False, True, True, True]


def test_a_parse_nobody_takes_goes_after_a_lease_not_only_when_crowded_out():
    """Entries hold what citizens wrote in plain text: one another process's worker made unneeded does not stay."""
    now = [0.0]
    handover = ParsedHandover(max_age=60, clock=lambda: now[0])
    handover.hand("sms", {"SM1": parsed(1), "SM2": parsed(2)})
    now[0] = 61
    assert handover.take("sms", "SM1") is None, "too old to be taken"
    handover.hand("sms", {"SM3": parsed(3)})
    assert len(handover) == 1, "the old one left (SM2) let go at the next hand-over"
    assert handover.take("sms", "SM3") == parsed(3)
