"""The member roles of a planned hub: each member account's role (``modules/member-role``),
planned for the inputs that match the hub's configuration, and its trust decided as AWS decides it.

A hub function reaches a member account's users in two steps, and AWS authorizes both:

- ``sts:AssumeRole`` on the member role: the function's own (identity) policies must allow it
  (the hub's managed policies ``<function name>-member-roles-<n>``, which ``planned`` reads like
  any other), and the member role's trust policy must name the function's role
  (``trust_decision``).
- every call signed with the member role's credentials: the member role's policy decides it,
  against the member account's users (their paths and tags).

``plan_member_role`` plans the submodule as each member account applies it
(testkit/authz/planning.py plans both it and the hub), every configuration missing from the cache
in one plan (those of ``member_configurations.json`` beside this file, and those cached for earlier
versions of the files, as ``configuration_set`` does for the hub): a generated root calls the
submodule once per configuration, each through a provider of its own account. A moto server answers
the account lookup, each provider signing with credentials moto issued for a role in that account,
so the policy's ARNs name the account exactly as Terraform renders them there. ``member_roles_for``
derives each member account's inputs from the hub's configuration: its listed users
(``usernames``), its selection (``user_path_prefix``, ``user_tag``), the hub's
``member_external_id`` and role name, and as ``hub_role_arns`` the hub's ``function_role_arns``
output: the roles of the functions the module attaches ``<function name>-member-roles-<n>`` to
(``outputs.tf``, ``accounts.tf``). Plans are cached under ``.build/authz/`` as the hub's are, keyed
by the submodule's files and the inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from testkit.authz import configuration_set, planning
from testkit.authz import planned as hub
from testkit.authz.planning import Planning
from testkit.authz.policy import (
    AuthorizationRequest,
    Context,
    Decision,
    Outcome,
    Policy,
    PolicyError,
    PolicySet,
    evaluate,
)
from testkit.engine_environment import FAKE_AWS
from testkit.terraform import Terraform

SUBMODULE = hub.REPO / "modules" / "member-role"
# The member configurations planned with a missing one (``python -m testkit.authz.members`` lists
# the cached ones there), and the generated root that plans them.
SET_FILE = Path(__file__).with_name("member_configurations.json")
BATCH_ROOT = planning.CACHE / "member-roles"
# The hub's managed policies that let its functions assume the member roles (accounts.tf),
# ``<function name>-member-roles-<n>``; the module's function_role_arns output is the roles they
# are attached to.
MEMBER_ROLES_POLICY = re.compile(rf"{re.escape(hub.NAME)}-[a-z-]+-member-roles-[0-9]+")
# Bump when the cached format or the way the role is gathered changes.
CACHE_FORMAT = 2
# The note of a request decided by a role's trust policy (a resource-based policy).
TRUST_NOTE = "decided by the role's trust policy"


@dataclass(frozen=True)
class MemberRoleConfiguration:
    """The submodule's inputs in one member account."""

    account_id: str
    role_name: str
    hub_role_arns: tuple[str, ...]
    usernames: tuple[str, ...] = ()
    user_path_prefix: str | None = None
    user_tag: tuple[str, str | None] | None = None
    external_id: str | None = None

    def variables(self) -> dict[str, Any]:
        """The fixture's variables (its -var-file)."""
        return {
            "role_name": self.role_name,
            "hub_role_arns": list(self.hub_role_arns),
            "usernames": list(self.usernames),
            "user_path_prefix": self.user_path_prefix,
            "user_tag": None
            if self.user_tag is None
            else {"key": self.user_tag[0], "value": self.user_tag[1]},
            "external_id": self.external_id,
        }

    def entry(self) -> dict[str, Any]:
        """The configuration as ``member_configurations.json`` lists it."""
        return {"account_id": self.account_id, **self.variables()}

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> MemberRoleConfiguration:
        tag = entry["user_tag"]
        return cls(
            account_id=str(entry["account_id"]),
            role_name=str(entry["role_name"]),
            hub_role_arns=tuple(entry["hub_role_arns"]),
            usernames=tuple(entry["usernames"]),
            user_path_prefix=entry["user_path_prefix"],
            user_tag=None if tag is None else (str(tag["key"]), tag["value"]),
            external_id=entry["external_id"],
        )

    def describe(self) -> str:
        return f"the member role {self.role_name} of account {self.account_id}"


