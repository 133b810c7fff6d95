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
from handler_deployment import HandlerDeployment, Key, deploy

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


def held(deployment: HandlerDeployment, role: str) -> Key:
    """(key id, secret key) the user's target variables hold."""
    gitlab = deployment.stand_in
    assert isinstance(gitlab, GitLabStandIn)
    kind, path, scope = TARGETS[role]
    key_id = gitlab.variable(kind, path, "AWS_ACCESS_KEY_ID", scope)
    secret = gitlab.variable(kind, path, "AWS_SECRET_ACCESS_KEY", scope)
    return key_id["value"], secret["value"]


@pytest.fixture(scope="module")
def gitlab() -> Iterator[HandlerDeployment]:
    stand_in = GitLabStandIn()
    stand_in.tokens.add(TOKEN)
    stand_in.add_project(PROJECT)
    stand_in.add_group("platform")
    variables = {"gitlab_url": stand_in.url.removesuffix("/api/v4"), "project": PROJECT}
    token = ("gitlab_token_secret_arn", TOKEN)
    with deploy("gitlab-ci", "gitlab_ci", stand_in, variables, token, ROLES, held) as deployment:
        yield deployment


def test_given_the_schedule_runs_then_each_target_holds_its_users_new_key(
    gitlab: HandlerDeployment,
) -> None:
    run = gitlab.stack.rotate()

    gitlab.assert_each_target_holds_a_new_key(run, before={})
    stand_in = gitlab.stand_in
    assert isinstance(stand_in, GitLabStandIn)
    builder = stand_in.variable("groups", "platform", "AWS_SECRET_ACCESS_KEY")
    reviewer = stand_in.variable("projects", PROJECT, "AWS_SECRET_ACCESS_KEY", "review/*")
    assert (builder["hidden"], builder["masked"], builder["protected"]) == (True, True, True)
    assert (reviewer["hidden"], reviewer["masked"], reviewer["protected"]) == (False, True, False)


def test_given_the_next_run_then_the_variables_are_updated_and_the_previous_key_is_deleted(
    gitlab: HandlerDeployment,
) -> None:
    before = gitlab.keys_now()

    run = gitlab.stack.rotate()

    gitlab.assert_each_target_holds_a_new_key(run, before)


def test_given_a_token_without_the_maintainer_role_on_the_group_then_its_user_rolls_back(
    gitlab: HandlerDeployment,
) -> None:
    stand_in = gitlab.stand_in
    assert isinstance(stand_in, GitLabStandIn)
    before = gitlab.keys_now()
    stand_in.refuse("GET", "/groups/platform/variables", 403, "403 Forbidden")
    try:
        run = gitlab.stack.rotate()
    finally:
        stand_in.refusals.clear()

    assert "403 403 Forbidden" in gitlab.assert_rolled_back(run, "builder", before)


def test_given_gitlab_unreachable_then_every_handoff_is_unconfirmed_and_both_keys_stay(
    gitlab: HandlerDeployment,
) -> None:
    before = gitlab.keys_now()
    gitlab.stand_in.stop()

    run = gitlab.stack.rotate()

    gitlab.assert_unconfirmed(run, before)
