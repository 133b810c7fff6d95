"""Least privilege of the member role (modules/member-role), proven on a real plan: it allows
exactly the IAM actions the engine calls on a member account's users, on those users only, and
only the hub's function roles may assume it.

The fixture root module (fixtures/member_role) calls the submodule once for each way it scopes
users: by name ("listed", with both trust conditions), by path ("path"), by tag ("tag"), neither
("everyone", every user) and by path without the listing ("no_listing"). `terraform plan` runs
with the real AWS provider against a local moto server, which only answers the account lookup,
as test_tf_least_privilege.py plans the hub's roles; `terraform show -json` then gives each
role's trust and inline policy as they would be applied. The expected actions come from the
engine's code (engine_actions.py): every IAM call of every function the hub deploys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_actions import Package
from test_tf_least_privilege import USER_LISTING, actions_of, planned, policy, resources_for

from testkit.terraform import BUILD, REPO, Terraform

FIXTURE = Path(__file__).parent / "fixtures" / "member_role"
ACCOUNT = "123456789012"  # moto's account: the member account of the fixture
USERS = f"arn:aws:iam::{ACCOUNT}:user"
HUB_ROLES = sorted(
    f"arn:aws:iam::111122223333:role/mr-{function}"
    for function in ("plan", "rotate", "roll_back", "finish")
)
INSTANCES = ("listed", "path", "tag", "everyone", "no_listing")
ADDRESS = "aws_iam_role_policy.this"

# The users each instance's key actions reach: named users at any path (user/<name> and
# user/*/<name>), the users under a path, every user (with a tag: those carrying it).
REACHED = {
    "listed": {f"{USERS}/homer", f"{USERS}/*/homer", f"{USERS}/bart", f"{USERS}/*/bart"},
    "path": {f"{USERS}/ci/*"},
    "tag": {f"{USERS}/homer", f"{USERS}/*/homer", f"{USERS}/*"},
    "everyone": {f"{USERS}/*"},
    "no_listing": {f"{USERS}/ci/*"},
}
# How the hub's plan function lists the users an instance selects: by path ListUsers, by tag
# GetAccountAuthorizationDetails (ListUsers returns no tags), nothing for named users or when the
# listing is not allowed.
LISTING = {
    "listed": set(),
    "path": {"iam:ListUsers"},
    "tag": {"iam:GetAccountAuthorizationDetails"},
    "everyone": {"iam:ListUsers"},
    "no_listing": set(),
}
# Trust conditions: only the "listed" instance sets the organization and the external ID.
TRUST_CONDITION = {
    "listed": {
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5", "sts:ExternalId": "mr-external-id"}
    }
}


def engine_iam_actions() -> set[str]:
    """Every IAM action the engine's functions call, whichever function calls it."""
    package = Package(REPO / "lambda_src")
    return {
        action
        for entry_point in package.entry_points()
        for action in package.actions(entry_point)
        if action.startswith("iam:")
    }


ENGINE_IAM = engine_iam_actions()
# What the hub does to a member's users' keys: every IAM call but the listing.
KEY_ACTIONS = ENGINE_IAM - USER_LISTING


@pytest.fixture(scope="module")
def plan(terraform: Terraform, moto_endpoint: str) -> dict[str, Any]:
    terraform.init(FIXTURE)
    planned, refusal = terraform.plan_json(FIXTURE, {}, moto_endpoint, BUILD / "member-role")
    assert planned is not None, refusal
    return planned


def test_the_engine_calls_key_actions_and_both_listings() -> None:
    """The premise of the tests below: the engine acts on users' keys and lists users both ways.
    An IAM call the engine gains shows up here and, unless granted, below."""
    assert KEY_ACTIONS, "the engine calls no IAM action on users"
    assert USER_LISTING <= ENGINE_IAM, sorted(USER_LISTING - ENGINE_IAM)


@pytest.mark.parametrize("instance", INSTANCES)
def test_role_grants_exactly_what_the_engine_calls_on_users(
    plan: dict[str, Any], instance: str
) -> None:
    granted = actions_of(policy(plan, instance, ADDRESS))
    expected = KEY_ACTIONS | LISTING[instance]
    assert granted - expected == set(), f"granted but never called: {sorted(granted - expected)}"
    assert expected - granted == set(), f"called but not granted: {sorted(expected - granted)}"


@pytest.mark.parametrize("instance", INSTANCES)
def test_key_actions_reach_only_the_named_or_selected_users(
    plan: dict[str, Any], instance: str
) -> None:
    statements = policy(plan, instance, ADDRESS)
    for action in KEY_ACTIONS:
        assert resources_for(statements, action) == REACHED[instance], action
    for statement in statements:
        if "*" in statement["Resource"]:
            assert set(statement["Action"]) <= USER_LISTING, statement
            assert statement["Resource"] == ["*"], statement


def test_users_selected_by_tag_must_carry_it(plan: dict[str, Any]) -> None:
    """Beyond the named users, the tag instance reaches a user only while it carries the tag."""
    statements = policy(plan, "tag", ADDRESS)
    (selected,) = [s for s in statements if f"{USERS}/*" in s["Resource"]]
    assert selected["Condition"] == {"StringEquals": {"iam:ResourceTag/rotate": "yes"}}
    assert selected["Resource"] == [f"{USERS}/*"]
    for instance in ("listed", "path", "everyone", "no_listing"):
        assert all("Condition" not in s for s in policy(plan, instance, ADDRESS)), instance


@pytest.mark.parametrize("instance", INSTANCES)
def test_only_the_hub_function_roles_may_assume_it(plan: dict[str, Any], instance: str) -> None:
    trust = json.loads(planned(plan, instance, "aws_iam_role.this")["assume_role_policy"])
    (statement,) = trust["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": HUB_ROLES}
    assert statement.get("Condition") == TRUST_CONDITION.get(instance)
