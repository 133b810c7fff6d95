"""Every AWS call of a test, seen through botocore's events, attributed to the user it is about,
the action and the function that made it."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from moto.iam.models import iam_backends

from testkit.member_accounts import account_of_access_key, rotator_name
from testkit.runner.invocation import INVOCATION, username_of
from testkit.world.setting import ACCOUNT

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
            return username_of(json.loads(params.get("Payload") or b"{}"))
        return None


def _signing_account(request_signer: Any) -> str:
    """The account a client's credentials act in: a member role's temporary key acts in the
    role's account (moto finds it from the key), every other key in the hub's."""
    credentials = getattr(request_signer, "_credentials", None)
    access_key = getattr(credentials, "access_key", None)
    return account_of_access_key(str(access_key)) if access_key else ACCOUNT


def _function_name(params: dict[str, Any]) -> str:
    return str(params.get("FunctionName", "")).rsplit(":", 1)[-1]
