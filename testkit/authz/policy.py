"""A pure evaluator of IAM identity-based policies: ``evaluate(policies, request) -> Decision``.

What it models, as the IAM User Guide documents it:

- Evaluation order: an explicit ``Deny`` that applies wins; otherwise an ``Allow`` that applies
  allows; otherwise the request is implicitly denied.
- A statement applies when its ``Action`` matches (or ``NotAction`` does not), its ``Resource``
  matches (or ``NotResource`` does not) and every condition holds. A single string or a list is
  accepted wherever AWS accepts either.
- Wildcards ``*`` (any run of characters) and ``?`` (one character): action names compare without
  case, resource ARNs with case ("In the Resource element, the IAM user name is case sensitive").
  A resource pattern is matched against the whole ARN, so a ``*`` may extend across ``:``, as AWS
  documents for a ``*`` that ends an ARN segment. A request for an action that takes no resource
  type has the resource ``*``; only the pattern ``*`` (or ``NotResource``) covers it.
- Conditions: operators are ANDed, keys under one operator are ANDed, the values of one key are
  ORed, and NORed for a negated operator (``StringNotEquals``...). Condition key names compare
  without case. A key missing from the request context makes a condition false, a negated one
  true; ``...IfExists`` makes it true; ``Null`` tests presence (``"true"``: absent). With
  ``ForAnyValue:`` a missing (or empty) key is false, with ``ForAllValues:`` true; a single-valued
  key counts as a set of one value.
- Operators: ``String(Not)Equals``, ``String(Not)EqualsIgnoreCase``, ``String(Not)Like``,
  ``Arn(Not)Equals``, ``Arn(Not)Like`` (each of the six ``:``-separated parts of the ARN matched on
  its own; both compare the same way), ``Numeric*``, ``Bool`` and ``Null``. Any other operator, a
  policy variable (``${...}``), a ``Principal`` (identity policies have none) or a multivalued key
  tested without a set operator raises ``PolicyError``: the evaluator refuses what it does not model
  rather than guess.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ContextValue = str | tuple[str, ...]


class PolicyError(ValueError):
    """A policy (or request) the evaluator cannot read, or that uses what it does not model."""


# --- the request ---------------------------------------------------------------------------------


def _context_value(value: object) -> ContextValue | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Iterable):
        return tuple(str(_context_value(item)) for item in value)
    raise PolicyError(f"a request context value must be a string, a bool or a list: {value!r}")


class Context(Mapping[str, ContextValue]):
    """The request context: key -> a string, or a tuple of strings for a multivalued key.

    Key names compare without case, as AWS compares condition keys; a key whose value is None is
    absent. Immutable and hashable, so requests can be deduplicated.
    """

    __slots__ = ("_by_lower", "_hash")

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        by_lower: dict[str, tuple[str, ContextValue]] = {}
        for name, raw in (values or {}).items():
            value = _context_value(raw)
            if value is not None:
                by_lower[name.lower()] = (name, value)
        self._by_lower = by_lower
        self._hash = hash(frozenset((k, v) for k, (_, v) in by_lower.items()))

    def __getitem__(self, key: str) -> ContextValue:
        return self._by_lower[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._by_lower

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._by_lower.values())

    def __len__(self) -> int:
        return len(self._by_lower)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Context):
            return {k: v for k, (_, v) in self._by_lower.items()} == {
                k: v for k, (_, v) in other._by_lower.items()
            }
        return NotImplemented

    def __repr__(self) -> str:
        return f"Context({dict(self.items())!r})"

    def merged(self, extra: Mapping[str, object]) -> Context:
        """A copy with ``extra``'s keys added (or replaced)."""
        return Context({**dict(self.items()), **extra})


@dataclass(frozen=True)
class AuthorizationRequest:
    """One authorization AWS makes: an action on one resource (``*`` when the action takes no
    resource type), with the request context's condition keys. ``note`` explains an unusual
    request in messages; it takes no part in comparisons."""

    action: str
    resource: str
    context: Context = field(default_factory=Context)
    note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.context, Context):
            object.__setattr__(self, "context", Context(self.context))
        if ":" not in self.action:
            raise PolicyError(f"an action is <service>:<name>, not {self.action!r}")

    def with_context(self, extra: Mapping[str, object]) -> AuthorizationRequest:
        return AuthorizationRequest(
            self.action, self.resource, self.context.merged(extra), note=self.note
        )

    def describe(self) -> str:
        return f"{self.action} on {self.resource}"