@dataclass(frozen=True)
class MemberRole:
    """A member account's role as planned: its ARN, its permissions and its trust policy."""

    configuration: MemberRoleConfiguration
    role_arn: str
    policies: tuple[Policy, ...]
    trust: Mapping[str, Any]

    @property
    def account_id(self) -> str:
        return self.configuration.account_id

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def key(self) -> str:
        """The principal key the guard records this role's calls under."""
        return member_key(self.account_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CACHE_FORMAT,
            "configuration": self.configuration.variables(),
            "role_arn": self.role_arn,
            "policies": [{"name": p.name, "document": p.document} for p in self.policies],
            "trust": self.trust,
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], configuration: MemberRoleConfiguration
    ) -> MemberRole:
        return cls(
            configuration=configuration,
            role_arn=str(data["role_arn"]),
            policies=tuple(Policy(p["name"], p["document"]) for p in data["policies"]),
            trust=data["trust"],
        )


def member_key(account_id: str) -> str:
    """How the guard names the member role of ``account_id`` among the principals."""
    return f"member-role:{account_id}"


# --- the inputs of each member account ----------------------------------------------------------


def is_member_roles_policy(name: str) -> bool:
    """Whether ``name`` is one of the hub's member roles' policies."""
    return MEMBER_ROLES_POLICY.fullmatch(name) is not None


def hub_role_arns(planned: hub.PlannedPolicies) -> tuple[str, ...]:
    """The hub's ``function_role_arns`` output: the roles of the functions the module attaches
    ``<function name>-member-roles-<n>`` to, by exact ARN (the roles have the path "/")."""
    return tuple(
        sorted(
            f"arn:aws:iam::{hub.ACCOUNT}:role/{planned.role_names[function]}"
            for function in planned.functions
            if any(is_member_roles_policy(policy.name) for policy in planned.by_function[function])
        )
    )


def member_configurations(planned: hub.PlannedPolicies) -> list[MemberRoleConfiguration]:
    """Each member account's submodule inputs, for the hub's planned configuration."""
    configuration = planned.configuration
    accounts = dict(configuration.accounts)
    ids = sorted(
        set(accounts)
        | {u.account_id for u in configuration.users if u.account_id not in (None, hub.ACCOUNT)}
    )
    if not ids:
        return []
    trusted = hub_role_arns(planned)
    if not trusted:
        raise hub.PlanError(
            f"the hub has member accounts ({', '.join(ids)}) but attaches no member roles' policy "
            "to any of its functions: nothing could assume their roles"
        )
    found = []
    for account_id in ids:
        account = accounts.get(account_id, hub.MemberAccountConfiguration())
        found.append(
            MemberRoleConfiguration(
                account_id=account_id,
                role_name=account.role_name or configuration.member_role_name,
                hub_role_arns=trusted,
                usernames=tuple(
                    sorted(u.username for u in configuration.users if u.account_id == account_id)
                ),
                user_path_prefix=account.user_path_prefix,
                user_tag=account.user_tag,
                external_id=configuration.member_external_id,
            )
        )
    return found


def member_roles_for(planned: hub.PlannedPolicies) -> tuple[MemberRole, ...]:
    """The planned member role of every member account of the hub's configuration."""
    return tuple(plan_member_role(c) for c in member_configurations(planned))


# --- planning -------------------------------------------------------------------------------


def cache_key(configuration: MemberRoleConfiguration) -> str:
    digest = hashlib.sha256(f"member role, format {CACHE_FORMAT}\n".encode())
    for path in sorted(SUBMODULE.glob("*.tf")):
        digest.update(f"{path.relative_to(hub.REPO).as_posix()}\n".encode())
        digest.update(path.read_bytes())
    digest.update(configuration.account_id.encode())
    digest.update(json.dumps(configuration.variables(), sort_keys=True).encode())
    return "member-" + digest.hexdigest()[:32]


