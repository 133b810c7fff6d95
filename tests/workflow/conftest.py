"""Fixtures of the workflow tests.

moto without Docker only echoes a Lambda invoke, so ``harness`` patches
``LambdaSimpleBackend.invoke`` to run the real handlers in-process (testkit/harness.py names the
parts, testkit/world/patches/ each change to moto), and checks after every test that no secret
access key leaked into a history or a log, that no state passed Step Functions' limits, and that
IAM would have allowed every call (testkit/authorization.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from testkit import asl_render
from testkit.checks.recorded import captured_text
from testkit.harness import Harness, deployed


@pytest.fixture
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Step Functions retry intervals, recorded instead of slept."""
    sleeps: list[float] = []
    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=sleeps.append))
    return sleeps


@pytest.fixture
def harness(
    engine_env: pytest.MonkeyPatch,
    moto_secret_stages: None,
    retry_sleeps: list[float],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Iterator[Harness]:
    missing = asl_render.terraform_missing_reason()
    if missing:
        pytest.skip(missing)
    with deployed(engine_env) as world:
        yield world
        world.assert_no_secret_leaked(captured_text(capsys, caplog))
        world.assert_payloads_fit()
        if world.authorization is not None:
            world.authorization.assert_all_allowed()
