"""The authorization guard across accounts (testkit/authz/guard.py, testkit/authz/members.py).

A hub function reaches a member account's users through the member role: its ``sts:AssumeRole``
is decided against its own policies and against the member role's trust policy, which must name
the function's role; every call signed with the member role's credentials is decided against
the member role's policy, on the member account's users. The first tests use hand-made policies
on moto; the last ones plan the real module and ``modules/member-role`` with Terraform (cached
under .build/authz/).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from testkit import authorization
from testkit.authz import members, planned, planning
from testkit.authz.facts import MotoFacts
from testkit.authz.guard import AuthorizationGuard
from testkit.authz.members import MemberRole, MemberRoleConfiguration, trust_decision
from testkit.authz.planned import MemberAccountConfiguration, PlanConfiguration, User
from testkit.authz.policy import Outcome, Policy, PolicyError
from testkit.engine_environment import TEST_SETTINGS, settings_with
from testkit.member_accounts import client_in, create_member_role

HUB, MEMBER, OTHER, REGION = "123456789012", "111122223333", "444455556666", "us-east-1"
ROLE_NAME = "credentials-rotator-member"
MEMBER_ROLE = f"arn:aws:iam::{MEMBER}:role/{ROLE_NAME}"
OTHER_ROLE = f"arn:aws:iam::{OTHER}:role/{ROLE_NAME}"
ROTATE_ROLE = f"arn:aws:iam::{HUB}:role/ci-keys-rotate"
FINISH_ROLE = f"arn:aws:iam::{HUB}:role/ci-keys-finish"
MEMBER_USERS = f"arn:aws:iam::{MEMBER}:user"
EXTERNAL_ID = "ci-keys-external"


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def assume(resource: list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}


# rotate may assume both member roles; finish may assume none; record_outcomes has no policy here
HUB_POLICIES = {
    "rotate": [
        Policy("ci-keys-rotate-member-roles-0", document(assume([MEMBER_ROLE, OTHER_ROLE])))
    ],
    "finish": [
        Policy(
            "ci-keys-finish",
            document({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}),
        )
    ],
}


def trust(*principals: str, external_id: str | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return document(statement)


def member_role(
    account: str, role_arn: str, policy: dict[str, Any], trusted: dict[str, Any]
) -> MemberRole:
    configuration = MemberRoleConfiguration(account, ROLE_NAME, (ROTATE_ROLE, FINISH_ROLE))
    return MemberRole(configuration, role_arn, (Policy(ROLE_NAME, policy),), trusted)


KEY_ACTIONS = ["iam:CreateAccessKey", "iam:ListAccessKeys", "iam:DeleteAccessKey"]
# The member role of MEMBER acts on alice (at any path); OTHER's trusts finish only and wants an
# external id.
MEMBERS = (
    member_role(
        MEMBER,
        MEMBER_ROLE,
        document(
            {
                "Sid": "Alice",
                "Effect": "Allow",
                "Action": KEY_ACTIONS,
                "Resource": [f"{MEMBER_USERS}/alice", f"{MEMBER_USERS}/*/alice"],
            },
        ),
        trust(ROTATE_ROLE),
    ),
    member_role(
        OTHER,
        OTHER_ROLE,
        document({"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}),
        trust(FINISH_ROLE, external_id=EXTERNAL_ID),
    ),
)


class World:
    def __init__(self, guard: AuthorizationGuard, session: boto3.Session) -> None:
        self.guard = guard
        self.session = session

    def assume(self, role_arn: str, **extra: str) -> dict[str, Any]:
        """The member role's credentials, assumed with the session's (guarded) STS client."""
        sts = self.session.client("sts")
        answer = sts.assume_role(RoleArn=role_arn, RoleSessionName="credentials-rotator", **extra)
        credentials: dict[str, Any] = answer["Credentials"]
        return credentials

    def iam_as(self, credentials: dict[str, Any]) -> Any:
        """IAM signed with a role's credentials, from the guarded session."""
        return self.session.client(
            "iam",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )


@pytest.fixture
def world(aws: None) -> Iterator[World]:
    session = boto3.Session(region_name=REGION)
    guard = AuthorizationGuard(
        HUB_POLICIES,
        MotoFacts(HUB, REGION),
        role_names={"rotate": "ci-keys-rotate", "finish": "ci-keys-finish"},
    )
    guard.members = {role.role_arn: role for role in MEMBERS}
    for role in MEMBERS:
        guard.policies[role.key] = role.policies
        guard._sets[role.key] = members.PolicySet.of(role.policies)
    guard.register(session.events)
    for account in (MEMBER, OTHER):
        create_member_role(account, external_id=EXTERNAL_ID if account == OTHER else None)
    iam = client_in(MEMBER, "iam")
    iam.create_user(UserName="alice", Path="/ci/")
    iam.create_user(UserName="bob")
    client_in(HUB, "iam").create_user(UserName="alice")  # the same name in the hub
    yield World(guard, session)


