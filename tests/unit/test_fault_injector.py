"""The fault tier's injector (testkit/injector.py) tells invocations apart: a function that died
stays dead for the rest of its own invocation only. Its hooks are called directly here, as
botocore calls them, on a stand-in of the harness (no AWS is involved)."""

from __future__ import annotations

import gc
from types import SimpleNamespace
from typing import Any

import pytest

from testkit.injector import Fault, Injector
from testkit.runner.invocation import INVOCATION, FunctionDied, Invocation

CREATE = SimpleNamespace(name="CreateAccessKey")


def _call(injector: Injector, invocation: Invocation) -> None:
    """One AWS call of ``invocation``, as botocore emits it: before-call, then after-call."""
    token = INVOCATION.set(invocation)
    try:
        context: dict[str, Any] = {}
        injector._before_call(CREATE, context)
        injector._after_call(CREATE, context)
    finally:
        INVOCATION.reset(token)


def _injector() -> Injector:
    """An injector on a stand-in of the harness: its hook lists, and a clock that stays put."""
    clock = SimpleNamespace(to_next_second=lambda: None)
    harness = SimpleNamespace(hook=lambda *_: None, state_hooks=[], invoke_hooks=[], clock=clock)
    return Injector(harness)  # type: ignore[arg-type]


def test_given_an_invocation_that_died_when_its_retry_runs_then_the_retry_is_not_dead() -> None:
    """A retry of rotate for the same user is a new invocation: the fault strikes it afresh, at
    the same call, after the call went through (before it, it would be the dead one's ghost).
    Many rounds, each freeing the dead invocation first, so that a bookkeeping keyed on ``id()``
    would meet a reused one."""
    injector = _injector()
    fault = Fault("die", function="rotate", call=0, when="after")
    with injector.injecting(fault, []) as record:
        for _ in range(50):
            invocation = Invocation("rotate", "user-00")
            injector._invoked(invocation)
            with pytest.raises(FunctionDied, match="died after CreateAccessKey"):
                _call(injector, invocation)
            del invocation
            gc.collect()

    assert [calls for _, calls in record.invocations] == [["CreateAccessKey"]] * 50


def test_given_an_invocation_that_died_when_it_calls_again_then_that_call_dies_too() -> None:
    injector = _injector()
    fault = Fault("die", function="rotate", call=0, when="after")
    with injector.injecting(fault, []):
        invocation = Invocation("rotate", "user-00")
        injector._invoked(invocation)
        with pytest.raises(FunctionDied, match="died after"):
            _call(injector, invocation)
        with pytest.raises(FunctionDied, match="died earlier"):
            _call(injector, invocation)
