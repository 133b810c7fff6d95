"""The handlers' one clock: every read of the time and every wait goes through it."""

from __future__ import annotations

import datetime
import time


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def monotonic() -> float:
    """Seconds on a clock that only goes forward, for the invocation's time limit."""
    return time.monotonic()


def sleep(seconds: float) -> None:
    time.sleep(seconds)