def plan_member_role(configuration: MemberRoleConfiguration) -> MemberRole:
    """The member role planned for ``configuration`` (once; then from the cache), with every
    other known configuration missing from the cache."""
    member: Planning[MemberRoleConfiguration, MemberRole] = Planning(
        known=known_configurations,
        key_of=cache_key,
        plan=_terraform_plan,
        read=role_from_plan,
        from_json=MemberRole.from_json,
    )
    return member.planned(configuration)


def _terraform_plan(batch: Mapping[str, MemberRoleConfiguration]) -> dict[str, Any]:
    """One plan of ``batch`` (by cache key), each configuration as a call of the submodule."""
    accounts = sorted({c.account_id for c in batch.values()})

    def root(terraform: Terraform, endpoint: str) -> tuple[Path, Mapping[str, Any]]:
        BATCH_ROOT.mkdir(parents=True, exist_ok=True)
        written = _batch_root(batch, {a: _credentials_in(endpoint, a) for a in accounts})
        (BATCH_ROOT / "main.tf.json").write_text(json.dumps(written, indent=1))
        # Each batch calls the submodule under other names: installed anew every time.
        terraform.run(BATCH_ROOT, "init", "-backend=false", "-input=false", "-no-color")
        return BATCH_ROOT, {}

    described = ", ".join(c.describe() for c in batch.values())
    return planning.plan_and_show(root, min(batch), described)


def _credentials_in(endpoint: str, account_id: str) -> Mapping[str, str]:
    """Credentials moto's server takes for the account ``account_id`` (an assumed role's: moto
    answers ``GetCallerIdentity`` with the account of the role they were issued for)."""
    sts = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name=hub.REGION,
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    )
    role_arn = f"arn:aws:iam::{account_id}:role/planning"
    return sts.assume_role(RoleArn=role_arn, RoleSessionName="planning")["Credentials"]


def _batch_root(
    batch: Mapping[str, MemberRoleConfiguration], credentials: Mapping[str, Mapping[str, str]]
) -> dict[str, Any]:
    """The root module (Terraform's JSON syntax) that plans ``batch``: a provider per account,
    a call of the submodule per configuration."""
    source = os.path.relpath(SUBMODULE, BATCH_ROOT)
    providers = [
        {
            "alias": f"account_{account_id}",
            "region": hub.REGION,
            "access_key": found["AccessKeyId"],
            "secret_key": found["SecretAccessKey"],
            "token": found["SessionToken"],
            "skip_credentials_validation": True,
            "skip_requesting_account_id": True,
            "skip_metadata_api_check": True,
            "endpoints": {"iam": "${var.endpoint}", "sts": "${var.endpoint}"},
        }
        for account_id, found in credentials.items()
    ]
    calls = {
        key: {
            "source": source,
            "providers": {"aws": f"aws.account_{configuration.account_id}"},
            **configuration.variables(),
        }
        for key, configuration in batch.items()
    }
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}},
        "variable": {"endpoint": {"type": "string"}},
        "provider": {"aws": providers},
        "module": calls,
    }


# --- the configurations planned together -------------------------------------------------------


def known_configurations() -> list[MemberRoleConfiguration]:
    """The listed member configurations and those cached (for any version of the files)."""
    listed = json.loads(SET_FILE.read_text()) if SET_FILE.exists() else []
    found: dict[str, MemberRoleConfiguration] = {}
    for entry in [*listed, *_cached_entries()]:
        try:
            configuration = MemberRoleConfiguration.from_entry(entry)
        except (KeyError, TypeError, ValueError):
            continue  # an entry of another shape: its fields changed since
        found.setdefault(json.dumps(configuration.entry(), sort_keys=True), configuration)
    return list(found.values())


def _cached_entries() -> list[dict[str, Any]]:
    entries = []
    for path in sorted(planning.CACHE.glob("member-*.json")):
        data = json.loads(path.read_text())
        account_id = str(data.get("role_arn", "")).split(":")[4:5]
        if "configuration" in data and account_id:
            entries.append({"account_id": account_id[0], **data["configuration"]})
    return entries


