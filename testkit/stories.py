"""Steps the workflow tests share: a user delivered once, and a run with one fault in it."""

from __future__ import annotations

import datetime
from typing import Any

from testkit.harness import Harness
from testkit.injector import Fault, Injector
from testkit.runner.run_result import RunResult

# The run guard refuses for 15 minutes after a stopped run (a function it invoked may still run):
# a run after a stopped one comes later than that.
AFTER_A_STOP = datetime.timedelta(minutes=16)


def delivered_once(harness: Harness, *users: str) -> dict[str, str]:
    """Configure ``users``, rotate them once, and return each one's delivered key id."""
    harness.configure_users(*users)
    assert harness.run().status == "SUCCEEDED"
    return {user: harness.secret_key_id(user) for user in users}


def run_with(harness: Harness, fault: Fault, run_input: Any = None) -> RunResult:
    """One run with ``fault`` injected, once every invocation it started has ended."""
    injector = Injector(harness)
    arn: list[str] = []
    with injector.injecting(fault, arn):
        arn.append(harness.start(run_input))
        result = harness.wait(arn[0])
    harness.wait_until_quiet()
    assert injector.fired, f"{fault} never struck"
    return result
