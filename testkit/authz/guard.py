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

Member accounts (testkit/authz/members.py): a function's ``sts:AssumeRole`` is decided against its
own policies (the hub's ``<function name>-member-roles-<n>`` included) and against the planned
member role's trust policy, which must name the function's role. A call signed with a member
role's temporary credentials (the guard finds the role from the access key in moto's STS backend,
``before-call`` gets the client's request signer) acts in the member account as that role: it is
decided against the member role's planned policy, on the member account's users, and recorded
under the role's key (``member-role:<account>``), with the function whose code made it as
``acting``. A call
signed by a role the plan has no member role for is an error, like an unmapped call.

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
in the users parameter (the engine's users_parameter_name) with the settings the test sets (its
own account's selection, old_key_action, secret_kms_key_id: testkit/authorization.py). The module
refuses more than 8,192 bytes of users (about 340 short names): a scale test selects its users by
path instead. The policies name the state machine ``ci-keys`` and the bucket
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

from testkit.authz.facts import AccountFacts, AssumedRoleFacts, MotoFacts
from testkit.authz.members import TRUST_NOTE, MemberRole, trust_decision
from testkit.authz.planned import STATE_MACHINE, PlannedPolicies
from testkit.authz.policy import (
    AuthorizationRequest,
    Decision,
    Outcome,
    Policy,
    PolicySet,
    evaluate,
)
from testkit.authz.requests import NO_OWNER_NOTE, iam_prefix, requests_after, requests_for
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
# What the harness's own clients put in their user agent (testkit/world/setting.py).
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
    """One authorization request of one call, and how it was decided.

    ``function``: the principal whose policies decided it, a function's key, ``state_machine``, or
    a member role's key (``member-role:<account>``); ``acting``: for a member role's call, the
    function whose code made it."""

    function: str
    service: str  # the IAM prefix: iam, secretsmanager, states, ...
    operation: str
    request: AuthorizationRequest
    decision: Decision
    acting: str | None = None

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    def describe(self) -> str:
        who = self.function if self.acting is None else f"{self.acting} as {self.function}"
        return (
            f"{who}: {self.service}.{self.operation} needs {self.request.describe()}: "
            f"{self.decision.outcome.value} ({self.decision.reason})"
        )


@dataclass(frozen=True)
class _Principal:
    """Who a call is decided for: the key of its policies, and the request context it brings."""

    key: str
    role_arn: str
    account: str
    facts: AccountFacts
    acting: str | None = None  # the function whose code called, for a member role's call


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


def _access_key_of(request_signer: Any) -> str | None:
    """The access key a client signs with (None: unsigned, or no credentials)."""
    credentials = getattr(request_signer, "_credentials", None)
    key = getattr(credentials, "access_key", None)
    return str(key) if key else None


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
        # The planned member roles, by role ARN; the last session seen of each, by its key.
        self.members: dict[str, MemberRole] = {}
        self._sessions: dict[str, str] = {}
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

    def use(self, planned: PlannedPolicies, members: Iterable[MemberRole] = ()) -> None:
        """Decide from now on against ``planned`` (the module planned for another configuration)
        and its ``members`` (the member role planned for each member account); the checks
        recorded so far are kept."""
        roles = {role.role_arn: role for role in members}
        policies: dict[str, Sequence[Policy | Mapping[str, Any] | str]] = {
            **planned.by_function,
            **{role.key: role.policies for role in roles.values()},
        }
        sets = {key: PolicySet.of(value) for key, value in policies.items()}
        with self._lock:
            self.policies = policies
            self._sets = sets
            self.role_names = dict(planned.role_names)
            self.session_names = dict(planned.function_names)
            self.members = roles

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

    def role_arn(self, function: str) -> str:
        """The ARN of the role ``function`` runs as (the module's roles have the path "/")."""
        role = self.role_names.get(function, function)
        return f"arn:{self.facts.partition}:iam::{self.facts.account}:role/{role}"

    def _function_principal(self, function: str) -> _Principal:
        return _Principal(function, self.role_arn(function), self.facts.account, self.facts)

    def _member_principal(self, function: str, session: AssumedRoleFacts) -> _Principal:
        """The member role whose credentials signed a call of ``function``."""
        role = self.members.get(session.role_arn)
        if role is None:
            message = (
                f"{function} made a call signed by role {session.role_arn}, for which the plan "
                "has no member role (planned: "
                f"{', '.join(sorted(self.members)) or 'none'})"
            )
            self._error(message)
            raise LookupError(message)
        with self._lock:
            self._sessions[role.key] = session.session_arn
        return _Principal(
            role.key,
            role.role_arn,
            session.account,
            self.facts.for_account(session.account),
            acting=function,
        )

    # --- records -------------------------------------------------------------------------------

    @property
    def checks(self) -> list[Check]:
        with self._lock:
            return list(self._checks)

    @property
    def denials(self) -> list[Check]:
        """The checks AWS would deny for a missing grant (not those it denies whatever the grant:
        a key without an owner, ``NO_OWNER_NOTE``)."""
        return [
            check
            for check in self.checks
            if not check.allowed and check.request.note != NO_OWNER_NOTE
        ]

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
        self,
        function: str,
        service: str,
        operation: str,
        requests: Iterable[AuthorizationRequest],
        *,
        principal: _Principal | None = None,
    ) -> list[Check]:
        """Decide and record ``requests`` for ``function`` (or, for a call signed as a member
        role, for that ``principal``); returns the checks, in order."""
        principal = principal or self._function_principal(function)
        policy_set = self._sets.get(principal.key)
        if policy_set is None:
            message = (
                f"{function} called {service}.{operation}, but the plan has no policies for "
                f"{principal.key} (it has {', '.join(sorted(self._sets))})"
            )
            self._error(message)
            raise LookupError(message)
        extra = self._principal_context(principal)
        checks = []
        for request in requests:
            full = request.with_context(
                {k: v for k, v in extra.items() if k not in request.context}
            )
            checks.append(
                Check(
                    principal.key,
                    service,
                    operation,
                    full,
                    evaluate(policy_set, full),
                    principal.acting,
                )
            )
        with self._lock:
            self._checks.extend(checks)
        return checks

    @staticmethod
    def _principal_context(principal: _Principal) -> dict[str, str]:
        return {
            "aws:PrincipalArn": principal.role_arn,
            "aws:PrincipalAccount": principal.account,
            "aws:PrincipalType": "AssumedRole",
        }

    def _trust_checks(
        self, function: str, params: Mapping[str, Any], identity: Sequence[Check]
    ) -> list[Check]:
        """``sts:AssumeRole`` from the role's side: its planned trust policy must name the role
        of ``function``. A role the plan has none for is unchecked (an error) unless the caller's
        own policies already deny it."""
        role_arn = str(params.get("RoleArn"))
        role = self.members.get(role_arn)
        if role is None:
            if identity and all(check.allowed for check in identity):
                message = (
                    f"{function} assumed role {role_arn}, which its policies allow, but the plan "
                    "has no member role of that ARN whose trust policy could be checked"
                )
                self._error(message)
                raise LookupError(message)
            return []
        caller = self._function_principal(function)
        context = {
            **self._principal_context(caller),
            "aws:SecureTransport": True,
            "aws:RequestedRegion": self.facts.region,
            "sts:RoleSessionName": params.get("RoleSessionName"),
            "sts:ExternalId": params.get("ExternalId"),
        }
        decision = trust_decision(
            role.trust,
            role_arn,
            caller.role_arn,
            context,
            name=f"the trust policy of {role.role_name}",
        )
        check = Check(function, "sts", "AssumeRole", decision.request, decision)
        with self._lock:
            self._checks.append(check)
        return [check]

    def authorize(
        self,
        function: str,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        *,
        access_key_id: str | None = None,
    ) -> list[Check]:
        """Check one call made by ``function`` (signed with ``access_key_id``: a member role's
        temporary key makes it the member role's call); raise an AccessDenied ``ClientError``
        (and ``UnmappedCall`` for a call without a rule) as the hook would answer it."""
        checks = self._checks_for(function, service, operation, params, access_key_id)
        denied = next((check for check in checks if not check.allowed), None)
        if denied is not None:
            raise ClientError(
                cast(Any, self.denial_response(denied, _protocol(service))), operation
            )
        return checks

    def _checks_for(
        self,
        function: str,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        access_key_id: str | None = None,
    ) -> list[Check]:
        session = self.facts.assumed_role(access_key_id) if access_key_id else None
        principal = None if session is None else self._member_principal(function, session)
        facts = self.facts if principal is None else principal.facts
        try:
            requests = requests_for(service, operation, params, facts)
        except LookupError as exc:
            who = function if principal is None else f"{function} as {principal.key}"
            self._error(f"{who}: {exc}")
            raise
        prefix = iam_prefix(service)
        checks = self.decide(function, prefix, operation, requests, principal=principal)
        if (prefix, operation) == ("sts", "AssumeRole") and principal is None:
            checks += self._trust_checks(function, params, checks)
        return checks

    def _error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)

    def denial_message(self, check: Check) -> str:
        request, decision = check.request, check.decision
        if request.note == TRUST_NOTE:
            why = (
                "with an explicit deny in a resource-based policy"
                if decision.outcome is Outcome.EXPLICIT_DENY
                else "because no resource-based policy allows the sts:AssumeRole action"
            )
        elif decision.outcome is Outcome.EXPLICIT_DENY:
            why = "with an explicit deny in an identity-based policy"
        else:
            why = f"because no identity-based policy allows the {request.action} action"
        note = f"; {request.note}" if request.note else ""
        if check.acting is None:
            who, whose = self.principal_arn(check.function), f"function {check.function}"
        else:
            role = next(r for r in self.members.values() if r.key == check.function)
            who = self._sessions.get(role.key, role.role_arn)
            whose = f"function {check.acting} as {role.role_arn}"
        return (
            f"User: {who} is not authorized to perform: "
            f"{request.action} on resource: {request.resource} {why} "
            f"[testkit authorization guard, {whose}: {decision.reason}{note}]"
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
        self,
        model: Any,
        params: Mapping[str, Any],
        context: dict[str, Any],
        request_signer: Any = None,
        **_: Any,
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
        checks = self._checks_for(
            function, service, model.name, api_params, _access_key_of(request_signer)
        )
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
