"""examples/gitlab-ci on LocalStack: the rotator and the GitLab CI/CD handler applied with the
real Terraform and AWS provider, real rotations through the deployed state machine, and the
handler's zip run by Lambda (LocalStack's host executor) against a stand-in of GitLab's REST API
(``testkit.standins.gitlab``: GitLab itself is out of reach here). The tests compare what each
target's variables hold with the users' secrets.

The tests run in order: each starts from the keys the previous one left; the last one makes the
API unreachable.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from handler_deployment import HandlerDeployment, deploy
from leaks import assert_no_secret_leaked

from testkit.standins.gitlab import GitLabStandIn

TOKEN = "glpat-E2EStandInToken0123"
PROJECT = "platform/deploy"
ROLES = ("deployer", "reviewer", "builder")
# Where the example sends each user's key: (kind, full path, environment scope).
TARGETS = {
    "deployer": ("projects", PROJECT, "*"),
    "reviewer": ("projects", PROJECT, "review/*"),
    "builder": ("groups", "platform", "*"),
}


@pytest.fixture(scope="module")
def gitlab() -> Iterator[HandlerDeployment]:
    stand_in = GitLabStandIn()
    stand_in.tokens.add(TOKEN)
    stand_in.add_project(PROJECT)
    stand_in.add_group("platform")
    variables = {"gitlab_url": stand_in.url.removesuffix("/api/v4"), "project": PROJECT}
    token = ("gitlab_token_secret_arn", TOKEN)
    with deploy("gitlab-ci", "gitlab_ci", stand_in, variables, token) as deployment:
        yield deployment


def held(deployment: HandlerDeployment, role: str) -> tuple[str, str]:
    """(key id, secret key) the user's target variables hold."""
    gitlab = deployment.stand_in
    assert isinstance(gitlab, GitLabStandIn)
    kind, path, scope = TARGETS[role]
    key_id = gitlab.variable(kind, path, "AWS_ACCESS_KEY_ID", scope)
    secret = gitlab.variable(kind, path, "AWS_SECRET_ACCESS_KEY", scope)
    return key_id["value"], secret["value"]


def test_given_the_schedule_runs_then_each_target_holds_its_users_new_key(
    gitlab: HandlerDeployment,
) -> None:
    stack = gitlab.stack

    run = stack.rotate()

    assert run.status == "SUCCEEDED", run
    assert run.usernames("rotated") == sorted(gitlab.user(role) for role in ROLES)
    for role in ROLES:
        username = gitlab.user(role)
        key_id, _ = new = gitlab.new_key(username)
        assert stack.keys(username) == {key_id: "Active"}
        assert held(gitlab, role) == new, f"the {role}'s variables do not hold its new key"
    stand_in = gitlab.stand_in
    assert isinstance(stand_in, GitLabStandIn)
    builder = stand_in.variable("groups", "platform", "AWS_SECRET_ACCESS_KEY")
    reviewer = stand_in.variable("projects", PROJECT, "AWS_SECRET_ACCESS_KEY", "review/*")
    assert (builder["hidden"], builder["masked"], builder["protected"]) == (True, True, True)
    assert (reviewer["hidden"], reviewer["masked"], reviewer["protected"]) == (False, True, False)
    assert_no_secret_leaked(stack, run.execution_arn)


def test_given_the_next_run_then_the_variables_are_updated_and_the_previous_key_is_deleted(
    gitlab: HandlerDeployment,
) -> None:
    stack = gitlab.stack
    before = {role: gitlab.new_key(gitlab.user(role))[0] for role in ROLES}

    run = stack.rotate()

    assert run.status == "SUCCEEDED", run
    for role in ROLES:
        username = gitlab.user(role)
        key_id, _ = new = gitlab.new_key(username)
        assert key_id != before[role]
        assert stack.keys(username) == {key_id: "Active"}  # the previous key is gone
        assert held(gitlab, role) == new
    assert_no_secret_leaked(stack, run.execution_arn)


def test_given_a_token_without_the_maintainer_role_on_the_group_then_its_user_rolls_back(
    gitlab: HandlerDeployment,
) -> None:
    stack = gitlab.stack
    stand_in = gitlab.stand_in
    assert isinstance(stand_in, GitLabStandIn)
    builder = gitlab.user("builder")
    before = gitlab.new_key(builder)
    stand_in.refuse("GET", "/groups/platform/variables", 403, "403 Forbidden")
    try:
        run = stack.rotate()
    finally:
        stand_in.refusals.clear()

    assert run.status == "FAILED", run
    (failed,) = run.summary["failed"]
    assert (failed["username"], failed["error"]) == (builder, "TargetRefused")
    assert "403 403 Forbidden" in failed["message"]
    assert stack.keys(builder) == {before[0]: "Active"}  # the new key was deleted
    assert gitlab.new_key(builder) == before
    assert held(gitlab, "builder") == before
    assert run.usernames("rotated") == sorted(gitlab.user(r) for r in ("deployer", "reviewer"))


def test_given_gitlab_unreachable_then_every_handoff_is_unconfirmed_and_both_keys_stay(
    gitlab: HandlerDeployment,
) -> None:
    stack = gitlab.stack
    before = {role: gitlab.new_key(gitlab.user(role)) for role in ROLES}
    gitlab.stand_in.stop()

    run = stack.rotate()

    assert run.status == "FAILED", run
    assert {(f["username"], f["error"]) for f in run.summary["failed"]} == {
        (gitlab.user(role), "HandoffUnconfirmed") for role in ROLES
    }
    for role in ROLES:
        username = gitlab.user(role)
        new_id = gitlab.new_key(username)[0]
        assert new_id != before[role][0]
        assert stack.keys(username) == {before[role][0]: "Active", new_id: "Active"}
        assert held(gitlab, role) == before[role]
    assert_no_secret_leaked(stack, run.execution_arn)