def error(exc: pytest.ExceptionInfo[ClientError]) -> dict[str, Any]:
    return dict(exc.value.response["Error"])


def test_an_assume_role_is_not_decided_by_the_role_account_condition_aws_may_not_give() -> None:
    """GIVEN a policy allowing sts:AssumeRole on a role name in any account, limited to the member
    account by aws:ResourceAccount (which AWS does not document as present in AssumeRole's request
    context) WHEN a function assumes the member role THEN the guard does not allow it, as AWS may
    not; the exact role ARN is allowed."""
    from testkit.authz.policy import evaluate
    from testkit.authz.requests import requests_for

    facts = MotoFacts(HUB, REGION)
    (request,) = requests_for(
        "sts", "AssumeRole", {"RoleArn": MEMBER_ROLE, "RoleSessionName": "s"}, facts
    )
    by_account = {
        **assume([f"arn:aws:iam::*:role/{ROLE_NAME}"]),
        "Condition": {"StringEquals": {"aws:ResourceAccount": [MEMBER]}},
    }
    assert "aws:ResourceAccount" not in request.context
    refused = evaluate([Policy("by-account", document(by_account))], request).outcome
    assert refused is Outcome.IMPLICIT_DENY
    allowed = evaluate([Policy("by-arn", document(assume([MEMBER_ROLE])))], request).outcome
    assert allowed is Outcome.ALLOW


def test_given_a_function_allowed_and_trusted_when_it_assumes_the_role_then_both_sides_decide(
    world: World,
) -> None:
    """GIVEN rotate's policy allows the member role and its trust names rotate's role WHEN rotate
    assumes it THEN AWS's two decisions are recorded: rotate's identity policy, the role's trust."""
    with world.guard.acting_as("rotate"):
        credentials = world.assume(MEMBER_ROLE)

    assert credentials["AccessKeyId"]
    identity, trusted = world.guard.checks
    assert (identity.function, identity.operation, identity.allowed) == (
        "rotate",
        "AssumeRole",
        True,
    )
    assert identity.request.resource == MEMBER_ROLE
    assert "aws:ResourceAccount" not in identity.request.context
    assert identity.request.context["sts:RoleSessionName"] == "credentials-rotator"
    assert trusted.allowed and trusted.request.note == members.TRUST_NOTE
    assert trusted.request.context["aws:PrincipalArn"] == ROTATE_ROLE


def test_given_calls_signed_as_the_member_role_then_its_policy_decides_on_the_member_users(
    world: World,
) -> None:
    """GIVEN rotate holds the member role's credentials WHEN it acts on alice of the member
    account THEN the member role's policy allows it on her ARN there (her path included), and
    refuses bob, whom it does not name; the checks are the member role's, made by rotate."""
    with world.guard.acting_as("rotate"):
        iam = world.iam_as(world.assume(MEMBER_ROLE))
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        with pytest.raises(ClientError) as refused:
            iam.create_access_key(UserName="bob")

    assert (
        client_in(MEMBER, "iam").list_access_keys(UserName="alice")["AccessKeyMetadata"][0][
            "AccessKeyId"
        ]
        == key["AccessKeyId"]
    )
    assert client_in(HUB, "iam").list_access_keys(UserName="alice")["AccessKeyMetadata"] == []
    allowed, denied = world.guard.checks[-2:]
    assert (allowed.function, allowed.acting, allowed.allowed) == (
        members.member_key(MEMBER),
        "rotate",
        True,
    )
    assert allowed.request.resource == f"{MEMBER_USERS}/ci/alice"
    assert allowed.request.context["aws:PrincipalArn"] == MEMBER_ROLE
    assert allowed.request.context["aws:PrincipalAccount"] == MEMBER
    assert denied.decision.outcome is Outcome.IMPLICIT_DENY
    assert denied.request.resource == f"{MEMBER_USERS}/bob"
    message = error(refused)["Message"]
    assert (
        f"assumed-role/{ROLE_NAME}/" in message and f"function rotate as {MEMBER_ROLE}" in message
    )
    assert "rotate as member-role:111122223333" in denied.describe()


