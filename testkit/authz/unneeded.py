"""Grants that no recorded request needs: ``unneeded_grants(policies_by_function, recorded)``.

For every Allow statement, every action and every resource of every policy, the grant is removed in
memory and the function's recorded requests that were allowed are decided again; a grant whose
removal denies none of them is reported. So "removing any one action or narrowing any one
resource must fail a test" is proven from one run's record, without planning the module again:
an empty report means every grant was needed by some request the tests made.

Only the requests whose every allowing statement loses the grant can change, so each removal
re-decides only those.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from testkit.authz.policy import (
    AuthorizationRequest,
    Policy,
    PolicySet,
    Statement,
    _Patterns,
    evaluate,
)


class Recorded(Protocol):
    @property
    def function(self) -> str: ...

    @property
    def request(self) -> AuthorizationRequest: ...


@dataclass(frozen=True)
class UnneededGrant:
    """One grant whose removal denies none of the recorded requests of its function."""

    function: str
    policy: str
    statement: str  # Sid, or "statement <n>"
    kind: str  # "statement", "action" or "resource"
    value: str  # the action or resource pattern; the Sid for a statement

    def describe(self) -> str:
        what = self.kind if self.kind == "statement" else f"{self.kind} {self.value}"
        return f"{self.function}: {self.policy}/{self.statement}: {what} is never needed"


def _without(statement: Statement, kind: str, value: str) -> Statement | None:
    """The statement with one action or resource removed (None: nothing left of it)."""
    if kind == "action":
        remaining = tuple(p for p in statement.actions.patterns if p != value)
        if not remaining:
            return None
        return _replace(statement, actions=_Patterns(remaining, ignore_case=True))
    remaining = tuple(p for p in statement.resources.patterns if p != value)
    if not remaining:
        return None
    return _replace(statement, resources=_Patterns(remaining, ignore_case=False))


def _replace(statement: Statement, **changes: Any) -> Statement:
    return dataclasses.replace(statement, **changes)


def _requests_of(
    recorded: Iterable[Recorded | tuple[str, AuthorizationRequest]],
) -> dict[str, set[AuthorizationRequest]]:
    by_function: dict[str, set[AuthorizationRequest]] = {}
    for item in recorded:
        function, request = item if isinstance(item, tuple) else (item.function, item.request)
        by_function.setdefault(function, set()).add(request)
    return by_function


def unneeded_grants(
    policies_by_function: Mapping[str, Sequence[Policy | Mapping[str, Any] | str]],
    recorded_requests: Iterable[Recorded | tuple[str, AuthorizationRequest]],
    *,
    exempt_actions: Iterable[str] = (),
) -> list[UnneededGrant]:
    """Every Allow statement, action and resource whose removal denies no recorded request.

    ``recorded_requests``: the guard's ``checks`` (anything with ``function`` and ``request``) or
    ``(function, request)`` pairs. ``exempt_actions``: action patterns never reported (grants no
    emulated call exercises, such as the Lambda runtime's ``logs:PutLogEvents``); a statement all
    of whose actions are exempt is not reported either.
    """
    exempt = _Patterns(tuple(exempt_actions), ignore_case=True)
    requests = _requests_of(recorded_requests)
    report: list[UnneededGrant] = []
    for function, policies in policies_by_function.items():
        policy_set = PolicySet.of(policies)
        allowed: dict[AuthorizationRequest, tuple[Statement, ...]] = {}
        for request in requests.get(function, set()):
            decision = evaluate(policy_set, request)
            if decision.allowed:
                allowed[request] = decision.matched
        for statement in policy_set.statements:
            if statement.effect != "Allow" or statement.not_action or statement.not_resource:
                continue  # removing from a Deny, NotAction or NotResource never denies more
            sole = [r for r, matched in allowed.items() if matched == (statement,)]
            label = statement.sid or f"statement {statement.index}"
            grants = [
                *(("action", a) for a in statement.actions.patterns),
                *(("resource", r) for r in statement.resources.patterns),
            ]
            if all(exempt.match(a) for a in statement.actions.patterns):
                continue
            if not sole:  # (then each of its actions and resources is unneeded too)
                report.append(UnneededGrant(function, statement.policy, label, "statement", label))
                continue
            for kind, value in grants:
                if kind == "action" and exempt.match(value):
                    continue
                narrowed = _without(statement, kind, value)
                if any(narrowed is None or not narrowed.applies(r) for r in sole):
                    continue
                report.append(UnneededGrant(function, statement.policy, label, kind, value))
    return report
