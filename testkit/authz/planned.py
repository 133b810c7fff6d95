"""The policies the module plans for each role, read from a real ``terraform plan``.

``plan_policies(users, ...)`` plans ``fixture/main.tf`` (the module as the workflow tier deploys it
in moto: name ``ci-keys``, us-east-1, account 123456789012) exactly as
``tests/terraform/test_tf_least_privilege.py`` plans its fixture: the AWS provider pointed at a
local moto server (``tests/terraform/moto_for_plan.py``), offline through the provider mirror
(``testkit/terraform.py``), then ``terraform show -json``. From the plan it gathers, per role, the
inline policies (``aws_iam_role_policy``, a role's ``inline_policy`` blocks) and the managed
policies the module attaches (``aws_iam_policy`` + ``aws_iam_role_policy_attachment``), and keys
them by the principal that uses the role: a Lambda function's key in the module (``plan``,
``rotate``, ..., read from the plan) or ``state_machine``. The schedule's role and the policy the
module attaches to the credentials handler's role are in ``others``.

Member accounts are inputs like any other (``users[].account_id``, ``accounts``,
``member_role_name``, ``member_external_id``): the managed policies that let the functions assume
the member roles (``<function name>-member-roles-<n>``) are gathered with the rest. The member
roles themselves are another module's (``modules/member-role``), planned by
testkit/authz/members.py.

Each distinct configuration is planned once (testkit/authz/planning.py): the result is cached
under ``.build/authz/``, keyed by a hash of every ``*.tf`` file of the module, the state machine
template, the fixture and the parameters, so a plan is never older than the files it came from.
A configuration missing from the cache is planned together with every other configuration of the
set (``configuration_set``: those the tiers plan, and those cached for earlier versions of the
files) whose plan is missing too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testkit.authz import configuration_set, planning
from testkit.authz.planning import PlanError, Planning
from testkit.authz.policy import Policy
from testkit.terraform import Terraform

REPO = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "fixture"
TEMPLATE = REPO / "step_function.asl.json.tpl"
MODULE_CALL = "rotator"
NAME = "ci-keys"
ACCOUNT = "123456789012"
REGION = "us-east-1"
# The credentials handler of the workflow tier (tests/fixtures/state_machine_variables.json).
CREDENTIALS_HANDLER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{NAME}-consumer"
CREDENTIALS_HANDLER_ROLE = f"{NAME}-consumer"
# The tags of the workflow tier's engine (secret_tags of tests/fixtures/settings.json).
WORKFLOW_TAGS: Mapping[str, str] = {"team": "platform"}
# Users the workflow tests create by name; pass your own list where a test needs others.
WORKFLOW_USERS = ("homer", "bart", "lisa", "marge", "maggie", "ghost", "moe")
# The module's default member_role_name (variables.tf).
MEMBER_ROLE_NAME = "credentials-rotator-member"
STATE_MACHINE = "state_machine"
# Bump when the cached format or the way policies are gathered changes.
CACHE_FORMAT = 2
# IAM's size limits (characters without whitespace) and default quota of attached policies.
INLINE_LIMIT = 10_240
MANAGED_LIMIT = 6_144
MANAGED_PER_ROLE = 10


@dataclass(frozen=True)
class User:
    """A user of the module's ``users`` input; ``account_id``: a member account's (None: the
    hub's)."""

    username: str
    metadata: str | None = None
    account_id: str | None = None

    @classmethod
    def of(cls, user: str | Mapping[str, Any] | User) -> User:
        """From a User, a name (``<account_id>/<username>`` for a member account's user, as the
        rotator names it) or a mapping with ``username`` and optional ``metadata`` and
        ``account_id`` (or ``accountId``, as the users parameter spells it)."""
        if isinstance(user, User):
            return user
        if isinstance(user, str):
            account_id, slash, name = user.rpartition("/")
            return cls(name, account_id=account_id) if slash else cls(user)
        account_id = user.get("account_id", user.get("accountId"))
        return cls(str(user["username"]), user.get("metadata"), account_id)

    def variables(self) -> dict[str, Any]:
        found: dict[str, Any] = {"username": self.username}
        if self.metadata is not None:
            found["metadata"] = self.metadata
        if self.account_id is not None:
            found["account_id"] = self.account_id
        return found


@dataclass(frozen=True)
class MemberAccountConfiguration:
    """One entry of the module's ``accounts`` input."""

    user_path_prefix: str | None = None
    user_tag: tuple[str, str | None] | None = None  # (key, value or None for any value)
    exclude_users: tuple[str, ...] = ()
    role_name: str | None = None

    @classmethod
    def of(
        cls, account: Mapping[str, Any] | MemberAccountConfiguration
    ) -> MemberAccountConfiguration:
        """From the module's spelling (``user_path_prefix``, ``user_tag``, ``exclude_users``,
        ``role_name``) or an account of the settings document (``role_arn`` for ``role_name``;
        its ``user_listing`` is the module's to derive)."""
        if isinstance(account, MemberAccountConfiguration):
            return account
        tag = account.get("user_tag")
        role_arn = account.get("role_arn")
        return cls(
            user_path_prefix=account.get("user_path_prefix"),
            user_tag=None if tag is None else (str(tag["key"]), tag.get("value")),
            exclude_users=tuple(sorted(account.get("exclude_users") or ())),
            role_name=account.get("role_name") or (role_arn and role_arn.rsplit("/", 1)[-1]),
        )

    def variables(self) -> dict[str, Any]:
        return {
            "user_path_prefix": self.user_path_prefix,
            "user_tag": None
            if self.user_tag is None
            else {"key": self.user_tag[0], "value": self.user_tag[1]},
            "exclude_users": sorted(self.exclude_users),
            "role_name": self.role_name,
        }


@dataclass(frozen=True)
class PlanConfiguration:
    """The module's inputs that the planned policies depend on."""

    users: tuple[User, ...]
    user_path_prefix: str | None = None
    user_tag: tuple[str, str | None] | None = None  # (key, value or None for any value)
    exclude_users: tuple[str, ...] = ()
    old_key_action: str = "delete"
    in_use_key_action: str = "defer"
    kms_key_arn: str | None = None
    event_bus_name: str | None = "default"
    tags: tuple[tuple[str, str], ...] = tuple(sorted(WORKFLOW_TAGS.items()))
    credentials_handler_arn: str = CREDENTIALS_HANDLER_ARN
    credentials_handler_role_name: str | None = CREDENTIALS_HANDLER_ROLE
    # Member accounts: (account id, its entry of ``accounts``), sorted by id.
    accounts: tuple[tuple[str, MemberAccountConfiguration], ...] = ()
    member_role_name: str = MEMBER_ROLE_NAME
    member_external_id: str | None = None

    @classmethod
    def from_variables(cls, variables: Mapping[str, Any]) -> PlanConfiguration:
        """The configuration whose ``variables()`` these are."""
        tag = variables["user_tag"]
        return cls(
            users=tuple(User.of(user) for user in variables["users"]),
            user_path_prefix=variables["user_path_prefix"],
            user_tag=None if tag is None else (str(tag["key"]), tag.get("value")),
            exclude_users=tuple(sorted(variables["exclude_users"])),
            old_key_action=variables["old_key_action"],
            in_use_key_action=variables["in_use_key_action"],
            kms_key_arn=variables["kms_key_arn"],
            event_bus_name=variables["event_bus_name"],
            tags=tuple(sorted(variables["tags"].items())),
            credentials_handler_arn=variables["credentials_handler_arn"],
            credentials_handler_role_name=variables["credentials_handler_role_name"],
            accounts=tuple(
                sorted(
                    (account_id, MemberAccountConfiguration.of(entry))
                    for account_id, entry in variables["accounts"].items()
                )
            ),
            member_role_name=variables["member_role_name"],
            member_external_id=variables["member_external_id"],
        )

    def describe(self) -> str:
        parts = [f"{len(self.users)} listed users"]
        shown = ("user_path_prefix", "user_tag", "exclude_users", "kms_key_arn", "accounts")
        for name in (*shown, "member_external_id"):
            if getattr(self, name):
                parts.append(f"{name}={getattr(self, name)!r}")
        parts.append(f"old_key_action={self.old_key_action}")
        parts.append(f"in_use_key_action={self.in_use_key_action}")
        parts.append(f"event_bus_name={self.event_bus_name}")
        return ", ".join(parts)

    def variables(self) -> dict[str, Any]:
        """The module's inputs (one configuration of the fixture's ``configurations``)."""
        return {
            "users": [user.variables() for user in self.users],
            "user_path_prefix": self.user_path_prefix,
            "user_tag": None
            if self.user_tag is None
            else {"key": self.user_tag[0], "value": self.user_tag[1]},
            "exclude_users": sorted(self.exclude_users),
            "old_key_action": self.old_key_action,
            "in_use_key_action": self.in_use_key_action,
            "event_bus_name": self.event_bus_name,
            "kms_key_arn": self.kms_key_arn,
            "tags": dict(self.tags),
            "credentials_handler_arn": self.credentials_handler_arn,
            "credentials_handler_role_name": self.credentials_handler_role_name,
            "accounts": {account_id: entry.variables() for account_id, entry in self.accounts},
            "member_role_name": self.member_role_name,
            "member_external_id": self.member_external_id,
        }


@dataclass(frozen=True)
class PlannedPolicies:
    """What the module plans for its roles, keyed by principal.

    ``by_function``: the module's function keys (``plan``, ``rotate``, ...) and ``state_machine``
    -> the policies of the role each runs as. ``role_names``: the same keys -> the role's name.
    ``function_names``: function key -> the Lambda function's name (``ci-keys-rotate``).
    ``others``: the schedule's role (``schedule``) and roles outside the module that it attaches
    policies to (``credentials_handler``), by the resource name of their policy or role.
    """

    configuration: PlanConfiguration
    by_function: Mapping[str, tuple[Policy, ...]]
    role_names: Mapping[str, str]
    function_names: Mapping[str, str]
    others: Mapping[str, tuple[Policy, ...]] = field(default_factory=dict)
    managed: frozenset[str] = frozenset()  # names of the managed (not inline) policies

    @property
    def functions(self) -> list[str]:
        """The module's function keys, in the plan's order (``state_machine`` excluded)."""
        return [key for key in self.by_function if key != STATE_MACHINE]

    def to_json(self) -> dict[str, Any]:
        def policies(found: Mapping[str, tuple[Policy, ...]]) -> dict[str, Any]:
            return {
                key: [{"name": p.name, "document": p.document} for p in items]
                for key, items in found.items()
            }

        return {
            "format": CACHE_FORMAT,
            "configuration": self.configuration.variables(),
            "by_function": policies(self.by_function),
            "role_names": dict(self.role_names),
            "function_names": dict(self.function_names),
            "others": policies(self.others),
            "managed": sorted(self.managed),
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], configuration: PlanConfiguration
    ) -> PlannedPolicies:
        def policies(found: Mapping[str, Any]) -> dict[str, tuple[Policy, ...]]:
            return {
                key: tuple(Policy(p["name"], p["document"]) for p in items)
                for key, items in found.items()
            }

        return cls(
            configuration=configuration,
            by_function=policies(data["by_function"]),
            role_names=dict(data["role_names"]),
            function_names=dict(data["function_names"]),
            others=policies(data["others"]),
            managed=frozenset(data.get("managed", [])),
        )

    def size_problems(self) -> list[str]:
        """What IAM would refuse at apply for its size: more than 10,240 characters of inline
        policy per role, 6,144 per managed policy, 10 managed policies per role (default quota),
        counted without whitespace. Authorization does not depend on it; deploying does."""
        problems = []
        for key, policies in {**self.by_function, **self.others}.items():
            inline = [p for p in policies if p.name not in self.managed]
            managed = [p for p in policies if p.name in self.managed]
            total = sum(_size(p) for p in inline)
            if total > INLINE_LIMIT:
                problems.append(
                    f"{key}: its inline policies total {total} characters; IAM allows "
                    f"{INLINE_LIMIT:,} per role"
                )
            for policy in managed:
                if _size(policy) > MANAGED_LIMIT:
                    problems.append(
                        f"{key}: managed policy {policy.name} has {_size(policy)} characters; IAM "
                        f"allows {MANAGED_LIMIT:,}"
                    )
            if len(managed) > MANAGED_PER_ROLE:
                problems.append(
                    f"{key}: {len(managed)} managed policies; IAM allows {MANAGED_PER_ROLE} per "
                    "role by default"
                )
        return problems


