"""``AuthorizationGuard``: each AWS call of the engine, checked against its role's planned policies.

moto enforces no IAM, so the guard does, in a botocore ``before-call`` hook: it turns the call into
the authorization requests AWS makes for it (``requests.requests_for``), decides each against the
policies the module plans for the role of the function making the call (``planned``,
``policy.evaluate``), records every request and decision, and answers a denied call as AWS would:
an ``AccessDenied`` (query and REST-XML services: IAM, S3) or ``AccessDeniedException`` (JSON
services: Secrets Manager, SSM, Step Functions, Lambda) error, whose message names the action, the
resource and the role's session, so the engine sees what it would see in AWS. A
``BatchGetSecretValue`` is answered per secret, as Secrets Manager does: a secret the role may not
read moves from ``SecretValues`` to ``Errors``.

Which function is calling: the ``RUNNING_FUNCTION`` context variable, which the harness sets
around each handler invocation (``guard.acting_as(key)``). Calls made while it is unset come from
the state machine (moto runs its tasks in threads of its own) and are checked against
``state_machine``. Calls whose user agent carries ``rotator-test-harness`` (``HARNESS_AGENT`` in
testkit/harness.py: the test's own set-up and checks, and the test consumer) are not
checked. A call without a rule (``UnmappedCall``) or by a function without planned policies raises
at once and is kept in ``errors``, so a new call cannot slip through unchecked.

How to wire it (testkit/harness.py, ``deployed``)::

    from testkit.authz.facts import MotoFacts
    from testkit.authz.guard import (
        AuthorizationGuard, NOT_EXERCISED_IN_MOTO, propagating_context_to_thread_pools,
    )
    from testkit.authz.planned import plan_policies

    planned = plan_policies(users)  # users the test creates; cached under .build/authz/
    with mock_aws(config=MOTO_CONFIG):
        boto3.setup_default_session(region_name=REGION)
        events = boto3.DEFAULT_SESSION.events
        events.register("before-parameter-build", calls.before_parameter_build)
        events.register("before-call", calls.before_call)
        guard = AuthorizationGuard.from_plan(planned, MotoFacts(ACCOUNT, REGION))
        # On the session, BEFORE any client is created: a client copies the session's hooks
        # when it is made (the engine's cached clients, and those of Step Functions' tasks).
        # register() puts its before-call hook last, so the CallLog still counts a denied call.
        guard.register(events)
        with propagating_context_to_thread_pools():  # finish retires keys in a thread pool
            ... create the clients, deploy, yield the world ...

    # Harness.invoke, around each rotator handler (not the test consumer, whose clients carry
    # HARNESS_AGENT); the key is the module's function key, not the function name:
    key_of = {name: key for key, name in planned.function_names.items()}
    with guard.acting_as(key_of[function_name]):
        result = handler(event, context)

    # A test that calls a handler itself (rotate.handler(...) to leave a stopped run behind)
    # wraps it the same way, or its calls are checked as the state machine's:
    with harness.guard.acting_as("rotate"):
        rotate.handler(event, None)

    # Worker threads a handler starts do not inherit the variable unless they run in a copy of
    # the submitter's context: propagating_context_to_thread_pools() makes every
    # ThreadPoolExecutor.submit run its callable in contextvars.copy_context(); a thread started
    # by hand runs ``contextvars.copy_context().run(target, ...)`` itself.

    # At teardown: nothing unmapped, and no denial the test did not expect.
    assert not guard.errors, guard.errors
    assert not guard.denials, [check.describe() for check in guard.denials]
    # Across the tier, per planned configuration (a session fixture keeps every guard's checks
    # under its configuration; planned.configuration is hashable):
    unneeded = unneeded_grants(
        planned.by_function, all_checks, exempt_actions=NOT_EXERCISED_IN_MOTO
    )

What the plan must match: the module's users are planned by name, so plan the users a test lists
in the users parameter (the engine's USERS_PARAMETER_NAME) with the selection the test sets
(USER_PATH_PREFIX, USER_TAG, EXCLUDE_USERS, OLD_KEY_ACTION, SECRET_KMS_KEY_ID). The module refuses
more than 8,192 bytes of users (about 340 short names): a scale test selects its users by path
instead. The policies name the state machine ``ci-keys`` and the bucket
``ci-keys-123456789012-us-east-1-runs``; a state machine the harness creates under another name
(``ci-keys-1``...) is not the module's, and ``plan``'s ``ListExecutions`` on it is denied.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ClientError

from testkit.authz.facts import AccountFacts, MotoFacts
from testkit.authz.planned import STATE_MACHINE, PlannedPolicies
from testkit.authz.policy import (
    AuthorizationRequest,
    Decision,
    Outcome,
    Policy,
    PolicySet,
    evaluate,
)
from testkit.authz.requests import iam_prefix, requests_after, requests_for
from testkit.authz.unneeded import UnneededGrant, unneeded_grants

__all__ = [
    "HARNESS_AGENT",
    "LOG_DELIVERY_ACTIONS",
    "NOT_EXERCISED_IN_MOTO",
    "RUNNING_FUNCTION",
    "AuthorizationGuard",
    "Check",
    "UnneededGrant",
    "propagating_context_to_thread_pools",
    "unneeded_grants",
]

# The function whose code is running in this context (the module's function key), or None: the
# state machine.
RUNNING_FUNCTION: ContextVar[str | None] = ContextVar("testkit_authz_function", default=None)
# What the harness's own clients put in their user agent (testkit/harness.py).
HARNESS_AGENT = "rotator-test-harness"
# Step Functions delivers its logs through CloudWatch Logs' vended-log API with these actions,
# which take no resource.
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
)
# Grants no call in moto exercises: Lambda's runtime writes the functions' logs, Step Functions
# delivers its logs and runs a Distributed Map's children itself; pass them to unneeded_grants.
NOT_EXERCISED_IN_MOTO = (
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    *LOG_DELIVERY_ACTIONS,
    "states:StartExecution",
    "states:DescribeExecution",
    "states:StopExecution",
    "states:RedriveExecution",
)
_PARAMS = "testkit_authz_params"
_SKIPPED = "testkit_authz_harness"
# botocore protocols whose errors carry the code "AccessDeniedException".
_JSON_PROTOCOLS = ("json", "rest-json", "smithy-rpc-v2-cbor")


@functools.cache
def _protocol(service: str) -> str:
    """botocore's protocol of a service ("json", "query", "rest-xml", ...)."""
    name = {"states": "stepfunctions"}.get(service, service)
    return str(botocore.session.get_session().get_service_model(name).protocol)