def test_given_a_function_its_policies_do_not_allow_when_it_assumes_then_aws_refuses(
    world: World,
) -> None:
    """GIVEN finish's policies grant no sts:AssumeRole (and the role trusts rotate only) WHEN it
    assumes the member role THEN the call is refused, first by its identity-based policies."""
    with world.guard.acting_as("finish"), pytest.raises(ClientError) as refused:
        world.assume(MEMBER_ROLE)

    assert error(refused)["Code"] == "AccessDenied"
    assert "no identity-based policy allows the sts:AssumeRole action" in error(refused)["Message"]
    assert [c.request.note for c in world.guard.denials] == ["", members.TRUST_NOTE]


def test_given_a_trust_that_does_not_name_the_function_when_it_assumes_then_aws_refuses(
    world: World,
) -> None:
    """GIVEN rotate may assume OTHER's role by its own policy, but that role trusts finish only
    WHEN rotate assumes it (with the external id it requires) THEN the trust refuses it."""
    with world.guard.acting_as("rotate"), pytest.raises(ClientError) as refused:
        world.assume(OTHER_ROLE, ExternalId=EXTERNAL_ID)

    message = error(refused)["Message"]
    assert "no resource-based policy allows the sts:AssumeRole action" in message
    assert f"names no principal {ROTATE_ROLE} is" in message
    identity, trusted = world.guard.checks
    assert identity.allowed and not trusted.allowed


def test_the_trust_decides_the_principal_and_the_external_id() -> None:
    def decide(trusted: dict[str, Any], caller: str, external_id: str | None = None) -> Outcome:
        context = {"sts:ExternalId": external_id, "aws:PrincipalArn": caller}
        return trust_decision(trusted, MEMBER_ROLE, caller, context).outcome

    with_id = trust(ROTATE_ROLE, external_id=EXTERNAL_ID)
    assert decide(with_id, ROTATE_ROLE, EXTERNAL_ID) is Outcome.ALLOW
    assert decide(with_id, ROTATE_ROLE) is Outcome.IMPLICIT_DENY
    assert decide(with_id, ROTATE_ROLE, "another-id") is Outcome.IMPLICIT_DENY
    assert decide(with_id, FINISH_ROLE, EXTERNAL_ID) is Outcome.IMPLICIT_DENY
    assert decide(trust(f"arn:aws:iam::{HUB}:root"), FINISH_ROLE) is Outcome.ALLOW
    assert decide(trust(HUB), FINISH_ROLE) is Outcome.ALLOW
    assert decide(trust(f"arn:aws:iam::{OTHER}:root"), FINISH_ROLE) is Outcome.IMPLICIT_DENY
    denying = document(
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": FINISH_ROLE}, "Action": "sts:*"},
    )
    assert decide(denying, ROTATE_ROLE) is Outcome.ALLOW
    assert decide(denying, FINISH_ROLE) is Outcome.EXPLICIT_DENY
    not_principal = document(
        {"Effect": "Deny", "NotPrincipal": {"AWS": ROTATE_ROLE}, "Action": "sts:AssumeRole"}
    )
    with pytest.raises(PolicyError, match="NotPrincipal"):
        decide(not_principal, ROTATE_ROLE)


def test_given_a_role_the_plan_does_not_know_when_its_credentials_sign_then_it_is_an_error(
    world: World,
) -> None:
    """GIVEN credentials of a role that is no planned member role WHEN a function calls with them
    THEN the guard cannot decide the call: it raises and keeps the error."""
    create_member_role(MEMBER, role_name="someone-elses")
    sts = boto3.client("sts", region_name=REGION)  # not guarded: stands for a stray session
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/someone-elses", RoleSessionName="stray"
    )["Credentials"]

    with world.guard.acting_as("rotate"), pytest.raises(LookupError, match="someone-elses"):
        world.iam_as(credentials).list_users()

    assert any("no member role" in e for e in world.guard.errors)


def test_given_a_member_roles_record_when_reported_then_its_unneeded_grants_show(
    world: World,
) -> None:
    with world.guard.acting_as("rotate"):
        iam = world.iam_as(world.assume(MEMBER_ROLE))
        iam.create_access_key(UserName="alice")
        iam.list_access_keys(UserName="alice")

    unneeded = {(u.function, u.kind, u.value) for u in world.guard.unneeded(())}

    assert (members.member_key(MEMBER), "action", "iam:DeleteAccessKey") in unneeded
    assert (members.member_key(MEMBER), "resource", f"{MEMBER_USERS}/alice") in unneeded
    assert (members.member_key(MEMBER), "action", "iam:CreateAccessKey") not in unneeded
    assert (members.member_key(OTHER), "statement", "statement 0") in unneeded