def _size(policy: Policy) -> int:
    return len(json.dumps(policy.document, separators=(",", ":")))


def plan_policies(
    users: Sequence[str | Mapping[str, Any] | User],
    *,
    user_path_prefix: str | None = None,
    user_tag: Mapping[str, str | None] | tuple[str, str | None] | None = None,
    exclude_users: Sequence[str] = (),
    old_key_action: str = "delete",
    in_use_key_action: str = "defer",
    kms_key_arn: str | None = None,
    tags: Mapping[str, str] = WORKFLOW_TAGS,
    accounts: Mapping[str, Mapping[str, Any] | MemberAccountConfiguration] | None = None,
    member_role_name: str = MEMBER_ROLE_NAME,
    member_external_id: str | None = None,
) -> PlannedPolicies:
    """The module's policies for these inputs (planned once per configuration, then cached).

    ``users``: names (``<account_id>/<username>`` for a member account's user) or
    ``{"username", "metadata", "account_id"}`` mappings.
    ``user_tag``: ``{"key": ..., "value": ...}`` or ``(key, value)``; a value of None matches any.
    ``accounts``: the module's ``accounts`` input, by account id.
    """
    tag: tuple[str, str | None] | None
    if user_tag is None:
        tag = None
    elif isinstance(user_tag, Mapping):
        tag = (str(user_tag["key"]), user_tag.get("value"))
    else:
        tag = (str(user_tag[0]), user_tag[1])
    configuration = PlanConfiguration(
        users=tuple(User.of(user) for user in users),
        user_path_prefix=user_path_prefix,
        user_tag=tag,
        exclude_users=tuple(sorted(exclude_users)),
        old_key_action=old_key_action,
        in_use_key_action=in_use_key_action,
        kms_key_arn=kms_key_arn,
        tags=tuple(sorted(tags.items())),
        accounts=tuple(
            sorted((k, MemberAccountConfiguration.of(v)) for k, v in (accounts or {}).items())
        ),
        member_role_name=member_role_name,
        member_external_id=member_external_id,
    )
    return plan_configuration(configuration)


