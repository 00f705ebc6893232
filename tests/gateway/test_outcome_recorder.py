"""Send outcomes known together are written together (gateway/sending.py's OutcomeRecorder): each sending thread
returns only once its own outcome is written, and a write that fails is raised in every thread whose outcome it held."""

from __future__ import annotations

import threading
import time

import pytest

from gateway.sending import OutcomeRecorder
from store.outbox import SendResult

NEVER_LOGGED = ()


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


def test_a_failed_write_is_raised_in_every_thread_whose_outcome_it_held():
    gate = threading.Event()
    batches: list[list[int]] = []

    def write(results):
        ids = [r.message_id for r in results]
        batches.append(ids)
        gate.wait(1)  # the others queue behind this write
        if len(batches) == 2:
            raise ConnectionError("the database went away")

    recorder = OutcomeRecorder(write)
    first = threading.Thread(target=recorder.record, args=(SendResult(100, "SM100"),))
    first.start()
    time.sleep(0.05)
    threading.Timer(0.2, gate.set).start()
    outcomes = record_from_threads(recorder, 5)
    first.join(5)
    failed = {n for n, error in outcomes.items() if error is not None}
    assert batches[0] == [100] and failed == set(batches[1]) and failed
    assert all(isinstance(outcomes[n], ConnectionError) for n in failed)
    assert {n for batch in batches[2:] for n in batch} == set(range(5)) - failed


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
