"""The one clock of the test world: moto's timestamps, the engine's clock, the harness's waits and
the test consumer's key use all read it, and moving it is instant.

AWS stamps ``CreateDate``, ``LastUsedDate``, ``LastModified``, a secret's and an execution's dates
on its own clock, and a run's steps are seconds to minutes apart; moto stamps them from the
process's wall clock, microseconds apart, and the engine compares such times to the second
(``strays``, ``in_use``). ``travelling`` replaces the process's wall clock with a time-machine
traveller: ``datetime.now``, ``time.time`` and their kin answer its time in every thread (moto's
Step Functions interpreter runs its executions in threads of its own), so moto and
``credentials_rotator.settings.clock.now`` read one clock. It ticks with real time, so everything
keeps its order, and ``WorldClock`` moves it where AWS would take time: a test never sleeps to cross
a second.

What stays real: ``time.monotonic`` and ``time.sleep`` (a test's own time limits, moto's Lambda
and task timeouts, which wait on ``threading.Event``). Two waits are moved onto the clock:
- the engine's (``clock.sleep``, ``clock.monotonic``: ``engine_waits``) advance a clock of the
  waiting thread only, which moves with its waits and nothing else: one invocation's wait is not
  the others', which run alongside it in AWS, and a time limit counts the same waits however
  busy the machine is;
- a Step Functions ``Wait`` state ends when the world clock passes its end: in real time as in
  moto, or at once when a test moves the clock past it (testkit/world/patches/
  wait_states_on_the_clock.py).
"""

from __future__ import annotations

import contextlib
import datetime
import threading
import time
from collections.abc import Iterator

import pytest
import time_machine
from credentials_rotator.settings import clock

SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)
# How far into the next second ``to_next_second`` lands.
INTO_THE_SECOND = datetime.timedelta(milliseconds=10)


class WorldClock:
    """The traveller every reader of the time in this process follows."""

    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller
        self._lock = threading.Lock()

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    def advance(self, delta: datetime.timedelta) -> None:
        """Move the clock forward by ``delta``, for moto and the engine alike."""
        if delta < datetime.timedelta(0):
            raise ValueError(f"the clock only moves forward, not by {delta}")
        with self._lock:
            self._traveller.shift(delta)

    def to_next_second(self) -> None:
        """Let the next whole second begin: what happens next is later, to the second, than what
        happened before (IAM and S3 give times to the second; on AWS the steps of a run are that
        far apart)."""
        with self._lock:
            now = self.now()
            self._traveller.shift(
                SECOND - datetime.timedelta(microseconds=now.microsecond) + INTO_THE_SECOND
            )

    def to_next_minute(self, into_it: datetime.timedelta) -> None:
        """Let the next whole minute begin, and ``into_it`` of it pass (IAM gives a key's last use
        to the minute: where a step falls in its minute decides what the engine can tell)."""
        with self._lock:
            now = self.now()
            into_this_minute = datetime.timedelta(seconds=now.second, microseconds=now.microsecond)
            self._traveller.shift(MINUTE - into_this_minute + into_it)


@contextlib.contextmanager
def travelling() -> Iterator[WorldClock]:
    """The world clock, starting at the real time, for the duration of the block."""
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=True) as traveller:
        yield WorldClock(traveller)


class _ThreadClock(threading.local):
    """A thread's ``clock.monotonic``: where the real one stood when the thread first read it,
    plus what the thread has waited since."""

    def __init__(self) -> None:
        self.at = time.monotonic()


def engine_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's waits (``clock.sleep``) advance the waiting thread's ``clock.monotonic``
    instead of sleeping."""
    thread_clock = _ThreadClock()

    def sleep(seconds: float) -> None:
        thread_clock.at += seconds

    monkeypatch.setattr(clock, "monotonic", lambda: thread_clock.at)
    monkeypatch.setattr(clock, "sleep", sleep)