def plan_configuration(configuration: PlanConfiguration) -> PlannedPolicies:
    """``plan_policies`` for a ready configuration; a refusal by Terraform is cached as well."""
    hub: Planning[PlanConfiguration, PlannedPolicies] = Planning(
        known=_configuration_set,
        key_of=cache_key,
        plan=_terraform_plan,
        read=policies_from_plan,
        from_json=PlannedPolicies.from_json,
    )
    return hub.planned(configuration)


def _configuration_set() -> list[PlanConfiguration]:
    """The configurations worth planning with a missing one; an entry of another shape (the
    configuration's fields changed since it was listed) is left out."""
    found = []
    for variables in configuration_set.known(planning.CACHE):
        try:
            found.append(PlanConfiguration.from_variables(variables))
        except (KeyError, TypeError, AttributeError):
            continue
    return found


def cache_key(configuration: PlanConfiguration) -> str:
    """A hash of the module's *.tf files, the template, the fixture and the parameters."""
    digest = hashlib.sha256(f"format {CACHE_FORMAT}\n".encode())
    files = [*sorted(REPO.glob("*.tf")), TEMPLATE, *sorted(FIXTURE.glob("*.tf"))]
    for path in files:
        digest.update(f"{path.relative_to(REPO).as_posix()}\n".encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps(configuration.variables(), sort_keys=True).encode())
    return digest.hexdigest()[:32]