def write_set() -> int:
    """List every member configuration cached in ``.build/authz/``; how many."""
    return configuration_set.write_listed(SET_FILE, _cached_entries())


def role_from_plan(
    plan: Mapping[str, Any], configuration: MemberRoleConfiguration, module_call: str
) -> MemberRole:
    """The one role the submodule's call ``module_call`` plans, with its inline and attached
    policies and its trust."""
    instances = hub._module_instances(plan, module_call)
    roles = [i for i in instances.values() if i.type == "aws_iam_role"]
    if len(roles) != 1:
        raise hub.PlanError(
            f"modules/member-role plans {len(roles)} roles; the authorization checks model one"
        )
    (role,) = roles
    if role.after.get("permissions_boundary"):
        raise hub.PlanError(f"{role.address} has a permissions boundary, which is not modelled")
    principal = {role.address: hub.STATE_MACHINE}  # any key: the one role of the submodule
    policies = [policy for _, policy, _ in hub._inline_blocks({role.address: role}, principal)]
    policies += [policy for _, policy, _ in hub._role_policies(instances, principal)]
    if not policies:
        raise hub.PlanError(f"{role.address} has no permissions policy")
    path = str(role.after.get("path") or "/")
    arn = f"arn:aws:iam::{configuration.account_id}:role{path}{role.after['name']}"
    return MemberRole(
        configuration, arn, tuple(policies), hub._document(role, "assume_role_policy")
    )


# --- the trust policy ---------------------------------------------------------------------------


def _names_principal(principal: object, role_arn: str, account_id: str) -> bool:
    """Whether a trust statement's ``Principal`` names the role ``role_arn`` of ``account_id``:
    the role's ARN, its account (root ARN or id, which delegate to the account's own policies),
    or everyone."""
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        raise PolicyError(f"a trust policy's Principal must be an object or '*', not {principal!r}")
    values = principal.get("AWS", [])
    named = [values] if isinstance(values, str) else list(values)
    account_root = f"arn:aws:iam::{account_id}:root"
    return any(value in ("*", role_arn, account_id, account_root) for value in named)


def trust_decision(
    trust: Mapping[str, Any],
    role_arn: str,
    caller_role_arn: str,
    context: Mapping[str, object],
    *,
    name: str = "trust policy",
) -> Decision:
    """Whether ``trust`` lets a session of the role ``caller_role_arn`` assume ``role_arn``, with
    the request context ``context`` (``sts:ExternalId``, ``aws:PrincipalArn``, ...): an explicit
    deny that names the caller wins, else an allow that names it and whose conditions hold.
    ``NotPrincipal`` is refused (not modelled)."""
    caller_account = caller_role_arn.split(":")[4]
    raw = trust.get("Statement", [])
    statements = [raw] if isinstance(raw, Mapping) else list(raw)
    naming = []
    for statement in statements:
        if "NotPrincipal" in statement:
            raise PolicyError(f"{name} uses NotPrincipal, which is not modelled")
        if _names_principal(statement.get("Principal"), caller_role_arn, caller_account):
            identity_form = {k: v for k, v in statement.items() if k != "Principal"}
            naming.append({**identity_form, "Resource": role_arn})
    request = AuthorizationRequest("sts:AssumeRole", role_arn, Context(context), note=TRUST_NOTE)
    if not naming:
        return Decision(
            Outcome.IMPLICIT_DENY,
            request,
            None,
            (),
            f"{name} of {role_arn} names no principal {caller_role_arn} is",
        )
    decision = evaluate(
        PolicySet([Policy(name, {"Version": "2012-10-17", "Statement": naming})]), request
    )
    return Decision(
        decision.outcome,
        request,
        decision.statement,
        decision.matched,
        f"{decision.reason} (for {caller_role_arn})",
    )


def roles_by_arn(roles: Sequence[MemberRole]) -> dict[str, MemberRole]:
    return {role.role_arn: role for role in roles}


if __name__ == "__main__":
    print(f"{write_set()} member configurations in {SET_FILE}")
