"""The harness that executes the real, Terraform-rendered state machine in moto.

``deployed`` sets up the test world and yields a ``Harness``, which is made of parts, each in a
module of its own:

- the world (testkit/world/): moto and the patches that make it answer as AWS does
  (``world.patches``, one module each), and the users, keys and secrets a test sets up
  (``world.accounts.Accounts``);
- the runner (testkit/runner/): the state machine's runs (``runner.executions.Executions``) and
  the rotator's functions, whose real handlers run in this process when invoked
  (``runner.functions.Functions``);
- the consumer (testkit/consumer/): the stand-in credentials handler the tests give keys to
  (``consumer.handler.Consumer``), and its use of its keys (``consumer.key_use.KeyUse``);
- the checks (testkit/checks/): every call (``checks.call_log``), every secret seen
  (``checks.secret_watch``), and the runs as moto recorded them (``checks.recorded.Checks``).

The ``harness`` fixture (tests/workflow/conftest.py) checks every test at teardown: no secret
access key may appear in any execution's history (the children's included), input or output, in
the run-data bucket, or in the captured logs and output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from credentials_rotator.settings import config, log
from moto import mock_aws

from testkit import asl_render
from testkit.authorization import Authorization
from testkit.aws_latency import Latency
from testkit.aws_timing import AWS
from testkit.checks.call_log import CallLog
from testkit.checks.recorded import Checks
from testkit.checks.secret_watch import SecretWatch
from testkit.consumer.handler import Consumer
from testkit.consumer.key_use import KeyUse
from testkit.key_propagation import Propagation
from testkit.last_use import LastUse
from testkit.runner.executions import Executions
from testkit.runner.functions import ENGINE_CLIENTS, Functions, function_names
from testkit.world import patches
from testkit.world.accounts import Accounts
from testkit.world.setting import HARNESS_CLIENTS, MOTO_CONFIG, REGION
from testkit.world_clock import WorldClock, engine_waits, travelling


class Harness(Accounts, KeyUse, Executions, Functions, Checks):
    """The rotator deployed in moto, and what a test needs to drive and inspect it."""

    def __init__(
        self,
        watch: SecretWatch,
        calls: CallLog,
        environment: pytest.MonkeyPatch,
        world_clock: WorldClock,
        latency: Latency,
        authorization: Authorization | None = None,
    ) -> None:
        session = boto3.Session(region_name=REGION)  # not hooked: the test's own calls
        self._session = session
        self._make_clients(session)
        self.watch = watch
        self.calls = calls
        # IAM as AWS enforces it (testkit/authorization.py); None: calls are not authorized.
        self.authorization = authorization
        self.environment = environment
        self.consumer = Consumer(session, watch)
        # The clock of moto and the engine alike (testkit/world_clock.py).
        self.clock = world_clock
        # How long each call and each invocation takes, as on AWS (testkit/aws_latency.py), once
        # the engine's waits are virtual (``deployed``).
        self.latency = latency
        self._model_aws()
        self._set_up_accounts()
        self._set_up_key_use()
        self._set_up_executions()
        self._set_up_functions()
        self._set_up_checks()
        self.bucket = str(asl_render.template_variables()["run_data_bucket"])
        self._deploy_functions()
        self.s3.create_bucket(Bucket=self.bucket)

    def _make_clients(self, session: boto3.Session) -> None:
        self.iam = session.client("iam", config=HARNESS_CLIENTS)
        self.secretsmanager = session.client("secretsmanager", config=HARNESS_CLIENTS)
        self.ssm = session.client("ssm", config=HARNESS_CLIENTS)
        self.sfn = session.client("stepfunctions", config=HARNESS_CLIENTS)
        self.awslambda = session.client("lambda", config=HARNESS_CLIENTS)
        self.s3 = session.client("s3", config=HARNESS_CLIENTS)

    def _model_aws(self) -> None:
        """What the patched moto reads of AWS's behaviour, which a test may change."""
        # The clients Step Functions' tasks use, one per region and service
        # (testkit/world/patches/task_clients_reused.py).
        self.task_clients: dict[tuple[str, str], Any] = {}
        # How long IAM refuses a new key (testkit/key_propagation.py); by default not at all.
        self.propagation = Propagation()
        # How IAM answers a key's last use: to the minute, after a delay, as AWS does, where a
        # test asks for it (testkit/last_use.py).
        self.last_use = LastUse()


# --- the deployment in moto, for the workflow tests and the benchmark ---------------------------


def _hook_session(calls: CallLog, latency: Latency, watch: SecretWatch) -> Any:
    """Hook the default session, which creates the engine's clients and the ones Step Functions
    uses for its tasks: the calls are logged, take AWS's time, and their new secrets are
    watched. Its event hooks."""
    # moto resets boto3's default session when the mock starts: hook the new one.
    boto3.setup_default_session(region_name=REGION)
    events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
    events.register("before-parameter-build", calls.before_parameter_build)
    events.register("before-call", calls.before_call)
    events.register("before-call", latency.before_call)
    events.register("after-call.iam.CreateAccessKey", watch.add_created_key)
    return events


@contextlib.contextmanager
def deployed(environment: pytest.MonkeyPatch, *, authorize: bool = True) -> Iterator[Harness]:
    """The rotator in moto, with the engine's environment already set in ``environment``.

    moto is patched (testkit/world/patches/; undone with ``environment``) and the engine's waits
    advance its own clock (testkit/world_clock.py). With ``authorize``, every call of the
    rotator is authorized against the policies the module plans (testkit/authorization.py).
    """
    watch = SecretWatch()
    names = function_names()
    own = frozenset(v for k, v in names.items() if k != "credentials_handler")
    calls = CallLog(prefix=config.load().secret_name_prefix, own_functions=own)
    log.configure()
    with travelling() as world_clock, mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
        latency = Latency(timing=None)  # until the engine's waits are virtual: see below
        events = _hook_session(calls, latency, watch)
        authorization = Authorization() if authorize else None
        if authorization is not None:
            # On the session before any client is made: a client copies the session's hooks.
            authorization.guard.register(events)
        # Create the clients before the Map's threads do: a session is not thread-safe then.
        for factory in ENGINE_CLIENTS:
            factory()
        for service in ("lambda", "secretsmanager", "s3"):
            boto3.client(service)  # type: ignore[call-overload]
        world = Harness(watch, calls, environment, world_clock, latency, authorization)
        patches.apply(environment, world)
        engine_waits(environment)
        latency.timing = AWS
        try:
            yield world
        finally:
            latency.timing = None  # the waits are real again once ``environment`` is undone
