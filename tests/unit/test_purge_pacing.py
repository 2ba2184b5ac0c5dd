"""The run's pace: one backoff for every request, Retry-After honoured, never past the deadline."""

from __future__ import annotations

import email.utils
import time

import pytest

from purge.pacing import OutOfTime, Pacer, RetryPolicy, retry_after_seconds
from tests.support.fake_clock import FakeClock


def pacer(clock: FakeClock, deadline: float | None = None) -> Pacer:
    return Pacer(RetryPolicy(), deadline=deadline, clock=clock, sleep=clock.sleep)


def test_failures_in_a_row_lengthen_the_wait_and_a_success_resets_it() -> None:
    clock = FakeClock()
    pace = pacer(clock)
    for _ in range(3):
        pace.before_request()
        pace.failed(None)
    pace.before_request()
    pace.succeeded()
    pace.before_request()
    pace.failed(None)
    pace.before_request()
    assert clock.sleeps == [1.0, 2.0, 4.0, 1.0]


def test_retry_after_replaces_the_backoff_for_the_next_request() -> None:
    clock = FakeClock()
    pace = pacer(clock)
    pace.before_request()
    pace.failed(7.0)
    pace.before_request()
    assert clock.sleeps == [7.0]


def test_a_wait_past_the_deadline_stops_before_sleeping() -> None:
    clock = FakeClock()
    pace = pacer(clock, deadline=100)
    pace.before_request()
    pace.failed(60.0)
    pace.before_request()  # at 60 s
    pace.failed(60.0)
    with pytest.raises(OutOfTime, match=r"Retry-After of 60 s goes past the --deadline \(40 s left\)"):
        pace.before_request()
    assert clock.sleeps == [60.0]


def test_a_spent_deadline_stops_the_next_request() -> None:
    clock = FakeClock()
    pace = pacer(clock, deadline=5)
    pace.before_request()
    clock.now += 6  # a slow answer
    with pytest.raises(OutOfTime, match="the --deadline of 5 s ran out"):
        pace.before_request()


def test_retry_after_seconds_or_http_date() -> None:
    assert retry_after_seconds({"retry-after": "12"}) == 12.0
    assert retry_after_seconds({"retry-after": "-3"}) == 0.0
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"retry-after": "soon"}) is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (retry_after_seconds({"retry-after": later}) or 0) <= 31
