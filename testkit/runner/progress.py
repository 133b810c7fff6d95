"""What a wait for a run waits on: the events and the ends of every execution."""

from __future__ import annotations

import threading

# How long a wait for a run sleeps at most before it asks moto again; an event of any execution
# wakes it sooner.
WAIT_SECONDS = 0.05


class Progress:
    """Counts the events of every execution (testkit/world/patches/state_entries_reported.py) and
    the executions that ended (stop_aborts_at_once.py beside it): a wait sleeps until something it
    waits for happened instead of asking moto all the time, which would take the interpreter from
    the run it waits for."""

    def __init__(self) -> None:
        self._events = 0
        self._ends = 0
        self._changed = threading.Condition()

    def happened(self) -> None:
        with self._changed:
            self._events += 1
            self._changed.notify_all()

    def ended(self) -> None:
        with self._changed:
            self._events += 1
            self._ends += 1
            self._changed.notify_all()

    def mark(self) -> tuple[int, int]:
        """Where the counts stand: (events, ends)."""
        with self._changed:
            return self._events, self._ends

    def wait_after(self, mark: tuple[int, int], *, ends_only: bool = False) -> None:
        """Return once an event (an execution's end, with ``ends_only``) came after ``mark``, or
        after ``WAIT_SECONDS``."""
        counted = 1 if ends_only else 0
        with self._changed:
            self._changed.wait_for(
                lambda: (self._events, self._ends)[counted] != mark[counted], WAIT_SECONDS
            )