# --- policies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """A named policy document (a mapping, or its JSON text)."""

    name: str
    document: Mapping[str, Any]

    @classmethod
    def of(cls, policy: Policy | Mapping[str, Any] | str, default_name: str = "policy") -> Policy:
        if isinstance(policy, Policy):
            return policy
        if isinstance(policy, str):
            try:
                policy = json.loads(policy)
            except json.JSONDecodeError as exc:
                raise PolicyError(f"{default_name} is not JSON: {exc}") from exc
        if not isinstance(policy, Mapping):
            raise PolicyError(f"{default_name} is not a policy document: {policy!r}")
        return cls(default_name, policy)


@functools.cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """``*`` and ``?`` as IAM reads them; everything else literal."""
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


class _Patterns:
    """A list of Action or Resource patterns; exact ones are looked up, wildcards matched."""

    def __init__(self, patterns: Sequence[str], *, ignore_case: bool) -> None:
        self.patterns = tuple(patterns)
        self.ignore_case = ignore_case
        fold = str.lower if ignore_case else str
        self._exact = {fold(p) for p in patterns if not _has_wildcard(p)}
        self._wild = [_glob(p, ignore_case) for p in patterns if _has_wildcard(p)]

    def match(self, value: str) -> bool:
        if (value.lower() if self.ignore_case else value) in self._exact:
            return True
        return any(pattern.fullmatch(value) for pattern in self._wild)


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyError(f"{where} must be a string or a list of strings, not {value!r}")


def _arn_parts(value: str) -> list[str] | None:
    parts = value.split(":", 5)
    return parts if len(parts) == 6 and parts[0] == "arn" else None


def _arn_like(value: str, pattern: str) -> bool:
    """ArnLike/ArnEquals: each of the six parts of the ARN matched on its own, with case."""
    got, want = _arn_parts(value), _arn_parts(pattern)
    if got is None or want is None:
        return False
    return all(_glob(w, False).fullmatch(g) for g, w in zip(got, want, strict=True))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(compare: Any) -> Any:
    def match(value: str, wanted: str) -> bool:
        got, want = _number(value), _number(wanted)
        return got is not None and want is not None and bool(compare(got, want))

    return match