# --- the configuration, from the engine's settings document ------------------------------------


def test_given_member_accounts_in_the_settings_then_the_plan_names_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "SETTINGS",
        settings_with(
            json.dumps(TEST_SETTINGS),
            accounts={
                MEMBER: {"user_path_prefix": "/ci/", "exclude_users": ["admin", "break-glass"]},
                OTHER: {
                    "user_tag": {"key": "rotate", "value": "yes"},
                    "role_arn": f"arn:aws:iam::{OTHER}:role/rotation",
                },
            },
            member_external_id=EXTERNAL_ID,
            member_role_arn_template="arn:aws:iam::{account_id}:role/key-rotation",
        ),
    )

    configuration = authorization.configuration_from(
        frozenset({"homer", f"{MEMBER}/alice"}), shared=False
    )

    assert configuration.users == (User("alice", account_id=MEMBER), User("homer"))
    assert configuration.accounts == (
        (MEMBER, MemberAccountConfiguration("/ci/", None, ("admin", "break-glass"))),
        (OTHER, MemberAccountConfiguration(None, ("rotate", "yes"), (), "rotation")),
    )
    assert (configuration.member_role_name, configuration.member_external_id) == (
        "key-rotation",
        EXTERNAL_ID,
    )
    variables = configuration.variables()
    assert variables["users"][0] == {"username": "alice", "account_id": MEMBER}
    assert variables["accounts"][OTHER]["user_tag"] == {"key": "rotate", "value": "yes"}


def test_given_a_hub_plan_then_each_member_account_gets_its_users_selection_and_trust() -> None:
    """The member role's inputs come from the hub's: its listed users, its selection, the role
    name and external id, and as hub_role_arns the functions that may assume member roles."""
    configuration = PlanConfiguration(
        users=(User("homer"), User("alice", account_id=MEMBER), User("bob", account_id=MEMBER)),
        accounts=(
            (OTHER, MemberAccountConfiguration(user_tag=("rotate", None), role_name="rotation")),
        ),
        member_external_id=EXTERNAL_ID,
    )
    member_policy = Policy("ci-keys-rotate-member-roles-0", document(assume([MEMBER_ROLE])))
    hub = planned.PlannedPolicies(
        configuration,
        by_function={"rotate": (member_policy,), "record_outcomes": (), "state_machine": ()},
        role_names={"rotate": "ci-keys-rotate", "record_outcomes": "ci-keys-record_outcomes"},
        function_names={"rotate": "ci-keys-rotate", "record_outcomes": "ci-keys-record_outcomes"},
    )

    found = members.member_configurations(hub)

    assert found == [
        MemberRoleConfiguration(
            MEMBER, ROLE_NAME, (ROTATE_ROLE,), ("alice", "bob"), None, None, EXTERNAL_ID
        ),
        MemberRoleConfiguration(
            OTHER, "rotation", (ROTATE_ROLE,), (), None, ("rotate", None), EXTERNAL_ID
        ),
    ]
    without = planned.PlannedPolicies(
        configuration, {"rotate": ()}, {"rotate": "r"}, {"rotate": "r"}
    )
    with pytest.raises(planned.PlanError, match="attaches no member roles' policy"):
        members.member_configurations(without)


# --- the real module and submodule, planned ----------------------------------------------------


@pytest.fixture(scope="module")
def hub_with_members() -> planned.PlannedPolicies:
    return planned.plan_policies(
        ["homer", {"username": "alice", "account_id": MEMBER}],
        accounts={OTHER: {"user_path_prefix": "/ci/", "exclude_users": ["break-glass"]}},
        member_external_id=EXTERNAL_ID,
    )


def test_given_member_accounts_when_planned_then_the_functions_that_act_there_may_assume_roles(
    hub_with_members: planned.PlannedPolicies,
) -> None:
    facts = MotoFacts(HUB, REGION)
    from testkit.authz.policy import evaluate
    from testkit.authz.requests import requests_for

    def outcome(function: str, role_arn: str) -> Outcome:
        (request,) = requests_for(
            "sts", "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": "s"}, facts
        )
        return evaluate(hub_with_members.by_function[function], request).outcome

    for function in ("plan", "rotate", "roll_back", "finish"):
        assert outcome(function, MEMBER_ROLE) is Outcome.ALLOW, function
        assert outcome(function, OTHER_ROLE) is Outcome.ALLOW, function
    assert outcome("record_outcomes", MEMBER_ROLE) is Outcome.IMPLICIT_DENY
    assert outcome("rotate", f"arn:aws:iam::999988887777:role/{ROLE_NAME}") is (
        Outcome.IMPLICIT_DENY
    )
    assert "ci-keys-rotate-member-roles-0" in hub_with_members.managed


