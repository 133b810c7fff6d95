"""A Step Functions ``Wait`` state ends when the world clock passes its end.

AWS ends a Wait state when its time has passed on AWS's clock. moto waits the state's seconds
in real time on the execution's state event, so a test that moves the world clock
(testkit/world_clock.py) past the end would still wait them. The patch ends the state once the
world clock has passed its end (in real time as in moto, or at once when a test moves the
clock), or when its execution stops.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)

from testkit.world_clock import WorldClock

CHECKED_AGAINST = ("moto", "5.2.5")
# How often a Wait state looks at the clock.
POLL_SECONDS = 0.005


def patch(monkeypatch: pytest.MonkeyPatch, world: WorldClock) -> None:
    def wait_interval(function: WaitFunction, env: Any, wait_seconds: int) -> None:
        end = world.now() + datetime.timedelta(seconds=wait_seconds)
        while env.is_running() and world.now() < end:
            env.program_state_event.wait(POLL_SECONDS)

    monkeypatch.setattr(WaitFunction, "_wait_interval", wait_interval)
