"""The engine's one clock: every entry point asks it what time it is (UTC)."""

from __future__ import annotations

import datetime


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
