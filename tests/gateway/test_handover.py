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
