"""The harness that executes the real, Terraform-rendered state machine in moto.

moto without Docker does not run Lambda code: its invoke only echoes the request. The harness
patches ``LambdaSimpleBackend.invoke`` so that an invoke of the four rotator functions runs their
real handlers in-process, and an invoke of the credentials handler runs ``Consumer``, a test
handler that reads the secret with ``GetSecretValue`` and records what it got. A handler's
exception becomes a Lambda function error (``X-Amz-Function-Error`` plus the runtime's
``errorType``/``errorMessage`` payload), so Step Functions' Retry and Catch really run.

The run's batches are child executions of a Distributed Map. moto runs them but keeps no history
of them; the harness records their events per run (``child_history``), as AWS would keep them in
the children's own histories, so tests and the benchmark can see every state a run entered.

The ``harness`` fixture (conftest.py) checks every test at teardown: no secret access key may
appear in any execution's history (the children's included), input or output, in the run-data
bucket, or in the captured logs and output.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import hashlib
import io
import itertools
import json
import os
import re
import threading
import time
import traceback
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore import useragent
from botocore.config import Config
from credentials_rotator import (
    clients,
    config,
    finish,
    log,
    plan,
    read_records,
    record_outcomes,
    roll_back,
    rotate,
    verification,
)
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.iam.models import AccessKey as MotoAccessKey
from moto.iam.models import iam_backends
from moto.s3 import urls as moto_s3_urls
from moto.s3.models import S3Backend, s3_backends
from moto.secretsmanager.models import SecretsStore
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval import (
    resource_eval_s3 as item_reader_s3,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    distributed_iteration_component,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk,
)
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client, json_path
from moto.stepfunctions.parser.backend.execution import (
    BaseExecutionWorkerCommunication,
)
from moto.stepfunctions.parser.backend.execution import Execution as MotoExecution
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from testkit import asl_render
from testkit.authorization import Authorization
from testkit.aws_latency import Latency
from testkit.aws_timing import AWS
from testkit.engine_environment import SETTINGS_VARIABLE, settings_with
from testkit.key_propagation import Propagation, sts_as_aws
from testkit.last_use import LastUse, last_use_as_aws
from testkit.member_accounts import account_of_access_key, client_in, rotator_name, split
from testkit.world_clock import WorldClock, engine_waits, travelling, wait_states_on_the_clock

ACCOUNT = "123456789012"
REGION = "us-east-1"
MOTO_CONFIG = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
# The calls one user costs on the normal path (docs/design.md); its delivery record comes from its
# batch's BatchGetSecretValue, which names no single user. Proving the new key works adds
# VERIFICATION (verify_new_key), checking that the previous key is no longer in use IN_USE_CHECK
# (in_use_key_action "defer" or "deactivate"); both are on by default, as in the module.
NORMAL_PATH_UNCHECKED = {
    "CreateAccessKey": 1,
    "PutSecretValue": 1,
    "Invoke": 1,
    "UpdateSecretVersionStage": 1,
    "DeleteAccessKey": 1,
}
VERIFICATION = {"GetCallerIdentity": verification.REQUIRED_SUCCESSES}
IN_USE_CHECK = {"GetAccessKeyLastUsed": 1}
NORMAL_PATH = NORMAL_PATH_UNCHECKED | VERIFICATION | IN_USE_CHECK
# The clients of the harness itself (setting up, checking, and the test consumer) say so in their
# user agent, so that injected faults can leave them alone.
HARNESS_AGENT = "rotator-test-harness"
HARNESS_CLIENTS = Config(user_agent_extra=HARNESS_AGENT)
# Step Functions' limits: a state's input or output (bytes), a Fail state's cause (characters).
PAYLOAD_LIMIT = 262_144
CAUSE_LIMIT = 32_768
# Lambda's own time limit for the functions the harness runs, as their context reports it.
FUNCTION_TIMEOUT_MS = 900_000
# How long a wait for a run sleeps at most before it asks moto again; an event of any execution
# wakes it sooner.
WAIT_SECONDS = 0.05


def batches_of(users: int) -> int:
    """How many batches (child executions) a run of ``users`` users has."""
    size = config.load().batch_size
    return -(-users // size)


def own_invocations(users: int, *, failed_handoffs: int = 0) -> int:
    """Invocations of the rotator's own functions in a run (docs/design.md): plan and finish,
    rotate per user, rotate and finish once per batch, roll back per failed handoff."""
    return users + 2 + 2 * batches_of(users) + failed_handoffs


class ConsumerError(Exception):
    """What the test consumer raises when it is told to refuse a key."""


class HandlerTimedOut(Exception):
    """The test consumer ran past its timeout: Lambda reports ``Sandbox.Timedout``."""


class FunctionDied(BaseException):
    """A function's process died (a crash, or a call that hung past its timeout): nothing after
    it runs. A BaseException, so that no ``except Exception`` of the engine can catch it."""


# How the test consumer treats a key: take it, refuse it (raise), store it and then run past its
# timeout, or run past its timeout before storing it.
ACCEPT, REFUSE, STORE_THEN_TIME_OUT, TIME_OUT = (
    "accept",
    "refuse",
    "store-then-time-out",
    "time-out",
)


@dataclass(frozen=True)
class Delivery:
    """One invocation of the consumer: what it was told and what it read (never the secret).
    ``username`` is the payload's (the IAM user name); ``name`` the rotator's."""

    username: str
    payload: dict[str, Any]
    read_key_id: str
    read_secret_digest: str
    failed: bool

    @property
    def name(self) -> str:
        """The rotator's name of the user: ``<account_id>/<username>`` for a member account's
        user (its payload's ``accountId``), the IAM user name for the hub's."""
        return rotator_name(self.payload.get("accountId"), self.username)


# What a secret access key is made of (AWS's and moto's alike) and how long it is.
SECRET_LENGTH = 40
SECRET_CHARACTERS = "A-Za-z0-9/+"
SECRET_SHAPE = re.compile(f"[{SECRET_CHARACTERS}]{{{SECRET_LENGTH}}}")
SECRET_RUNS = re.compile(f"[{SECRET_CHARACTERS}]{{{SECRET_LENGTH},}}")


class SecretWatch:
    """Every secret access key seen in a test, to prove none of them leaks anywhere."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        with self._lock:
            self._values.add(value)

    def add_created_key(self, parsed: dict[str, Any], **_: Any) -> None:
        """botocore ``after-call`` hook of CreateAccessKey (errors have no AccessKey)."""
        if "AccessKey" in parsed:
            self.add(parsed["AccessKey"]["SecretAccessKey"])

    def __len__(self) -> int:
        return len(self._values)

    def leaks_in(self, text: str) -> int:
        """How many watched secrets appear in ``text`` (the secrets themselves are never shown).

        A secret access key is 40 characters of ``SECRET_CHARACTERS``, so each one that appears
        lies inside a run of such characters at least as long: the 40-character windows of those
        runs are looked up, in one pass over the text however many secrets are watched. A value
        of another shape is searched for as it is."""
        with self._lock:
            values = set(self._values)
        found = set()
        for run in SECRET_RUNS.finditer(text):
            characters = run.group()
            for start in range(len(characters) - SECRET_LENGTH + 1):
                window = characters[start : start + SECRET_LENGTH]
                if window in values:
                    found.add(window)
        other_shapes = (value for value in values if not SECRET_SHAPE.fullmatch(value))
        return len(found) + sum(1 for value in other_shapes if value in text)


class Consumer:
    """The test credentials handler: reads the user's secret by name, as the contract says, checks
    that it holds the key it was told about, and stores it (``stored``: the key it holds now)."""

    def __init__(self, session: boto3.Session, watch: SecretWatch) -> None:
        self.secretsmanager = session.client("secretsmanager", config=HARNESS_CLIENTS)
        self.watch = watch
        self.fail_for: set[str] = set()
        self.fail_message: str | None = None  # what a refusal says; by default it names the user
        self.behaviour: dict[str, str] = {}
        self.deliveries: list[Delivery] = []
        self.stored: dict[str, str] = {}
        self.timeouts: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        # The rotator's name (a member account's user is <account_id>/<username>), by which the
        # test tells the consumer how to behave and reads what it stored.
        username = rotator_name(event.get("accountId"), event["username"])
        value = json.loads(
            self.secretsmanager.get_secret_value(SecretId=event["secretName"])["SecretString"]
        )
        secret = value["SecretAccessKey"]
        self.watch.add(secret)
        behaviour = REFUSE if username in self.fail_for else self.behaviour.get(username, ACCEPT)
        with self._lock:
            self.deliveries.append(
                Delivery(
                    username=event["username"],
                    payload=dict(event),
                    read_key_id=value["AccessKeyId"],
                    read_secret_digest=hashlib.sha256(secret.encode()).hexdigest(),
                    failed=behaviour != ACCEPT,
                )
            )
        if value["AccessKeyId"] != event["accessKeyId"]:
            raise ConsumerError(f"the secret of {username} does not hold {event['accessKeyId']}")
        if behaviour == REFUSE:
            raise ConsumerError(self.fail_message or f"the handler for {username} is down")
        if behaviour == TIME_OUT:
            self.timeouts.append(username)
            raise HandlerTimedOut(f"the handler for {username} ran past its timeout")
        with self._lock:
            self.stored[username] = value["AccessKeyId"]
        if behaviour == STORE_THEN_TIME_OUT:
            self.timeouts.append(username)
            raise HandlerTimedOut(f"the handler for {username} ran past its timeout")
        return {"stored": value["AccessKeyId"]}

    def for_user(self, username: str) -> list[Delivery]:
        """The deliveries to the user of this rotator's name (``<account_id>/<username>`` for a
        member account's user)."""
        return [d for d in self.deliveries if d.name == username]

    def timeouts_of(self, username: str) -> int:
        """How many handoffs of the user ran past the handler's timeout."""
        return self.timeouts.count(username)


# Where CallLog leaves, in a call's context, the account the call acts in (``account_of_call``).
CALL_ACCOUNT = "rotator_test_account"


def account_of_call(context: dict[str, Any]) -> str:
    """The account a call of the engine acts in: a member account when its client signs with a
    member role's credentials (set by ``CallLog.before_call``; the hub's otherwise)."""
    return str(context.get(CALL_ACCOUNT) or ACCOUNT)


@dataclass
class CallLog:
    """AWS API calls seen through botocore's before-call event, attributed to users (a member
    account's user by the rotator's name, ``<account_id>/<username>``)."""

    prefix: str
    own_functions: frozenset[str]
    calls: list[tuple[str, str | None]] = field(default_factory=list)
    own_invocations: int = 0
    # every call but our own functions' invocations, as IAM action names ("iam:CreateAccessKey")
    actions: Counter[str] = field(default_factory=Counter)
    # the same by (function, user, action): the function making the call (None: the state
    # machine's own), the user it is about (None: many or none)
    by_function: Counter[tuple[str | None, str | None, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before_parameter_build(
        self, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        context["rotator_test_params"] = params

    def before_call(
        self, model: Any, context: dict[str, Any], request_signer: Any = None, **_: Any
    ) -> None:
        params = context.get("rotator_test_params", {})
        operation = model.name
        account = _signing_account(request_signer)
        context[CALL_ACCOUNT] = account
        user = self._user_of(operation, params, account)
        with self.lock:
            if operation == "Invoke" and _function_name(params) in self.own_functions:
                self.own_invocations += 1
                return
            self.calls.append((operation, user))
            action = f"{model.service_model.endpoint_prefix}:{operation}"
            self.actions[action] += 1
            invocation = INVOCATION.get()
            self.by_function[(invocation.function if invocation else None, user, action)] += 1

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.actions.clear()
            self.by_function.clear()
            self.own_invocations = 0

    def per_user(self, username: str) -> Counter[str]:
        return Counter(op for op, user in self.calls if user == username)

    def _user_of(self, operation: str, params: dict[str, Any], account: str) -> str | None:
        if "UserName" in params:  # a member account's client sends the IAM user name
            return rotator_name(account, str(params["UserName"]))
        secret_id = params.get("SecretId") or params.get("Name")
        if isinstance(secret_id, str) and operation != "GetParameter":
            name = secret_id
            if name.startswith("arn:"):
                name = name.split(":secret:", 1)[1].rsplit("-", 1)[0]
            return name.removeprefix(self.prefix)
        if operation == "GetCallerIdentity":  # signed with the user's new key, in its rotate
            invocation = INVOCATION.get()
            return invocation.username if invocation else None
        if operation == "GetAccessKeyLastUsed":  # names the key only: its owner, from moto
            key = iam_backends[account]["aws"].access_keys.get(str(params.get("AccessKeyId")))
            owner = key.user_name if key is not None else None
            return rotator_name(account, owner) if owner else None
        if operation == "Invoke":
            return _username_of(json.loads(params.get("Payload") or b"{}"))
        return None


def _signing_account(request_signer: Any) -> str:
    """The account a client's credentials act in: a member role's temporary key acts in the
    role's account (moto finds it from the key), every other key in the hub's."""
    credentials = getattr(request_signer, "_credentials", None)
    access_key = getattr(credentials, "access_key", None)
    return account_of_access_key(str(access_key)) if access_key else ACCOUNT


def _function_name(params: dict[str, Any]) -> str:
    return str(params.get("FunctionName", "")).rsplit(":", 1)[-1]


class Progress:
    """Counts the events of every execution (``_report_state_entries``) and the executions that
    ended (``abort_at_once``): a wait sleeps until something it waits for happened instead of
    asking moto all the time, which would take the interpreter from the run it waits for."""

    def __init__(self) -> None:
        self._events = 0
        self._ends = 0
        self._changed = threading.Condition()

    def happened(self) -> None:
        with self._changed:
            self._events += 1
            self._changed.notify_all()

    def ended(self) -> None:
        with self._changed:
            self._events += 1
            self._ends += 1
            self._changed.notify_all()

    def mark(self) -> tuple[int, int]:
        """Where the counts stand: (events, ends)."""
        with self._changed:
            return self._events, self._ends

    def wait_after(self, mark: tuple[int, int], *, ends_only: bool = False) -> None:
        """Return once an event (an execution's end, with ``ends_only``) came after ``mark``, or
        after ``WAIT_SECONDS``."""
        counted = 1 if ends_only else 0
        with self._changed:
            self._changed.wait_for(
                lambda: (self._events, self._ends)[counted] != mark[counted], WAIT_SECONDS
            )


@dataclass(frozen=True)
class RunResult:
    arn: str
    status: str
    output: dict[str, Any] | None
    error: str | None
    cause: str | None

    @property
    def summary(self) -> dict[str, Any]:
        """The run's summary: its output when it succeeded, its cause when it failed."""
        if self.output is not None:
            return self.output
        assert self.cause is not None, f"run {self.status} without a cause"
        parsed: dict[str, Any] = json.loads(self.cause)
        return parsed


@functools.cache
def _definition(cleanup_wait_seconds: int, overrides: tuple[tuple[str, Any], ...] = ()) -> str:
    return asl_render.render_text({"grace_wait_seconds": cleanup_wait_seconds, **dict(overrides)})


def function_names() -> dict[str, str]:
    """Entry point (and ``credentials_handler``) -> function name, as the module names them."""
    variables = asl_render.template_variables()
    arns = {
        **variables["function_arns"],
        "credentials_handler": variables["credentials_handler_arn"],
    }
    return {key: str(arn).rsplit(":", 1)[-1] for key, arn in arns.items()}


class Harness:
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
        self.iam = session.client("iam", config=HARNESS_CLIENTS)
        self.secretsmanager = session.client("secretsmanager", config=HARNESS_CLIENTS)
        self.ssm = session.client("ssm", config=HARNESS_CLIENTS)
        self.sfn = session.client("stepfunctions", config=HARNESS_CLIENTS)
        self.awslambda = session.client("lambda", config=HARNESS_CLIENTS)
        self.s3 = session.client("s3", config=HARNESS_CLIENTS)
        self.watch = watch
        self.calls = calls
        # IAM as AWS enforces it (testkit/authorization.py); None: calls are not authorized.
        self.authorization = authorization
        self.environment = environment
        self.consumer = Consumer(session, watch)
        self.executions: list[str] = []
        self._ended_executions: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
        self._ended_texts: dict[str, str] = {}  # an ended run, as the secret check reads it
        self.prefix = config.load().secret_name_prefix
        self.functions = function_names()
        self._definition: str | None = None
        self.children: dict[str, list[Any]] = {}  # execution arn -> its child executions' events
        self.function_timeout_ms = FUNCTION_TIMEOUT_MS
        self.function_keys = {name: key for key, name in self.functions.items()}
        # Called with the Invocation before each handler runs (fault injection).
        self.invoke_hooks: list[Any] = []
        # Called with the name of each state an execution enters (fault injection).
        self.state_hooks: list[Any] = [self._use_previous_keys]
        # Users whose consumer has not moved: it keeps using its previous key (the last one it
        # used: ``used_by_consumer``).
        self.not_moved: set[str] = set()
        self.used_by_consumer: dict[str, str] = {}
        self._run_users: set[str] | None = None  # the last run's on-demand users
        self._session = session
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        self.progress = Progress()
        # The clock of moto and the engine alike (testkit/world_clock.py).
        self.clock = world_clock
        # The clients Step Functions' tasks use, one per region and service (see
        # ``one_client_per_service``).
        self.task_clients: dict[tuple[str, str], Any] = {}
        # template variables other than the fixture's, for the state machines created from now on
        self.template_overrides: dict[str, Any] = {}
        # How long IAM refuses a new key (testkit/key_propagation.py); by default not at all.
        self.propagation = Propagation()
        # How IAM answers a key's last use: to the minute, after a delay, as AWS does, where a
        # test asks for it (testkit/last_use.py).
        self.last_use = LastUse()
        # How long each call and each invocation takes, as on AWS (testkit/aws_latency.py), once
        # the engine's waits are virtual (``deployed``).
        self.latency = latency
        self.bucket = str(asl_render.template_variables()["run_data_bucket"])
        self._member_iams: dict[str, Any] = {}  # account id -> the test's IAM client there
        self._deploy_functions()
        self.s3.create_bucket(Bucket=self.bucket)

    # --- deployment -------------------------------------------------------------------------

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

    def state_machine(self, cleanup_wait_seconds: int = 0) -> str:
        """The state machine (its ARN is the functions' STATE_MACHINE_ARN), its definition rendered
        with this grace wait; a run keeps the definition it started with."""
        definition = _definition(
            cleanup_wait_seconds, tuple(sorted(self.template_overrides.items()))
        )
        arn = config.load().state_machine_arn
        if self._definition is None:
            created = self.sfn.create_state_machine(
                name=arn.rsplit(":", 1)[-1],
                definition=definition,
                roleArn=self.role_arn,
                type="STANDARD",
            )["stateMachineArn"]
            assert created == arn, f"the state machine is {created}, the functions expect {arn}"
        elif definition != self._definition:
            self.sfn.update_state_machine(stateMachineArn=arn, definition=definition)
        self._definition = definition
        return arn

    def s3_events(self) -> Any:
        """The event hooks of the engine's S3 client (its calls, not the state machine's)."""
        return clients.s3_client().meta.events

    def set_settings(self, **changes: Any) -> None:
        """Change the functions' settings for the next invocations (``settings_with``)."""
        self.environment.setenv(
            SETTINGS_VARIABLE, settings_with(os.environ[SETTINGS_VARIABLE], **changes)
        )
        config.load.cache_clear()

    # --- the world the rotator works on ------------------------------------------------------

    def configure_users(self, *entries: str | dict[str, Any], create: bool = True) -> None:
        """Write the users parameter. A member account's user is an entry with ``accountId``, or
        the rotator's name ``<account_id>/<username>``; with ``create``, each user is created in
        its account."""
        users = [_user_entry(e) for e in entries]
        self.ssm.put_parameter(
            Name=config.load().users_parameter_name,
            Value=json.dumps(users),
            Type="String",
            Overwrite=True,
        )
        names = [rotator_name(user.get("accountId"), user["username"]) for user in users]
        if self.authorization is not None:
            self.authorization.list_users(names)
        if create:
            for name in names:
                self.create_user(name)

    def iam_of(self, username: str) -> tuple[Any, str]:
        """The test's IAM client of the user's account, and the user's IAM user name: a member
        account's user is ``<account_id>/<username>``."""
        account_id, name = split(username)
        if account_id is None or account_id == ACCOUNT:
            return self.iam, name
        if account_id not in self._member_iams:
            self._member_iams[account_id] = client_in(account_id, "iam", self._session)
        return self._member_iams[account_id], name

    def create_user(self, username: str, path: str = "/", **tags: str) -> None:
        """Create the user in its account (``<account_id>/<username>``: a member account)."""
        iam, name = self.iam_of(username)
        iam.create_user(
            UserName=name, Path=path, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )

    def next_second(self) -> None:
        """Let the next whole second begin. AWS gives times to the second, and on AWS the steps
        of a run are seconds apart; the engine compares such times. The clock moves: nothing
        waits."""
        self.clock.to_next_second()

    def use_previous_key(self, username: str) -> None:
        """Sign a call with the key of the secret's AWSPREVIOUS version, as a consumer that kept
        it would: IAM (moto alike) records the key's last use. In the next whole second: on AWS
        the grace wait lasts seconds, and the engine compares the use with times to the second."""
        self.next_second()
        self._sign_with(username, self._secret_value(username, "AWSPREVIOUS"))

    def use_current_key(self, username: str) -> None:
        """Sign a call with the key of the secret's AWSCURRENT version, as its consumer does."""
        self.next_second()
        self._sign_with(username, self._secret_value(username, "AWSCURRENT"))

    def _secret_value(self, username: str, stage: str) -> dict[str, Any]:
        got = self.secretsmanager.get_secret_value(
            SecretId=self.secret_name(username), VersionStage=stage
        )
        value: dict[str, Any] = json.loads(got["SecretString"])
        return value

    def _sign_with(self, username: str, value: dict[str, Any]) -> None:
        self.used_by_consumer[username] = value["AccessKeyId"]
        sts = self._session.client(
            "sts",
            aws_access_key_id=value["AccessKeyId"],
            aws_secret_access_key=value["SecretAccessKey"],
            aws_session_token=None,
            config=HARNESS_CLIENTS,
        )
        sts.get_caller_identity()

    def _use_previous_keys(self, state: str) -> None:
        """A consumer that has not moved uses its previous key all the time: before a run, and
        while the run waits out its grace period (after the handoffs)."""
        if state not in ("GraceWait", "before the run") or not self.not_moved:
            return
        values: list[tuple[str, dict[str, Any]]] = []
        in_run = self._run_users
        for username in sorted(self.not_moved if in_run is None else self.not_moved & in_run):
            try:
                value = self._secret_value(username, "AWSPREVIOUS")
            except self.secretsmanager.exceptions.ResourceNotFoundException:
                continue  # no key before this one
            if self.keys(username).get(value.get("AccessKeyId", "")) == "Active":
                values.append((username, value))
        if values:
            self.next_second()  # as in use_previous_key
        for username, value in values:
            self._sign_with(username, value)

    def create_key(self, username: str, *, inactive: bool = False) -> str:
        iam, name = self.iam_of(username)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        self.watch.add(key["SecretAccessKey"])
        if inactive:
            iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        return str(key["AccessKeyId"])

    def keys(self, username: str) -> dict[str, str]:
        """The user's keys, in its account: id -> status."""
        iam, name = self.iam_of(username)
        listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
        return {k["AccessKeyId"]: k["Status"] for k in listed}

    def secret_name(self, username: str) -> str:
        return f"{self.prefix}{username}"

    def secret_key_id(self, username: str, stage: str = "AWSCURRENT") -> str:
        value = self.secretsmanager.get_secret_value(
            SecretId=self.secret_name(username), VersionStage=stage
        )
        key_id: str = json.loads(value["SecretString"])["AccessKeyId"]
        return key_id

    def stages(self, username: str) -> dict[str, list[str]]:
        """Version id -> stages of the user's secret."""
        described = self.secretsmanager.describe_secret(SecretId=self.secret_name(username))
        return {k: sorted(v) for k, v in described.get("VersionIdsToStages", {}).items() if v}

    def current_stages(self, username: str) -> list[str]:
        return next(s for s in self.stages(username).values() if "AWSCURRENT" in s)

    # --- runs -------------------------------------------------------------------------------

    def start(
        self,
        run_input: dict[str, Any] | None = None,
        cleanup_wait_seconds: int = 0,
        name: str | None = None,
    ) -> str:
        if self.authorization is not None:
            self.authorization.prepare()
        users = (run_input or {}).get("users")
        self._run_users = None if users is None else set(users)  # None: every user
        self._use_previous_keys("before the run")
        arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine(cleanup_wait_seconds),
            name=name or f"run-{uuid.uuid4().hex[:12]}",
            input=json.dumps(run_input if run_input is not None else {}),
        )["executionArn"]
        self.executions.append(arn)
        return arn

    def wait(self, arn: str, timeout: float = 30.0) -> RunResult:
        deadline = time.monotonic() + timeout
        while True:
            mark = self.progress.mark()
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {arn} still running after {timeout} s")
            self.progress.wait_after(mark, ends_only=True)
        output = described.get("output")
        return RunResult(
            arn=arn,
            status=described["status"],
            output=json.loads(output) if output else None,
            error=described.get("error"),
            cause=described.get("cause"),
        )

    def run(
        self,
        run_input: dict[str, Any] | None = None,
        cleanup_wait_seconds: int = 0,
        timeout: float = 30.0,
    ) -> RunResult:
        return self.wait(self.start(run_input, cleanup_wait_seconds), timeout=timeout)

    def wait_for_state(self, arn: str, state: str, timeout: float = 30.0) -> None:
        """Wait until the execution has entered ``state``."""
        deadline = time.monotonic() + timeout
        mark = self.progress.mark()
        while state not in self.states_entered(arn):
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {arn} did not reach {state}")
            self.progress.wait_after(mark)
            mark = self.progress.mark()

    def history(self, arn: str) -> list[dict[str, Any]]:
        """The run's events, as moto holds them: what GetExecutionHistory answers (moto answers
        every event at once), without serializing them to parse them again."""
        execution = stepfunctions_backend(ACCOUNT, REGION).describe_execution(execution_arn=arn)
        return [dict(event) for event in execution.to_history_output()["events"]]

    def child_history(self, arn: str) -> list[dict[str, Any]]:
        """The events of the run's child executions (the batches), in the order they happened."""
        return [
            dict(event)
            for manager in self.children.get(arn, [])
            for event in manager.get_event_history()
        ]

    def states_entered(self, arn: str, *, children: bool = True) -> list[str]:
        """Names of the states the run entered, its batches' states too unless ``children`` is
        False."""
        events = self.history(arn) + (self.child_history(arn) if children else [])
        return [
            e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
        ]

    def run_data(self, arn: str) -> dict[str, Any]:
        """The run's files in the run-data bucket: key (below the run's prefix) -> parsed JSON."""
        prefix = f"runs/{arn.rsplit(':', 1)[-1]}/"
        found: dict[str, Any] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for entry in page.get("Contents", []):
                body = self.s3.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"].read()
                found[entry["Key"].removeprefix(prefix)] = json.loads(body)
        return found

    def all_run_data_text(self) -> str:
        """Every object of the run-data bucket, as moto holds it (what GetObject answers for
        each), without a request per object."""
        bucket = s3_backends[ACCOUNT]["aws"].get_bucket(self.bucket)
        return "\n".join(key.value.decode() for key in bucket.keys.values())

    # --- the invoke patch -------------------------------------------------------------------

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, Any]) -> bytes:
        handlers = {
            self.functions["plan"]: plan.handler,
            self.functions["read_records"]: read_records.handler,
            self.functions["rotate"]: rotate.handler,
            self.functions["roll_back"]: roll_back.handler,
            self.functions["record_outcomes"]: record_outcomes.handler,
            self.functions["finish"]: finish.handler,
            self.functions["credentials_handler"]: lambda event, _context: self.consumer(event),
        }
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
        token = INVOCATION.set(Invocation(key, _username_of(event)))
        with self._in_flight_lock:
            self._in_flight += 1
        try:
            for hook in list(self.invoke_hooks):
                hook(INVOCATION.get())
            with self.acting_as(key):
                result = handlers[function_name](event, context)
        except FunctionDied as died:
            return _function_error(response_headers, "Runtime.ExitError", str(died), context)
        except HandlerTimedOut as timed_out:
            return _function_error(response_headers, "Sandbox.Timedout", str(timed_out), context)
        except Exception as exc:  # the Lambda runtime's unhandled-error shape
            return _function_error(response_headers, type(exc).__name__, str(exc), context, exc)
        finally:
            INVOCATION.reset(token)
            with self._in_flight_lock:
                self._in_flight -= 1
        return json.dumps(result, default=str).encode()

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

    def advance_clock(self, delta: datetime.timedelta) -> None:
        """Move the clock of the functions and of the emulated AWS forward."""
        self.clock.advance(delta)

    # --- AWS's limits, which moto does not enforce ------------------------------------------

    def assert_payloads_fit(self) -> None:
        """Every state's input and output, and every Fail cause, fits Step Functions' limits.

        AWS fails an execution with ``States.DataLimitExceeded`` (which no Catch can catch) when a
        state's input or output passes 256 KB, and keeps at most 32,768 characters of a cause;
        moto checks neither. Every run of the harness is held to them here.
        """
        for arn, events, described in self._recorded_executions():
            for event in events:
                for details in event.values():
                    if not isinstance(details, dict):
                        continue
                    for name in ("input", "output"):
                        size = len(str(details.get(name) or "").encode())
                        assert size <= PAYLOAD_LIMIT, (
                            f"{event.get('type')} of {arn} carries {size} bytes of {name}"
                        )
            cause = described.get("cause") or ""
            assert len(cause) <= CAUSE_LIMIT, f"the cause of {arn} has {len(cause)} characters"

    def _recorded_executions(self) -> Iterator[tuple[str, list[dict[str, Any]], dict[str, Any]]]:
        """Each run of the harness: its ARN, its events (its batches' too) and its description. A
        run that ended never changes again, so its record is read from moto once."""
        for arn in self.executions:
            record = self._ended_executions.get(arn)
            if record is None:
                described = self.sfn.describe_execution(executionArn=arn)
                record = (self.history(arn) + self.child_history(arn), described)
                if described["status"] != "RUNNING":
                    self._ended_executions[arn] = record
            yield arn, *record

    # --- the secret check -------------------------------------------------------------------

    def assert_no_secret_leaked(self, captured_text: str) -> None:
        assert self.watch.leaks_in(captured_text) == 0, "a secret access key was logged"
        for arn, events, described in self._recorded_executions():
            text = self._ended_texts.get(arn)
            if text is None:
                text = json.dumps(events, default=str) + json.dumps(described, default=str)
                if arn in self._ended_executions:
                    self._ended_texts[arn] = text
            assert self.watch.leaks_in(text) == 0, f"a secret access key is in the history of {arn}"
        assert self.watch.leaks_in(self.all_run_data_text()) == 0, (
            "a secret access key is in the run-data bucket"
        )


# Numbers each invocation, so that two invocations of a function for one user (a retry) differ.
_INVOCATION_NUMBERS = itertools.count()


@dataclass(frozen=True)
class Invocation:
    """The function a harness invocation runs (an entry point key or ``credentials_handler``) and
    the user it is about, when its event names one. Each is unique: a test's bookkeeping may key
    on it (never on ``id()``, which a later invocation may reuse once this one is gone)."""

    function: str
    username: str | None
    number: int = field(default_factory=lambda: next(_INVOCATION_NUMBERS))


# The invocation running in this thread (finish's worker threads inherit it).
INVOCATION: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar(
    "INVOCATION", default=None
)


def _username_of(event: Any) -> str | None:
    """The rotator's name of the user an event is about (the handler's payload names a member
    account's user by ``accountId`` and its IAM user name)."""
    if not isinstance(event, dict):
        return None
    user = event.get("username") or (event.get("user") or {}).get("username")
    if not isinstance(user, str):
        return None
    account_id = event.get("accountId")
    return rotator_name(account_id if isinstance(account_id, str) else None, user)


def _user_entry(entry: str | dict[str, Any]) -> dict[str, Any]:
    """A users parameter entry: a name (``<account_id>/<username>`` for a member account's
    user, which the parameter lists with its ``accountId``) or an entry as it is."""
    if not isinstance(entry, str):
        return entry
    account_id, name = split(entry)
    return {"username": name} if account_id is None else {"username": name, "accountId": account_id}


def _function_error(
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


# The functions' clients, one per service and process (credentials_rotator.clients); STS's
# assumes the member roles.
ENGINE_CLIENTS = (
    clients.iam_client,
    clients.secretsmanager_client,
    clients.ssm_client,
    clients.sfn_client,
    clients.s3_client,
    clients.sts_client,
)


def captured_text(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """Everything a test printed and logged, each log record with all its fields."""
    captured = capsys.readouterr()
    logged = "\n".join(
        log.JsonFormatter().format(record) + repr(record.__dict__) for record in caplog.records
    )
    return captured.out + captured.err + logged


# --- the deployment in moto, for the workflow tests and the benchmark ---------------------------


@contextlib.contextmanager
def deployed(environment: pytest.MonkeyPatch, *, authorize: bool = True) -> Iterator[Harness]:
    """The rotator in moto, with the engine's environment already set in ``environment``.

    Patches (undone with ``environment``): Lambda invokes run the real handlers; the events of a
    Distributed Map's child executions are kept per run in ``Harness.children``; moto's Secrets
    Manager finds a secret without scanning them all (``index_moto_secrets``). With ``authorize``,
    every call of the rotator is authorized against the policies the module plans
    (testkit/authorization.py).
    """
    watch = SecretWatch()
    names = function_names()
    own = frozenset(v for k, v in names.items() if k != "credentials_handler")
    calls = CallLog(prefix=config.load().secret_name_prefix, own_functions=own)
    log.configure()
    with travelling() as world_clock, mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
        # moto resets boto3's default session when the mock starts: hook the new one, which
        # creates the engine's clients and the ones Step Functions uses for its tasks.
        boto3.setup_default_session(region_name=REGION)
        events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
        events.register("before-parameter-build", calls.before_parameter_build)
        events.register("before-call", calls.before_call)
        latency = Latency(timing=None)  # until the engine's waits are virtual: see below
        events.register("before-call", latency.before_call)
        events.register("after-call.iam.CreateAccessKey", watch.add_created_key)
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

        environment.setattr(LambdaSimpleBackend, "invoke", invoke)
        _keep_child_histories(world, environment)
        index_moto_secrets(environment)
        parse_each_definition_once(environment)
        s3_routes_read_once(environment)
        list_each_response_class_once(environment)
        sanitize_each_user_agent_part_once(environment)
        parse_each_json_path_once(environment)
        one_client_per_service(world, environment)
        abort_at_once(environment, world.progress)
        iam_times_to_the_second(environment)
        sts_as_aws(environment, lambda: world.propagation)
        last_use_as_aws(environment, world.last_use)
        engine_waits(environment)
        latency.timing = AWS
        wait_states_on_the_clock(environment, world_clock)
        _report_state_entries(world, environment)
        try:
            yield world
        finally:
            latency.timing = None  # the waits are real again once ``environment`` is undone


def iam_times_to_the_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give access keys IAM's precision: AWS answers a key's CreateDate to the second (as S3 its
    LastModified), moto to the microsecond. The engine compares such times (``strays``)."""
    original = MotoAccessKey.__init__

    def init(key: Any, *args: Any, **kwargs: Any) -> None:
        original(key, *args, **kwargs)
        key.create_date = key.create_date.replace(microsecond=0)

    monkeypatch.setattr(MotoAccessKey, "__init__", init)


def abort_at_once(monkeypatch: pytest.MonkeyPatch, progress: Progress) -> None:
    """Make StopExecution behave as in AWS: the execution is ABORTED at once, while a Lambda
    invocation it started runs on to its end. ``progress`` hears of each execution's end.

    moto stops its interpreter at the next state but keeps the execution RUNNING, with no stop
    date, until the task in flight returns. AWS answers ABORTED, with the stop date, at once.
    """
    original_stop = MotoExecution.stop
    original_reflect = BaseExecutionWorkerCommunication._reflect_execution_status

    def stop(execution: Any, stop_date: datetime.datetime, error: Any, cause: Any) -> None:
        original_stop(execution, stop_date=stop_date, error=error, cause=cause)
        if execution.exec_status == ExecutionStatus.RUNNING:
            execution.exec_status = ExecutionStatus.ABORTED
            execution.stop_date = stop_date
        progress.ended()

    def reflect(communication: Any) -> None:
        if communication.execution.exec_status != ExecutionStatus.ABORTED:
            original_reflect(communication)
        progress.ended()

    monkeypatch.setattr(MotoExecution, "stop", stop)
    monkeypatch.setattr(BaseExecutionWorkerCommunication, "_reflect_execution_status", reflect)


def _report_state_entries(world: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Call ``world.state_hooks`` with the name of every state any execution enters, and tell
    ``world.progress`` of every event."""
    original = EventManager.add_event

    def add_event(manager: Any, context: Any, event_type: Any, *args: Any, **kwargs: Any) -> int:
        event_id: int = original(manager, context, event_type, *args, **kwargs)
        world.progress.happened()
        details = kwargs.get("event_details") or (args[0] if args else None)
        if str(event_type).endswith("StateEntered") and world.state_hooks and details:
            name = details.get("stateEnteredEventDetails", {}).get("name")
            for hook in list(world.state_hooks):
                hook(name)
        return event_id

    monkeypatch.setattr(EventManager, "add_event", add_event)


def one_client_per_service(world: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let moto's Step Functions reuse one client per region and service for its tasks.

    It creates a boto3 client for every Task it runs (about 10 ms each, a tenth of a run here);
    AWS's service keeps its connections. The clients are the same but for being new.
    """
    create = boto_client.boto_client_for
    lock = threading.Lock()
    made = world.task_clients

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in made:
                made[region, service] = create(region, service, state_credentials)
            return made[region, service]

    for module in (item_reader_s3, lambda_eval_utils, state_task_service_aws_sdk):
        monkeypatch.setattr(module, "boto_client_for", client_for)


def s3_routes_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let moto read its S3 routes once: it reloads their module at every request it routes, in
    case an environment variable changed them, and none does here."""
    monkeypatch.setattr(S3Backend, "_url_module", property(lambda backend: moto_s3_urls))


def list_each_response_class_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let moto list a response class's methods once, not at every request it dispatches.

    To find the method of an action, moto lists the functions of the service's response class
    with ``inspect.getmembers`` at each request (a fortieth of a fault row's CPU). Classes do not
    gain methods while a test runs, so the list is cached by class and no answer changes.
    """
    listed = functools.lru_cache(maxsize=None)(moto_utils.method_names_from_class)
    monkeypatch.setattr(moto_responses, "method_names_from_class", listed)


def sanitize_each_user_agent_part_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let botocore clean each part of a User-Agent header once, not at every request.

    botocore builds the header of every request anew and cleans each of its parts character by
    character (a fiftieth of a fault row's CPU). The parts repeat from one request to the next
    and their cleaning depends on nothing else, so it is cached by the part.
    """
    sanitize = functools.lru_cache(maxsize=4096)(useragent.sanitize_user_agent_string_component)
    monkeypatch.setattr(useragent, "sanitize_user_agent_string_component", sanitize)


def parse_each_definition_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse a state machine definition once, not at every execution.

    moto parses the definition with its ANTLR grammar whenever an execution starts (about 0.2 s
    for this template), although the parsed program only declares states: each execution keeps
    its own state in its own environment. Caching the parse by the definition's text changes no
    answer and makes a run several times faster.
    """
    parse = functools.lru_cache(maxsize=16)(AmazonStateLanguageParser.parse)
    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(parse))


def parse_each_json_path_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse each JSONPath of the state machine once, not at every evaluation.

    moto parses a state's paths (``InputPath``, ``ResultPath``, a Choice's variables, ...) each
    time it evaluates them, and jsonpath-ng builds a new parser for every parse: about a tenth
    of the CPU a run takes here. A parsed path is only read when it is applied, so caching the
    parse by the path's text changes no answer.
    """
    for module in (json_path, result_path):
        monkeypatch.setattr(module, "parse", functools.lru_cache(maxsize=1024)(module.parse))


def index_moto_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Find a secret by its name or full ARN with dictionary lookups instead of moto's scan.

    moto finds a secret by iterating over every secret: each call costs time in proportion to the
    number of secrets, and a secret created by one thread while another iterates fails that other
    call ("dictionary changed size during iteration"); AWS does neither. moto keys its store by
    name, and a full ARN is the name plus a 6-character suffix, so both are looked up directly; a
    name that is not a key is no secret's name. Anything else (a partial ARN) still goes through
    moto's own lookup.
    """
    scan_getitem, scan_contains, scan_get = (
        SecretsStore.__getitem__,
        SecretsStore.__contains__,
        SecretsStore.get,
    )

    def lookup(store: SecretsStore, key: str) -> Any:
        candidates = [key]
        if ":secret:" in key:
            name = key.split(":secret:", 1)[1]
            candidates = [name.rsplit("-", 1)[0], name]
        for candidate in candidates:
            secret = dict.get(store, candidate)
            if secret is not None and key in (secret.arn, secret.name):
                return secret
        return None

    def plain_name(key: object) -> bool:
        return isinstance(key, str) and not key.startswith("arn:")

    def getitem(store: SecretsStore, key: str) -> Any:
        found = lookup(store, key)
        if found is None and plain_name(key):
            raise KeyError(key)
        return found if found is not None else scan_getitem(store, key)

    def contains(store: SecretsStore, key: object) -> bool:
        if isinstance(key, str) and lookup(store, key) is not None:
            return True
        return False if plain_name(key) else scan_contains(store, key)

    def get(store: SecretsStore, key: str) -> Any:
        found = lookup(store, key)
        if found is None and plain_name(key):
            return None
        return found if found is not None else scan_get(store, key)

    monkeypatch.setattr(SecretsStore, "__getitem__", getitem)
    monkeypatch.setattr(SecretsStore, "__contains__", contains)
    monkeypatch.setattr(SecretsStore, "get", get)


def _keep_child_histories(world: Harness, environment: pytest.MonkeyPatch) -> None:
    """Give each Distributed Map run's children an event manager the harness keeps."""
    component = distributed_iteration_component.DistributedIterationComponent
    original = component._eval_body
    running = threading.local()

    def eval_body(self: Any, env: Any) -> None:
        running.execution = env.states.context_object.context_object_data["Execution"]["Id"]
        original(self, env)

    def event_manager(*args: Any, **kwargs: Any) -> EventManager:
        manager = EventManager(*args, **kwargs)
        world.children.setdefault(running.execution, []).append(manager)
        return manager

    environment.setattr(component, "_eval_body", eval_body)
    environment.setattr(distributed_iteration_component, "EventManager", event_manager)
