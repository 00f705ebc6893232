"""gateway/sending.py: send outcomes known together are written together (OutcomeRecorder), each sending thread
returns only once its own is written, and a failed shared write costs no other outcome its record; a send the
provider never answered is left to be asked about, not sent again blindly."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from bots.base import Outgoing, UnansweredError
from gateway.sending import OutboxSender, OutcomeNotRecorded, OutcomeRecorder
from store.outbox import SendResult


def record_from_threads(recorder: OutcomeRecorder, count: int) -> dict[int, BaseException | None]:
    outcomes: dict[int, BaseException | None] = {}
    start = threading.Barrier(count)

    def send(number: int) -> None:
        start.wait()
        try:
            recorder.record(SendResult(number, f"SM{number}"))
            outcomes[number] = None
        except Exception as error:
            outcomes[number] = error

    threads = [threading.Thread(target=send, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return outcomes


def test_outcomes_that_come_together_share_a_transaction_and_each_thread_waits_for_its_own():
    written: list[list[int]] = []
    seen_by_writer: set[int] = set()

    def write(results):
        time.sleep(0.02)  # a slow commit: the other threads' outcomes queue up meanwhile
        written.append([r.message_id for r in results])
        seen_by_writer.update(r.message_id for r in results)

    recorder = OutcomeRecorder(write)
    returned_before_written = []
    original = recorder.record

    def checked(result):
        original(result)
        if result.message_id not in seen_by_writer:
            returned_before_written.append(result.message_id)

    recorder.record = checked
    outcomes = record_from_threads(recorder, 8)
    assert outcomes == dict.fromkeys(range(8))
    assert sorted(n for batch in written for n in batch) == list(range(8)), "each outcome written once"
    assert len(written) < 8 and returned_before_written == []


def test_a_failed_shared_write_is_written_again_outcome_by_outcome_and_only_the_bad_one_fails():
    written: list[int] = []
    attempts: list[list[int]] = []

    def write(results):
        ids = [r.message_id for r in results]
        attempts.append(ids)
        time.sleep(0.01)
        if 3 in ids:  # one outcome its row refuses (or a passing failure): the whole transaction rolls back
            raise ConnectionError("the database went away")
        written.extend(ids)

    outcomes = record_from_threads(OutcomeRecorder(write), 6)
    assert {n for n, error in outcomes.items() if error is not None} == {3}
    assert isinstance(outcomes[3], OutcomeNotRecorded) and isinstance(outcomes[3].__cause__, ConnectionError)
    assert sorted(written) == [0, 1, 2, 4, 5], "every other outcome recorded once"
    assert any(len(ids) > 1 and 3 in ids for ids in attempts) or attempts.count([3]) == 1


def test_a_lone_outcome_is_written_at_once():
    written = []
    OutcomeRecorder(written.append).record(SendResult(7, "SM7"))
    assert [[r.message_id for r in batch] for batch in written] == [[7]]


@pytest.mark.parametrize("count", [1, 3])
def test_nothing_is_left_waiting(count):
    written = []
    recorder = OutcomeRecorder(lambda results: written.extend(results))
    record_from_threads(recorder, count)
    assert len(written) == count and recorder._waiting == []


class Unanswered:
    channel = "sms"

    def send(self, outgoing: Outgoing) -> str:
        raise UnansweredError("twilio did not answer: urllib3.ReadTimeoutError")


def test_a_send_the_provider_never_answered_is_left_to_be_asked_about(config):
    sender = OutboxSender(SimpleNamespace(config=config, db=None), {"sms": Unanswered()})
    message = type("Row", (), {"id": 9, "channel": "sms", "recipient": "+6281234567890", "body": "halo", "extras": {},
                               "reply_context": None, "reclaimed": False, "created_at": None})()
    result = sender._send(message)
    assert result.unsure and result.retry and "did not answer" in result.error