def _terraform_plan(batch: Mapping[str, PlanConfiguration]) -> dict[str, Any]:
    """One plan of the fixture with ``batch`` as its ``configurations`` (by cache key)."""
    described = (
        next(iter(batch.values())).describe()
        if len(batch) == 1
        else f"{len(batch)} configurations at once"
    )
    configurations = {key: c.variables() for key, c in batch.items()}

    def root(terraform: Terraform, endpoint: str) -> tuple[Path, Mapping[str, Any]]:
        terraform.init(FIXTURE)
        return FIXTURE, {"configurations": configurations}

    return planning.plan_and_show(root, min(batch), f"the module's configuration ({described})")


# --- reading the plan ----------------------------------------------------------------------------

_REFERENCE = re.compile(
    r"^(?P<type>[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)(?:\[(?P<index>[^\]]+)\])?"
)


@dataclass(frozen=True)
class _Instance:
    address: str  # within the module: aws_iam_role.function["plan"]
    type: str
    name: str
    index: Any
    after: Mapping[str, Any]
    expressions: Mapping[str, Any]


def _instance_address(type_: str, name: str, index: Any) -> str:
    return f"{type_}.{name}" if index is None else f"{type_}.{name}[{json.dumps(index)}]"


def _module_instances(
    plan: Mapping[str, Any], module_call: str = MODULE_CALL, instance: str | None = None
) -> dict[str, _Instance]:
    """The resources planned in the module call (its ``instance``, for a call with
    ``for_each``)."""
    call = f"module.{module_call}" + ("" if instance is None else f"[{json.dumps(instance)}]")
    configuration = plan["configuration"]["root_module"]["module_calls"][module_call]["module"]
    expressions = {
        resource["address"]: resource.get("expressions", {})
        for resource in configuration.get("resources", [])
    }
    instances: dict[str, _Instance] = {}
    for change in plan["resource_changes"]:
        if change.get("module_address") != call or change["mode"] != "managed":
            continue
        index = change.get("index")
        address = _instance_address(change["type"], change["name"], index)
        instances[address] = _Instance(
            address=address,
            type=change["type"],
            name=change["name"],
            index=index,
            after=change["change"]["after"] or {},
            expressions=expressions.get(f"{change['type']}.{change['name']}", {}),
        )
    return instances