def test_given_the_hub_plan_when_its_member_roles_are_planned_then_they_match_the_submodule(
    hub_with_members: planned.PlannedPolicies,
) -> None:
    roles = {role.account_id: role for role in members.member_roles_for(hub_with_members)}

    listed, selecting = roles[MEMBER], roles[OTHER]
    assert listed.role_arn == MEMBER_ROLE and selecting.role_arn == OTHER_ROLE
    trusted = sorted(
        f"arn:aws:iam::{HUB}:role/{hub_with_members.role_names[f]}"
        for f in ("plan", "rotate", "roll_back", "finish")
    )
    for role in (listed, selecting):
        (statement,) = role.trust["Statement"]
        assert statement["Principal"] == {"AWS": trusted}
        assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
    listed_resources = {
        r for s in listed.policies[0].document["Statement"] for r in _list(s["Resource"])
    }
    assert listed_resources == {f"{MEMBER_USERS}/alice", f"{MEMBER_USERS}/*/alice"}
    selecting_resources = {
        r for s in selecting.policies[0].document["Statement"] for r in _list(s["Resource"])
    }
    assert selecting_resources == {f"arn:aws:iam::{OTHER}:user/ci/*", "*"}
    again = members.plan_member_role(listed.configuration)
    assert again.to_json() == listed.to_json()


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


# --- the member roles planned together ----------------------------------------------------------


def test_given_roles_of_two_accounts_then_one_root_plans_each_as_its_own_account() -> None:
    """The generated root calls the submodule once per configuration, each through the provider
    of its own account, signing with that account's credentials."""
    listed = MemberRoleConfiguration(MEMBER, ROLE_NAME, (ROTATE_ROLE,), ("alice",))
    selecting = MemberRoleConfiguration(
        OTHER, "rotation", (ROTATE_ROLE,), (), None, ("rotate", None), EXTERNAL_ID
    )
    credentials = {
        account: {"AccessKeyId": f"id-{account}", "SecretAccessKey": "s", "SessionToken": "t"}
        for account in (MEMBER, OTHER)
    }

    root = members._batch_root({"member-a": listed, "member-b": selecting}, credentials)

    providers = {p["alias"]: p for p in root["provider"]["aws"]}
    assert {alias: p["access_key"] for alias, p in providers.items()} == {
        f"account_{MEMBER}": f"id-{MEMBER}",
        f"account_{OTHER}": f"id-{OTHER}",
    }
    calls = root["module"]
    assert calls["member-a"]["providers"] == {"aws": f"aws.account_{MEMBER}"}
    assert calls["member-b"]["providers"] == {"aws": f"aws.account_{OTHER}"}
    assert calls["member-b"]["user_tag"] == {"key": "rotate", "value": None}
    assert (members.BATCH_ROOT / calls["member-a"]["source"]).resolve() == members.SUBMODULE


def test_given_listed_and_cached_configurations_then_each_is_known_once(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = MemberRoleConfiguration(MEMBER, ROLE_NAME, (ROTATE_ROLE,), ("alice",))
    cached = MemberRoleConfiguration(OTHER, ROLE_NAME, (ROTATE_ROLE,), (), "/ci/")
    set_file = tmp_path / "member_configurations.json"
    set_file.write_text(json.dumps([listed.entry(), {"account_id": OTHER, "shape": "old"}]))
    monkeypatch.setattr(members, "SET_FILE", set_file)
    monkeypatch.setattr(planning, "CACHE", tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    for configuration in (listed, cached):
        role = MemberRole(configuration, f"arn:aws:iam::{configuration.account_id}:role/r", (), {})
        path = tmp_path / "cache" / f"{members.cache_key(configuration)}.json"
        path.write_text(json.dumps(role.to_json()))

    assert members.known_configurations() == [listed, cached]  # the old entry left out
    assert members.write_set() == 2
    written = json.loads(set_file.read_text())
    assert sorted(map(MemberRoleConfiguration.from_entry, written), key=str) == sorted(
        [listed, cached], key=str
    )