@dataclass(frozen=True)
class Check:
    """One authorization request of one call, and how it was decided."""

    function: str
    service: str  # the IAM prefix: iam, secretsmanager, states, ...
    operation: str
    request: AuthorizationRequest
    decision: Decision

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    def describe(self) -> str:
        return (
            f"{self.function}: {self.service}.{self.operation} needs {self.request.describe()}: "
            f"{self.decision.outcome.value} ({self.decision.reason})"
        )


@contextlib.contextmanager
def propagating_context_to_thread_pools() -> Iterator[None]:
    """Run every ``ThreadPoolExecutor.submit``-ted callable in a copy of the submitter's context,
    so that a function's worker threads are attributed to the function (undone on exit)."""
    original = ThreadPoolExecutor.submit

    def submit(
        self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        return original(self, contextvars.copy_context().run, fn, *args, **kwargs)

    ThreadPoolExecutor.submit = submit  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        ThreadPoolExecutor.submit = original  # type: ignore[method-assign]


class AuthorizationGuard:
    """Checks each AWS call against the planned policies of the function making it (see module)."""

    def __init__(
        self,
        policies_by_function: Mapping[str, Sequence[Policy | Mapping[str, Any] | str]],
        facts: AccountFacts | None = None,
        *,
        role_names: Mapping[str, str] | None = None,
        session_names: Mapping[str, str] | None = None,
        default_function: str | None = STATE_MACHINE,
        harness_agent: str = HARNESS_AGENT,
    ) -> None:
        self.policies: dict[str, Sequence[Policy | Mapping[str, Any] | str]] = dict(
            policies_by_function
        )
        self._sets = {key: PolicySet.of(value) for key, value in self.policies.items()}
        self.facts: AccountFacts = facts if facts is not None else MotoFacts()
        self.role_names = dict(role_names or {})
        self.session_names = dict(session_names or {})
        self.default_function = default_function
        self.harness_agent = harness_agent
        self._checks: list[Check] = []
        self._errors: list[str] = []
        self._lock = threading.Lock()

    @classmethod
    def from_plan(
        cls, planned: PlannedPolicies, facts: AccountFacts | None = None, **options: Any
    ) -> AuthorizationGuard:
        """A guard over the plan's functions and state machine, their roles named as planned."""
        return cls(
            planned.by_function,
            facts,
            role_names=planned.role_names,
            session_names=planned.function_names,
            **options,
        )

    def use(self, planned: PlannedPolicies) -> None:
        """Decide from now on against ``planned`` (the module planned for another configuration);
        the checks recorded so far are kept."""
        sets = {key: PolicySet.of(value) for key, value in planned.by_function.items()}
        with self._lock:
            self.policies = dict(planned.by_function)
            self._sets = sets
            self.role_names = dict(planned.role_names)
            self.session_names = dict(planned.function_names)

    # --- who is calling ------------------------------------------------------------------------

    @staticmethod
    @contextlib.contextmanager
    def acting_as(function: str) -> Iterator[None]:
        """Attribute the calls made in this block (and in contexts copied from it) to
        ``function``."""
        token = RUNNING_FUNCTION.set(function)
        try:
            yield
        finally:
            RUNNING_FUNCTION.reset(token)

    def current_function(self) -> str:
        function = RUNNING_FUNCTION.get() or self.default_function
        if function is None:
            raise LookupError("no function is running here and the guard has no default")
        return function

    def principal_arn(self, function: str) -> str:
        role = self.role_names.get(function, function)
        session = self.session_names.get(function, role)
        return f"arn:{self.facts.partition}:sts::{self.facts.account}:assumed-role/{role}/{session}"

    # --- records -------------------------------------------------------------------------------

    @property
    def checks(self) -> list[Check]:
        with self._lock:
            return list(self._checks)

    @property
    def denials(self) -> list[Check]:
        return [check for check in self.checks if not check.allowed]

    @property
    def errors(self) -> list[str]:
        """Calls the guard could not check (no rule, no policies for the function)."""
        with self._lock:
            return list(self._errors)

    def requests_of(self, function: str) -> list[AuthorizationRequest]:
        return [check.request for check in self.checks if check.function == function]

    def reset(self) -> None:
        with self._lock:
            self._checks.clear()
            self._errors.clear()

    def unneeded(
        self, exempt_actions: Iterable[str] = NOT_EXERCISED_IN_MOTO
    ) -> list[UnneededGrant]:
        """``unneeded_grants`` over this guard's policies and the checks it recorded."""
        return unneeded_grants(self.policies, self.checks, exempt_actions=exempt_actions)

    # --- deciding ------------------------------------------------------------------------------

    def decide(
        self, function: str, service: str, operation: str, requests: Iterable[AuthorizationRequest]
    ) -> list[Check]:
        """Decide and record ``requests`` for ``function``; returns the checks, in order."""
        policy_set = self._sets.get(function)
        if policy_set is None:
            message = (
                f"{function} called {service}.{operation}, but the plan has no policies for "
                f"{function} (it has {', '.join(sorted(self._sets))})"
            )
            self._error(message)
            raise LookupError(message)
        extra = {
            "aws:PrincipalArn": f"arn:{self.facts.partition}:iam::{self.facts.account}:role/"
            f"{self.role_names.get(function, function)}",
            "aws:PrincipalAccount": self.facts.account,
            "aws:PrincipalType": "AssumedRole",
        }
        checks = []
        for request in requests:
            full = request.with_context(
                {k: v for k, v in extra.items() if k not in request.context}
            )
            checks.append(Check(function, service, operation, full, evaluate(policy_set, full)))
        with self._lock:
            self._checks.extend(checks)
        return checks

    def authorize(
        self, function: str, service: str, operation: str, params: Mapping[str, Any]
    ) -> list[Check]:
        """Check one call made by ``function``; raise an AccessDenied ``ClientError`` (and
        ``UnmappedCall`` for a call without a rule) as the hook would answer it."""
        checks = self._checks_for(function, service, operation, params)
        denied = next((check for check in checks if not check.allowed), None)
        if denied is not None:
            raise ClientError(
                cast(Any, self.denial_response(denied, _protocol(service))), operation
            )
        return checks

    def _checks_for(
        self, function: str, service: str, operation: str, params: Mapping[str, Any]
    ) -> list[Check]:
        try:
            requests = requests_for(service, operation, params, self.facts)
        except LookupError as exc:
            self._error(f"{function}: {exc}")
            raise
        return self.decide(function, iam_prefix(service), operation, requests)

    def _error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)

    def denial_message(self, check: Check) -> str:
        request, decision = check.request, check.decision
        why = (
            "with an explicit deny in an identity-based policy"
            if decision.outcome is Outcome.EXPLICIT_DENY
            else f"because no identity-based policy allows the {request.action} action"
        )
        note = f"; {request.note}" if request.note else ""
        return (
            f"User: {self.principal_arn(check.function)} is not authorized to perform: "
            f"{request.action} on resource: {request.resource} {why} "
            f"[testkit authorization guard, function {check.function}: {decision.reason}{note}]"
        )

    def denial_response(self, check: Check, protocol: str) -> dict[str, Any]:
        """The parsed error response AWS gives for a denied call of this protocol."""
        json_protocol = protocol in _JSON_PROTOCOLS
        status = 400 if protocol == "json" else 403
        error: dict[str, Any] = {
            "Code": "AccessDeniedException" if json_protocol else "AccessDenied",
            "Message": self.denial_message(check),
        }
        if protocol in ("query", "ec2"):
            error["Type"] = "Sender"
        return {
            "Error": error,
            "ResponseMetadata": {
                "RequestId": str(uuid.uuid4()),
                "HTTPStatusCode": status,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        }

    # --- botocore hooks ------------------------------------------------------------------------

    def register(self, events: Any) -> None:
        """Register the hooks on a session's (or client's) event emitter; see the module for
        when."""
        events.register("before-parameter-build", self.remember_params)
        events.register_last("before-call", self.before_call)
        events.register("after-call.secrets-manager.BatchGetSecretValue", self.after_batch_read)

    def unregister(self, events: Any) -> None:
        events.unregister("before-parameter-build", self.remember_params)
        events.unregister("before-call", self.before_call)
        events.unregister("after-call.secrets-manager.BatchGetSecretValue", self.after_batch_read)

    def remember_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        """``before-parameter-build``: keep the call's API parameters for ``before_call``."""
        context[_PARAMS] = dict(params)

    def _from_harness(self, request_dict: Mapping[str, Any]) -> bool:
        headers = request_dict.get("headers") or {}
        agent = headers.get("User-Agent", "")
        if isinstance(agent, bytes):
            agent = agent.decode(errors="replace")
        return self.harness_agent in str(agent)

    def before_call(
        self, model: Any, params: Mapping[str, Any], context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        """``before-call``: check the call; answer a denied one with AWS's error response."""
        if self._from_harness(params):
            context[_SKIPPED] = True
            return None
        api_params = context.get(_PARAMS)
        if api_params is None:
            message = (
                "the guard's before-parameter-build hook did not run for "
                f"{model.service_model.service_name}.{model.name}: register it with "
                "guard.register(events)"
            )
            self._error(message)
            raise LookupError(message)
        function = self.current_function()
        service = model.service_model.service_name
        checks = self._checks_for(function, service, model.name, api_params)
        denied = next((check for check in checks if not check.allowed), None)
        if denied is None:
            return None
        parsed = self.denial_response(denied, model.service_model.protocol)
        status = parsed["ResponseMetadata"]["HTTPStatusCode"]
        return AWSResponse(params.get("url", ""), status, HTTPHeaders(), None), parsed

    def after_batch_read(
        self,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: dict[str, Any],
        **_: Any,
    ) -> None:
        """``after-call`` of BatchGetSecretValue: each returned secret is authorized as a
        GetSecretValue; a denied one becomes an error entry, as Secrets Manager reports it."""
        if context.get(_SKIPPED) or http_response is None or http_response.status_code >= 300:
            return
        function = self.current_function()
        per_secret = requests_after(
            model.service_model.service_name,
            model.name,
            context.get(_PARAMS, {}),
            parsed,
            self.facts,
        )
        kept = []
        for value in parsed.get("SecretValues", []):
            name = str(value.get("Name") or value.get("ARN"))
            checks = self.decide(function, "secretsmanager", model.name, per_secret.get(name, []))
            denied = next((check for check in checks if not check.allowed), None)
            if denied is None:
                kept.append(value)
                continue
            parsed.setdefault("Errors", []).append(
                {
                    "SecretId": name,
                    "ErrorCode": "AccessDeniedException",
                    "Message": self.denial_message(denied),
                }
            )
        parsed["SecretValues"] = kept