def _references(expression: object) -> list[str]:
    """Every reference in an expression tree of the plan's configuration."""
    found: list[str] = []
    if isinstance(expression, Mapping):
        found.extend(str(r) for r in expression.get("references", []))
        for key, value in expression.items():
            if key != "references":
                found.extend(_references(value))
    elif isinstance(expression, list):
        for item in expression:
            found.extend(_references(item))
    return found


def _named(
    instance: _Instance, attribute: str, type_: str, instances: Mapping[str, _Instance]
) -> _Instance | None:
    """The one instance of ``type_`` named as ``attribute``'s value, when the plan knows it (an
    attachment's role)."""
    value = instance.after.get(attribute)
    named = [i for i in instances.values() if i.type == type_ and i.after.get("name") == value]
    return named[0] if isinstance(value, str) and len(named) == 1 else None


def _referenced(
    instance: _Instance, attribute: str, type_: str, instances: Mapping[str, _Instance]
) -> _Instance | None:
    """The instance of ``type_`` that ``attribute`` of ``instance`` refers to, if any.

    Terraform lists ``aws_iam_role.function[each.key].arn`` as the references
    ``aws_iam_role.function`` and ``each.key``, and ``aws_iam_role.service["x"].arn`` as
    ``aws_iam_role.service["x"].arn``, ``aws_iam_role.service["x"]`` and ``aws_iam_role.service``.
    """
    return _named(instance, attribute, type_, instances) or _by_reference(
        instance, attribute, type_, instances
    )


def _by_reference(
    instance: _Instance, attribute: str, type_: str, instances: Mapping[str, _Instance]
) -> _Instance | None:
    references = _references(instance.expressions.get(attribute))
    own_key = "each.key" in references or "count.index" in references
    literal: set[str] = set()
    collections: set[str] = set()
    for reference in references:
        match = _REFERENCE.match(reference)
        if match is None or match["type"] != type_:
            continue
        if match["index"] is None:
            collections.add(match["name"])
            continue
        try:
            index = json.loads(match["index"])
        except json.JSONDecodeError as exc:
            raise PlanError(
                f"{instance.address}.{attribute} refers to {reference}, whose index the "
                "authorization checks cannot resolve"
            ) from exc
        literal.add(_instance_address(type_, match["name"], index))
        collections.discard(match["name"])
    targets = set(literal)
    for name in collections:
        if any(_instance_address(type_, name, None) == t for t in literal) or any(
            t.startswith(f"{type_}.{name}[") for t in literal
        ):
            continue
        indexed = any(
            i.type == type_ and i.name == name and i.index is not None for i in instances.values()
        )
        if not indexed:
            targets.add(_instance_address(type_, name, None))
        elif own_key:
            targets.add(_instance_address(type_, name, instance.index))
        else:
            raise PlanError(
                f"{instance.address}.{attribute} refers to {type_}.{name} with an index the "
                "authorization checks cannot resolve"
            )
    if len(targets) > 1:
        raise PlanError(f"{instance.address}.{attribute} refers to several {type_}: {targets}")
    if not targets:
        return None
    target = targets.pop()
    if target not in instances:
        raise PlanError(f"{instance.address}.{attribute} refers to {target}, which is not planned")
    return instances[target]


def _document(instance: _Instance, attribute: str = "policy") -> Mapping[str, Any]:
    text = instance.after.get(attribute)
    if not isinstance(text, str):
        raise PlanError(f"{instance.address}: its {attribute} must be known at plan time")
    document: Mapping[str, Any] = json.loads(text)
    return document


