"""The invocation of a function the harness runs, known to every call made while it runs."""

from __future__ import annotations

import contextvars
import itertools
from dataclasses import dataclass, field
from typing import Any

from testkit.member_accounts import rotator_name

# Numbers each invocation, so that two invocations of a function for one user (a retry) differ.
_INVOCATION_NUMBERS = itertools.count()


class FunctionDied(BaseException):
    """A function's process died (a crash, or a call that hung past its timeout): nothing after
    it runs. A BaseException, so that no ``except Exception`` of the engine can catch it."""


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


def username_of(event: Any) -> str | None:
    """The rotator's name of the user an event is about (the handler's payload names a member
    account's user by ``accountId`` and its IAM user name)."""
    if not isinstance(event, dict):
        return None
    user = event.get("username") or (event.get("user") or {}).get("username")
    if not isinstance(user, str):
        return None
    account_id = event.get("accountId")
    return rotator_name(account_id if isinstance(account_id, str) else None, user)
