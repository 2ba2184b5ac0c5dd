from __future__ import annotations

from cache_manager.batching import slot_of
from cache_manager.stampede import POLL_SECONDS, lock_key, wait_for_value


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_lock_shares_the_entrys_slot() -> None:
    key = "technovastore:v1:product:{p:1}"
    assert slot_of(lock_key(key)) == slot_of(key)


def test_waiting_returns_the_value_once_it_arrives() -> None:
    clock = Clock()
    arrives_at = 0.2
    value = wait_for_value(
        lambda: "loaded" if clock.now >= arrives_at else None,
        lambda: True,
        1.0,
        clock=clock,
        sleep=clock.sleep,
    )
    assert value == "loaded"
    assert arrives_at <= clock.now < arrives_at + 2 * POLL_SECONDS


def test_waiting_stops_when_the_lock_goes_away() -> None:
    clock = Clock()
    assert wait_for_value(lambda: None, lambda: clock.now < 0.1, 3.0, clock=clock, sleep=clock.sleep) is None
    assert clock.now < 0.2


def test_waiting_gives_up_after_the_lock_lifetime() -> None:
    clock = Clock()
    assert wait_for_value(lambda: None, lambda: True, 0.5, clock=clock, sleep=clock.sleep) is None
    assert 0.5 <= clock.now < 0.5 + 2 * POLL_SECONDS


def test_waiting_ends_at_the_lock_lifetime_not_a_poll_later() -> None:
    """Whole milliseconds on the clock, so the lifetime's end is a moment the clock shows."""
    now = [0.0]
    peeks: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] = round(now[0] + seconds, 6)

    def peek() -> None:
        peeks.append(now[0])

    assert wait_for_value(peek, lambda: True, 0.5, clock=lambda: now[0], sleep=sleep) is None
    assert len(peeks) == round(0.5 / POLL_SECONDS)
    assert peeks[-1] == 0.5
