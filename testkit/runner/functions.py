"""The rotator's functions, run in this process when the state machine invokes them.

moto without Docker does not run Lambda code; the invoke patch
(testkit/world/patches/lambda_runs_handlers.py) hands each invoke to ``Functions.invoke``, which
runs the real handler of the four rotator functions, or the test consumer for the credentials
handler. A handler's exception becomes a Lambda function error (``X-Amz-Function-Error`` plus
the runtime's ``errorType``/``errorMessage`` payload), so Step Functions' Retry and Catch really
run.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import boto3
from credentials_rotator.aws import clients
from credentials_rotator.handlers import (
    finish,
    plan,
    read_records,
    record_outcomes,
    roll_back,
    rotate,
)

from testkit import asl_render
from testkit.authorization import Authorization
from testkit.aws_latency import Latency
from testkit.consumer.handler import Consumer, HandlerTimedOut
from testkit.runner.invocation import INVOCATION, FunctionDied, Invocation, username_of

# Lambda's own time limit for the functions the harness runs, as their context reports it.
FUNCTION_TIMEOUT_MS = 900_000
# The functions' clients, one per service and process (credentials_rotator.aws.clients); STS's
# assumes the member roles.
ENGINE_CLIENTS = (
    clients.iam_client,
    clients.secretsmanager_client,
    clients.ssm_client,
    clients.sfn_client,
    clients.s3_client,
    clients.sts_client,
)
HANDLERS: dict[str, Callable[[Any, Any], Any]] = {
    "plan": plan.handler,
    "read_records": read_records.handler,
    "rotate": rotate.handler,
    "roll_back": roll_back.handler,
    "record_outcomes": record_outcomes.handler,
    "finish": finish.handler,
}


def function_names() -> dict[str, str]:
    """Entry point (and ``credentials_handler``) -> function name, as the module names them."""
    variables = asl_render.template_variables()
    arns = {
        **variables["function_arns"],
        "credentials_handler": variables["credentials_handler_arn"],
    }
    return {key: str(arn).rsplit(":", 1)[-1] for key, arn in arns.items()}


def function_error(
    response_headers: dict[str, Any],
    error_type: str,
    message: str,
    context: Any,
    exc: BaseException | None = None,
) -> bytes:
    """The Lambda runtime's shape of a function error; Step Functions names the error after it."""
    response_headers["x-amz-function-error"] = "Unhandled"
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": context.aws_request_id,
            "stackTrace": traceback.format_tb(exc.__traceback__) if exc else [],
        }
    ).encode()


class Functions:
    """The harness's part that deploys the functions and runs their invocations."""

    # Given by the harness.
    iam: Any
    awslambda: Any
    consumer: Consumer
    authorization: Authorization | None
    latency: Latency
    task_clients: dict[tuple[str, str], Any]

    def _set_up_functions(self) -> None:
        self.functions = function_names()
        self.function_keys = {name: key for key, name in self.functions.items()}
        self.function_timeout_ms = FUNCTION_TIMEOUT_MS
        # Called with the Invocation before each handler runs (fault injection).
        self.invoke_hooks: list[Any] = []
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()

    def _deploy_functions(self) -> None:
        role = self.iam.create_role(
            RoleName="ci-keys-test",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        self.role_arn = role
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("index.py", "def handler(event, context):\n    return event\n")
        for name in self.functions.values():
            self.awslambda.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler="index.handler",
                Code={"ZipFile": archive.getvalue()},
            )

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, Any]) -> bytes:
        """Run the function's handler with the invoke's payload, as the Lambda runtime would."""
        event = json.loads(body) if body else {}
        deadline = time.monotonic() + self.function_timeout_ms / 1000
        context = SimpleNamespace(
            function_name=function_name,
            aws_request_id=str(uuid.uuid4()),
            get_remaining_time_in_millis=lambda: int((deadline - time.monotonic()) * 1000),
        )
        key = self.function_keys[function_name]
        if key != "credentials_handler":
            self.latency.invoked(key)
        token = INVOCATION.set(Invocation(key, username_of(event)))
        with self._in_flight_lock:
            self._in_flight += 1
        try:
            result = self._handle(key, event, context)
        except FunctionDied as died:
            return function_error(response_headers, "Runtime.ExitError", str(died), context)
        except HandlerTimedOut as timed_out:
            return function_error(response_headers, "Sandbox.Timedout", str(timed_out), context)
        except Exception as exc:  # the Lambda runtime's unhandled-error shape
            return function_error(response_headers, type(exc).__name__, str(exc), context, exc)
        finally:
            INVOCATION.reset(token)
            with self._in_flight_lock:
                self._in_flight -= 1
        return json.dumps(result, default=str).encode()

    def _handle(self, key: str, event: dict[str, Any], context: Any) -> Any:
        for hook in list(self.invoke_hooks):
            hook(INVOCATION.get())
        with self.acting_as(key):
            if key == "credentials_handler":
                return self.consumer(event)
            return HANDLERS[key](event, context)

    @contextlib.contextmanager
    def acting_as(self, function: str) -> Iterator[None]:
        """Make the calls of this block as the module's function ``function`` (``rotate``): they
        are authorized against its role's policies. The test's own handler is not the module's."""
        if self.authorization is None or function == "credentials_handler":
            yield
            return
        with self.authorization.acting_as(function):
            yield

    def hook(self, event: str, handler: Any) -> None:
        """Register a botocore hook for every client: the functions' (created already, each with
        its own copy of the session's hooks, the member roles' included) and those created from
        now on."""
        boto3.DEFAULT_SESSION.events.register(event, handler)  # type: ignore[union-attr]
        for factory in ENGINE_CLIENTS:
            factory().meta.events.register(event, handler)
        for client, _ in list(clients._assumed.values()):
            client.meta.events.register(event, handler)
        for client in self.task_clients.values():
            client.meta.events.register(event, handler)

    def new_execution_environments(self) -> None:
        """Forget the member roles' credentials the functions hold, as the new execution
        environments of a later run do not have them. The harness runs every function in this
        one process, whose cache (``clients.assumed_role_client``) would otherwise serve every
        run; it stands for one environment per run, where AWS has one per function and
        concurrent invocation (bench/run.py models those)."""
        clients._assumed.clear()

    def wait_until_quiet(self, timeout: float = 30.0) -> None:
        """Wait until no function invocation is running (a stopped run's may still be)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._in_flight_lock:
                if self._in_flight == 0:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("a function invocation is still running")
            time.sleep(0.005)
