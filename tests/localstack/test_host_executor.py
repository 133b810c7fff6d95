"""The no-Docker Lambda executor (dev/localstack/executor) inside a running LocalStack.

Run through `dev/localstack/run.sh -- .venv/bin/pytest tests/localstack` (`make test-localstack`),
which starts LocalStack with `LAMBDA_RUNTIME_EXECUTOR=host-python` and sets LOCALSTACK_ENDPOINT.
"""

from __future__ import annotations

import io
import json
import os
import textwrap
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

ENDPOINT = os.environ.get("LOCALSTACK_ENDPOINT", "")
REGION = "us-east-1"

pytestmark = pytest.mark.skipif(
    not ENDPOINT,
    reason="LOCALSTACK_ENDPOINT is not set: run through dev/localstack/run.sh "
    "(make test-localstack)",
)

HANDLER = textwrap.dedent(
    """
    import json
    import logging
    import os
    import time

    import boto3

    LOG = logging.getLogger(__name__)


    class ConsumerRejected(Exception):
        pass


    def answer(event, context):
        print("plain print from the handler")
        LOG.info("structured line", extra={"username": "homer"})
        parameter = boto3.client("ssm").get_parameter(Name=event["parameter"])["Parameter"]
        return {
            "echo": event,
            "greeting": os.environ["GREETING"],
            "parameter": parameter["Value"],
            "account": boto3.client("sts").get_caller_identity()["Account"],
            "request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        }


    def fail(event, context):
        raise ConsumerRejected("the consumer said no")


    def slow(event, context):
        print("going to sleep")
        time.sleep(event["seconds"])
        print("woke up")
        return "done"
    """
)


def _client(service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=60),
    )


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("probe.py", source)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def role_arn() -> str:
    iam = _client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    name = f"probe-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    return str(role["Role"]["Arn"])


@pytest.fixture(scope="module")
def make_function(role_arn: str) -> Iterator[Callable[..., str]]:
    lam = _client("lambda")
    created: list[str] = []

    def make(handler: str, timeout: int = 10, **settings: Any) -> str:
        name = f"probe-{handler}-{uuid.uuid4().hex[:8]}"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.13",
            Role=role_arn,
            Handler=f"probe.{handler}",
            Code={"ZipFile": _zip(HANDLER)},
            Timeout=timeout,
            **settings,
        )
        created.append(name)
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.5, "MaxAttempts": 60}
        )
        return name

    yield make
    for name in created:
        lam.delete_function(FunctionName=name)


def _invoke(name: str, event: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    response = _client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return response, json.loads(response["Payload"].read())


def _log_text(name: str, wanted: str) -> str:
    """All messages of the function's log group, once `wanted` shows up (logs arrive async)."""
    logs = _client("logs")
    group = f"/aws/lambda/{name}"
    text = ""
    for _ in range(50):
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        text = "".join(event["message"] for event in events)
        if wanted in text:
            break
        time.sleep(0.2)
    return text


def test_handler_runs_with_its_environment_and_reaches_localstack(
    make_function: Callable[..., str],
) -> None:
    # GIVEN an Active function with an environment variable, JSON logs at level INFO, and a
    # parameter it reads
    _client("ssm").put_parameter(Name="/probe/value", Value="from-ssm", Type="String")
    name = make_function(
        "answer",
        Environment={"Variables": {"GREETING": "hello"}},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO"},
    )
    state = _client("lambda").get_function(FunctionName=name)["Configuration"]["State"]
    assert state == "Active"

    # WHEN it is invoked
    response, body = _invoke(name, {"parameter": "/probe/value"})

    # THEN it returned its data, its variable, and what it read through LocalStack with the role
    assert "FunctionError" not in response
    assert body["echo"] == {"parameter": "/probe/value"}
    assert body["greeting"] == "hello"
    assert body["parameter"] == "from-ssm"
    assert body["account"] == "000000000000"
    assert body["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert 0 < body["remaining_ms"] <= 10_000
    # AND what it printed and logged (with its extra fields) landed in its CloudWatch log group
    logs = _log_text(name, "structured line")
    assert "plain print from the handler" in logs
    records = [json.loads(line) for line in logs.splitlines() if "structured line" in line]
    assert records == [
        {
            "timestamp": records[0]["timestamp"],
            "level": "INFO",
            "message": "structured line",
            "logger": "probe",
            "requestId": body["request_id"],
            "username": "homer",
        }
    ]

    # AND a second invocation reuses the warm environment and still works
    _, again = _invoke(name, {"parameter": "/probe/value"})
    assert again["parameter"] == "from-ssm"


def test_handler_exception_is_a_function_error(make_function: Callable[..., str]) -> None:
    name = make_function("fail")

    response, body = _invoke(name, {})

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ConsumerRejected"
    assert body["errorMessage"] == "the consumer said no"
    logs = _log_text(name, "ConsumerRejected")
    assert "[ERROR] ConsumerRejected: the consumer said no" in logs
    assert f"START RequestId: {body['requestId']}" in logs


def test_handler_past_its_timeout_is_stopped(make_function: Callable[..., str]) -> None:
    name = make_function("slow", timeout=2)

    started = time.monotonic()
    response, body = _invoke(name, {"seconds": 30})
    elapsed = time.monotonic() - started

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in body["errorMessage"]
    assert elapsed < 10
    logs = _log_text(name, "Task timed out")
    assert "going to sleep" in logs
    assert "woke up" not in logs

    # AND the next invocation gets a fresh environment that answers in time
    response, body = _invoke(name, {"seconds": 0})
    assert "FunctionError" not in response
    assert body == "done"


def test_function_of_another_runtime_fails_with_the_reason(role_arn: str) -> None:
    # The function is left behind: LocalStack answers DeleteFunction of a Failed function with an
    # InternalError. Its name is unique and LocalStack's state ends with the run.
    lam = _client("lambda")
    name = f"probe-node-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": _zip("")},
    )
    state: dict[str, Any] = {}
    for _ in range(50):
        state = lam.get_function(FunctionName=name)["Configuration"]
        if state["State"] != "Pending":
            break
        time.sleep(0.2)
    assert state["State"] == "Failed"
    assert "Python functions only" in state["StateReason"]
