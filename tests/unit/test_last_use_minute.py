"""A key's recorded last use against a moment (credentials_rotator.aws.last_use.may_follow): IAM
records last uses to the minute, so a date on a whole minute stands for any moment of it; the
moments it is held to (a handoff, a switch) are times to the second."""

from __future__ import annotations

import datetime

import pytest
from credentials_rotator.aws.last_use import may_follow


def at(minute: int, second: int = 0, microsecond: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 3, 2, 10, minute, second, microsecond, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("last_used", "counts"),
    [
        # IAM's date of a use in the minute of the handoff: it may have come after it.
        pytest.param(at(5), True, id="handoff-minute"),
        # The minute before the handoff's: every moment of it came before.
        pytest.param(at(4), False, id="minute-before"),
        pytest.param(at(6), True, id="minute-after"),
        # A date to the second (moto's, or a finer one): in the handoff's second, it may have
        # come first; from the next second on, it came after.
        pytest.param(at(5, 30, 500_000), False, id="same-second"),
        pytest.param(at(5, 31), True, id="next-second"),
        pytest.param(at(5, 29), False, id="second-before"),
    ],
)
def test_a_recorded_use_counts_when_it_may_have_come_after_the_moment(
    last_used: datetime.datetime, counts: bool
) -> None:
    assert may_follow(last_used, at(5, 30)) is counts


def test_a_handoff_on_a_whole_minute_counts_a_use_recorded_in_that_minute() -> None:
    handoff = at(5)
    assert may_follow(handoff, handoff)
    assert not may_follow(handoff - datetime.timedelta(minutes=1), handoff)
