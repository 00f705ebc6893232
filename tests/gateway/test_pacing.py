"""The outbox keeps to a provider's published limits: per recipient and overall."""

import threading
from pathlib import Path

from gateway.config import SendLimit, load_config
from gateway.pacing import Pacer

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_one_chat_gets_one_message_a_second():
    clock = FakeClock()
    pacer = Pacer({"telegram": SendLimit(per_second=30, per_recipient_seconds=1)}, clock, clock.sleep)
    sent_at = []
    for _ in range(3):
        pacer.wait_turn("telegram", "42")
        sent_at.append(clock.now)
    assert sent_at == [0.0, 1.0, 2.0]


def test_a_group_chat_gets_twenty_messages_a_minute():
    clock = FakeClock()
    pacer = Pacer({"telegram": SendLimit(per_second=28, per_recipient_seconds=1, per_group_seconds=3)}, clock, clock.sleep)
    for _ in range(21):
        pacer.wait_turn("telegram", "-1001234567890")
    assert clock.now == 60.0


def test_all_chats_together_stay_within_the_overall_rate():
    clock = FakeClock()
    pacer = Pacer({"telegram": SendLimit(per_second=30, per_recipient_seconds=1)}, clock, clock.sleep)
    for chat in range(61):
        pacer.wait_turn("telegram", str(chat))
    assert abs(clock.now - 2.0) < 1e-9, "61 sends at 30 a second take two seconds after the first"


def test_a_channel_without_a_limit_never_waits():
    clock = FakeClock()
    pacer = Pacer({"telegram": SendLimit(per_second=1)}, clock, clock.sleep)
    assert [pacer.wait_turn("sms", "+62811") for _ in range(5)] == [0.0] * 5


def test_threads_are_handed_distinct_turns():
    """Ten threads at once, the clock standing still: each is handed its own turn, a hundredth of a second apart."""
    waits, lock, start = [], threading.Lock(), threading.Barrier(10)
    pacer = Pacer({"x": SendLimit(per_second=100)}, clock=lambda: 0.0, sleep=lambda seconds: None)

    def send():
        start.wait()
        waited = pacer.wait_turn("x", "someone")
        with lock:
            waits.append(round(waited, 6))

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [round(n / 100, 6) for n in range(10)]


def test_the_configured_limits_keep_within_telegrams_published_ones():
    limit = load_config(ROOT / "config.yaml", environ={}).send_limits["telegram"]  # as shipped (tests run unpaced)
    assert limit.per_second <= 30 and limit.per_recipient_seconds >= 1
