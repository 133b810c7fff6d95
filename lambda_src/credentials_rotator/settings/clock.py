"""The engine's one clock: every entry point asks it what time it is (UTC), and waits through it."""

from __future__ import annotations

import datetime
import time


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def monotonic() -> float:
    """Seconds on a clock that only goes forward, for time limits within one invocation."""
    return time.monotonic()


def sleep(seconds: float) -> None:
    time.sleep(seconds)
