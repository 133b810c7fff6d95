"""Fixtures of the workflow tests.

moto without Docker only echoes a Lambda invoke, so ``harness`` patches
``LambdaSimpleBackend.invoke`` to run the real handlers in-process (``harness.py`` has the details),
and checks after every test that no secret access key leaked into a history or a log.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import asl_render
import boto3
import pytest
from credentials_rotator import log
from credentials_rotator.clients import (
    iam_client,
    secretsmanager_client,
    sfn_client,
    ssm_client,
)
from harness import MOTO_CONFIG, REGION, CallLog, Harness, SecretWatch, function_names
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl


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
    watch = SecretWatch()
    names = function_names()
    own = frozenset(v for k, v in names.items() if k != "credentials_handler")
    calls = CallLog(prefix=os.environ["SECRET_NAME_PREFIX"], own_functions=own)
    log.configure()
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
        # moto resets boto3's default session when the mock starts: hook the new one, which
        # creates the engine's clients and the ones Step Functions uses for its tasks.
        boto3.setup_default_session(region_name=REGION)
        events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
        events.register("before-parameter-build", calls.before_parameter_build)
        events.register("before-call", calls.before_call)
        events.register("after-call.iam.CreateAccessKey", watch.add_created_key)
        # Create the clients before the Map's threads do: a session is not thread-safe then.
        for factory in (iam_client, secretsmanager_client, ssm_client, sfn_client):
            factory()
        for service in ("lambda", "secretsmanager"):
            boto3.client(service)
        world = Harness(watch, calls, engine_env)

        def invoke(
            backend: LambdaSimpleBackend,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> bytes:
            name = backend.get_function(function_name, qualifier).function_name
            return world.invoke(name, body, response_headers)

        engine_env.setattr(LambdaSimpleBackend, "invoke", invoke)
        yield world
        captured = capsys.readouterr()
        logged = "\n".join(
            log.JsonFormatter().format(record) + repr(record.__dict__) for record in caplog.records
        )
        world.assert_no_secret_leaked(captured.out + captured.err + logged)