# Operator (without set prefix or IfExists) -> (how one request value matches one policy value,
# negated). Negated operators NOR the policy's values.
_OPERATORS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (lambda v, p: v == p, False),
    "StringNotEquals": (lambda v, p: v == p, True),
    "StringEqualsIgnoreCase": (lambda v, p: v.casefold() == p.casefold(), False),
    "StringNotEqualsIgnoreCase": (lambda v, p: v.casefold() == p.casefold(), True),
    "StringLike": (lambda v, p: _glob(p, False).fullmatch(v) is not None, False),
    "StringNotLike": (lambda v, p: _glob(p, False).fullmatch(v) is not None, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (lambda v, p: v.lower() == p.lower(), False),
    "NumericEquals": (_numeric(lambda a, b: a == b), False),
    "NumericNotEquals": (_numeric(lambda a, b: a == b), True),
    "NumericLessThan": (_numeric(lambda a, b: a < b), False),
    "NumericLessThanEquals": (_numeric(lambda a, b: a <= b), False),
    "NumericGreaterThan": (_numeric(lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_numeric(lambda a, b: a >= b), False),
}
_OPERATOR_NAMES = {name.lower(): name for name in [*_OPERATORS, "Null"]}
_SET_OPERATORS = {"foranyvalue": "ForAnyValue", "forallvalues": "ForAllValues"}


def _condition_values(value: object, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    values = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            values.append(str(item))
        else:
            raise PolicyError(f"{where}: a condition value must be a string, number or bool")
    if not values:
        raise PolicyError(f"{where}: a condition needs at least one value")
    return tuple(values)


@dataclass(frozen=True)
class Condition:
    """One key under one operator of a statement's Condition block."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    base: str  # "StringLike"
    set_operator: str | None  # "ForAnyValue", "ForAllValues" or None
    if_exists: bool
    key: str  # as written
    values: tuple[str, ...]

    @classmethod
    def parse(cls, operator: str, key: str, raw: object, where: str) -> Condition:
        set_operator = None
        name = operator
        if ":" in name:
            prefix, name = name.split(":", 1)
            set_operator = _SET_OPERATORS.get(prefix.lower())
            if set_operator is None:
                raise PolicyError(f"{where}: unknown set operator {prefix!r} in {operator!r}")
        if_exists = name.lower().endswith("ifexists") and name.lower() != "ifexists"
        if if_exists:
            name = name[: -len("IfExists")]
        base = _OPERATOR_NAMES.get(name.lower())
        if base is None:
            raise PolicyError(
                f"{where}: condition operator {operator!r} is not modelled by this evaluator "
                f"(it models {', '.join(sorted(_OPERATOR_NAMES.values()))})"
            )
        values = _condition_values(raw, f"{where} {operator} {key}")
        if base == "Null":
            if if_exists or set_operator:
                raise PolicyError(f"{where}: {operator!r} is not a valid operator")
            if any(v.lower() not in ("true", "false") for v in values):
                raise PolicyError(f"{where}: Null takes true or false, not {list(values)}")
        if any("${" in v for v in values):
            raise PolicyError(f"{where}: policy variables ({list(values)}) are not modelled")
        return cls(operator, base, set_operator, if_exists, key, values)

    def holds(self, context: Context) -> bool:
        value = context.get(self.key)
        if self.base == "Null":
            absent = value is None or value == ()
            return any((wanted.lower() == "true") == absent for wanted in self.values)
        match, negated = _OPERATORS[self.base]

        def one(item: str) -> bool:
            matched = any(match(item, wanted) for wanted in self.values)
            return not matched if negated else matched

        if self.set_operator is None:
            if value is None:
                return self.if_exists or negated
            if isinstance(value, tuple):
                raise PolicyError(
                    f"condition key {self.key} holds several values {list(value)}; {self.operator} "
                    "needs ForAnyValue: or ForAllValues: for it (not modelled without)"
                )
            return one(value)
        items = (value,) if isinstance(value, str) else (value or ())
        if not items:
            return self.set_operator == "ForAllValues"
        results = [one(item) for item in items]
        return any(results) if self.set_operator == "ForAnyValue" else all(results)

    def describe(self, context: Context) -> str:
        value = context.get(self.key)
        seen = "absent from the request" if value is None else f"{value!r} in the request"
        return f"{self.operator} {self.key} {list(self.values)} ({seen})"


@dataclass(frozen=True)
class Statement:
    """One statement of a policy, ready to match requests."""

    policy: str
    index: int
    sid: str | None
    effect: str  # "Allow" or "Deny"
    actions: _Patterns
    not_action: bool
    resources: _Patterns
    not_resource: bool
    conditions: tuple[Condition, ...]
    source: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.policy}/{self.sid if self.sid else f'statement {self.index}'}"

    def covers_action(self, action: str) -> bool:
        return self.actions.match(action) != self.not_action

    def covers_resource(self, resource: str) -> bool:
        return self.resources.match(resource) != self.not_resource

    def failed_condition(self, context: Context) -> Condition | None:
        return next((c for c in self.conditions if not c.holds(context)), None)

    def applies(self, request: AuthorizationRequest) -> bool:
        return (
            self.covers_action(request.action)
            and self.covers_resource(request.resource)
            and self.failed_condition(request.context) is None
        )


def _parse_statement(policy: str, index: int, raw: object, version: str | None) -> Statement:
    where = f"{policy} statement {index}"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where} is not an object")
    sid = raw.get("Sid")
    where = f"{policy} statement {sid or index}"
    if "Principal" in raw or "NotPrincipal" in raw:
        raise PolicyError(f"{where} names a principal: not an identity-based policy")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}: Effect must be Allow or Deny, not {effect!r}")
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError(f"{where} needs exactly one of Action and NotAction")
    if ("Resource" in raw) == ("NotResource" in raw):
        raise PolicyError(f"{where} needs exactly one of Resource and NotResource")
    action_key = "Action" if "Action" in raw else "NotAction"
    resource_key = "Resource" if "Resource" in raw else "NotResource"
    actions = _strings(raw[action_key], f"{where} {action_key}")
    for action in actions:
        if action != "*" and ":" not in action:
            raise PolicyError(f"{where}: action {action!r} has no service prefix")
    resources = _strings(raw[resource_key], f"{where} {resource_key}")
    if version == "2012-10-17" and any("${" in r for r in resources):
        raise PolicyError(f"{where}: policy variables in {list(resources)} are not modelled")
    block = raw.get("Condition", {})
    if not isinstance(block, Mapping):
        raise PolicyError(f"{where}: Condition must be an object")
    conditions = []
    for operator, keys in block.items():
        if not isinstance(keys, Mapping) or not keys:
            raise PolicyError(f"{where}: {operator} must map condition keys to values")
        for key, values in keys.items():
            conditions.append(Condition.parse(operator, key, values, where))
    return Statement(
        policy=policy,
        index=index,
        sid=sid if isinstance(sid, str) and sid else None,
        effect=effect,
        actions=_Patterns(actions, ignore_case=True),
        not_action=action_key == "NotAction",
        resources=_Patterns(resources, ignore_case=False),
        not_resource=resource_key == "NotResource",
        conditions=tuple(conditions),
        source=raw,
    )


class PolicySet:
    """Policies parsed once, to evaluate many requests against them."""

    def __init__(self, policies: Iterable[Policy | Mapping[str, Any] | str]) -> None:
        self.policies: tuple[Policy, ...] = tuple(
            Policy.of(policy, f"policy {index}") for index, policy in enumerate(policies)
        )
        statements: list[Statement] = []
        for policy in self.policies:
            version = policy.document.get("Version")
            raw = policy.document.get("Statement")
            if raw is None:
                raise PolicyError(f"{policy.name} has no Statement")
            items = [raw] if isinstance(raw, Mapping) else raw
            if not isinstance(items, list):
                raise PolicyError(f"{policy.name}: Statement must be an object or a list")
            statements.extend(
                _parse_statement(policy.name, index, item, version)
                for index, item in enumerate(items)
            )
        self.statements: tuple[Statement, ...] = tuple(statements)

    @classmethod
    def of(cls, policies: PolicySet | Iterable[Policy | Mapping[str, Any] | str]) -> PolicySet:
        return policies if isinstance(policies, PolicySet) else cls(policies)


# --- the decision ----------------------------------------------------------------------------


class Outcome(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Decision:
    """The outcome, the statement that decided it (the first explicit deny or allow), every
    statement of that effect that applies, and a reason to show a person."""

    outcome: Outcome
    request: AuthorizationRequest
    statement: Statement | None
    matched: tuple[Statement, ...]
    reason: str

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW


def evaluate(
    policies: PolicySet | Iterable[Policy | Mapping[str, Any] | str],
    request: AuthorizationRequest,
) -> Decision:
    """Decide ``request`` as AWS decides against identity-based policies: explicit deny, then
    allow, else implicit deny."""
    policy_set = PolicySet.of(policies)
    allows: list[Statement] = []
    denies: list[Statement] = []
    misses: list[str] = []
    for statement in policy_set.statements:
        if not statement.covers_action(request.action):
            continue
        if not statement.covers_resource(request.resource):
            if statement.effect == "Allow":
                misses.append(f"{statement.label} does not cover resource {request.resource}")
            continue
        failed = statement.failed_condition(request.context)
        if failed is not None:
            if statement.effect == "Allow":
                misses.append(
                    f"{statement.label} requires {failed.describe(request.context)}, which fails"
                )
            continue
        (denies if statement.effect == "Deny" else allows).append(statement)
    if denies:
        return Decision(
            Outcome.EXPLICIT_DENY,
            request,
            denies[0],
            tuple(denies),
            f"{denies[0].label} explicitly denies {request.describe()}",
        )
    if allows:
        return Decision(
            Outcome.ALLOW,
            request,
            allows[0],
            tuple(allows),
            f"{allows[0].label} allows {request.describe()}",
        )
    reason = (
        f"no statement allows {request.action}"
        if not misses
        else f"no statement allows {request.describe()}: " + "; ".join(misses)
    )
    return Decision(Outcome.IMPLICIT_DENY, request, None, (), reason)