def _principals(
    instances: Mapping[str, _Instance], roles: Mapping[str, _Instance]
) -> tuple[dict[str, str], dict[str, str]]:
    """Role address -> the principal that runs as it; function key -> function name."""
    principal_of_role: dict[str, str] = {}
    function_names: dict[str, str] = {}
    for instance in instances.values():
        if instance.type not in ("aws_lambda_function", "aws_sfn_state_machine"):
            continue
        lambda_function = instance.type == "aws_lambda_function"
        role = _referenced(
            instance, "role" if lambda_function else "role_arn", "aws_iam_role", instances
        )
        if role is None:
            raise PlanError(f"{instance.address}: its role is not a role of the module")
        if lambda_function:
            key = str(instance.index if instance.index is not None else instance.name)
            principal_of_role[role.address] = key
            function_names[key] = str(instance.after["function_name"])
        else:
            principal_of_role[role.address] = STATE_MACHINE
    for address, role in roles.items():
        principal_of_role.setdefault(
            address, str(role.index if role.index is not None else role.name)
        )
    return principal_of_role, function_names


def _inline_blocks(
    roles: Mapping[str, _Instance], principal_of_role: Mapping[str, str]
) -> Iterator[tuple[str, Policy, bool]]:
    for role in roles.values():
        if role.after.get("permissions_boundary"):
            raise PlanError(f"{role.address} has a permissions boundary, which is not modelled")
        if role.after.get("managed_policy_arns"):
            raise PlanError(f"{role.address} lists managed_policy_arns, which are not modelled")
        for block in role.after.get("inline_policy") or []:
            if block.get("policy"):
                yield (
                    principal_of_role[role.address],
                    Policy(f"{role.after['name']}/{block['name']}", json.loads(block["policy"])),
                    False,
                )


def _role_policies(
    instances: Mapping[str, _Instance], principal_of_role: Mapping[str, str]
) -> Iterator[tuple[str, Policy, bool]]:
    """(principal, policy) for every inline policy and attached managed policy of the plan."""
    for instance in instances.values():
        if instance.type == "aws_iam_role_policy":
            source = instance
        elif instance.type == "aws_iam_role_policy_attachment":
            attached = _referenced(instance, "policy_arn", "aws_iam_policy", instances)
            if attached is None:
                raise PlanError(
                    f"{instance.address} attaches a policy the module does not plan "
                    f"({instance.after.get('policy_arn')}); its document is unknown"
                )
            source = attached
        else:
            continue
        role = _referenced(instance, "role", "aws_iam_role", instances)
        # A role outside the module (the credentials handler's): named after the resource.
        principal = principal_of_role[role.address] if role else instance.name
        name = str(source.after.get("name") or source.address)
        yield principal, Policy(name, _document(source)), source is not instance


def policies_from_plan(
    plan: Mapping[str, Any], configuration: PlanConfiguration, instance: str | None = None
) -> PlannedPolicies:
    """Gather the policies of ``terraform show -json``'s plan, by principal (see the module);
    ``instance``: the fixture's key of ``configuration``."""
    instances = _module_instances(plan, instance=instance)
    roles = {a: i for a, i in instances.items() if i.type == "aws_iam_role"}
    for unsupported in ("aws_iam_policy_attachment", "aws_iam_role_policies_exclusive"):
        if any(i.type == unsupported for i in instances.values()):
            raise PlanError(f"the module uses {unsupported}; teach testkit/authz/planned.py")
    principal_of_role, function_names = _principals(instances, roles)
    found: dict[str, list[Policy]] = {}
    managed: set[str] = set()
    for principal, policy, attached in [
        *_inline_blocks(roles, principal_of_role),
        *_role_policies(instances, principal_of_role),
    ]:
        found.setdefault(principal, []).append(policy)
        if attached:
            managed.add(policy.name)

    functions = {key: tuple(found.get(key, ())) for key in function_names}
    by_function: dict[str, tuple[Policy, ...]] = {**functions}
    if STATE_MACHINE in principal_of_role.values():
        by_function[STATE_MACHINE] = tuple(found.get(STATE_MACHINE, ()))
    role_names = {
        principal_of_role[address]: str(role.after["name"])
        for address, role in roles.items()
        if principal_of_role[address] in by_function
    }
    others = {key: tuple(items) for key, items in found.items() if key not in by_function}
    return PlannedPolicies(
        configuration, by_function, role_names, function_names, others, frozenset(managed)
    )
