"""examples/github-actions on LocalStack: the rotator and the GitHub Actions handler applied with
the real Terraform and AWS provider, real rotations through the deployed state machine, and the
handler's zip run by Lambda (LocalStack's host executor) against a stand-in of GitHub's REST API
(``testkit.standins.github``: GitHub itself is out of reach here). The stand-in opens every sealed
box with its private key, so the tests compare what each target holds with the users' secrets.

The tests run in order: each starts from the keys the previous one left; the last one makes the
API unreachable.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from handler_deployment import HandlerDeployment, deploy
from leaks import assert_no_secret_leaked

from testkit.standins.github import GitHubStandIn

TOKEN = "github_pat_11E2E0stand1n0token"
REPOSITORY = "octo-org/app"


@pytest.fixture(scope="module")
def github() -> Iterator[HandlerDeployment]:
    stand_in = GitHubStandIn()
    stand_in.add_token(TOKEN)
    stand_in.add_repository(REPOSITORY, environments=("production",))
    stand_in.add_repository("octo-org/api")
    stand_in.add_organization("octo-org")
    variables = {"github_api_url": stand_in.url, "repository": REPOSITORY}
    token = ("github_token_secret_arn", TOKEN)
    with deploy("github-actions", "github_actions", stand_in, variables, token) as deployment:
        yield deployment


def held(deployment: HandlerDeployment, role: str) -> tuple[str, str]:
    """(key id, secret key) the user's target holds."""
    github = deployment.stand_in
    assert isinstance(github, GitHubStandIn)
    if role == "deployer":
        names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        return github.secret(REPOSITORY, names[0]), github.secret(REPOSITORY, names[1])
    if role == "releaser":
        names = ("PROD_AWS_ACCESS_KEY_ID", "PROD_AWS_SECRET_ACCESS_KEY")
        return tuple(github.secret(REPOSITORY, name, "production") for name in names)  # type: ignore[return-value]
    key_id, written = github.organization_secret("octo-org", "AWS_ACCESS_KEY_ID")
    assert written["visibility"] == "selected"
    assert written["selected_repository_ids"] == [github.repositories[REPOSITORY].id]
    return key_id, github.organization_secret("octo-org", "AWS_SECRET_ACCESS_KEY")[0]


ROLES = ("deployer", "releaser", "publisher")


def test_given_the_schedule_runs_then_each_target_holds_its_users_new_key(
    github: HandlerDeployment,
) -> None:
    stack = github.stack

    run = stack.rotate()

    assert run.status == "SUCCEEDED", run
    assert run.usernames("rotated") == sorted(github.user(role) for role in ROLES)
    for role in ROLES:
        username = github.user(role)
        key_id, _ = new = github.new_key(username)
        assert stack.keys(username) == {key_id: "Active"}
        assert held(github, role) == new, f"the {role}'s target does not hold its new key"
    assert_no_secret_leaked(stack, run.execution_arn)


def test_given_the_next_run_then_the_targets_get_the_next_key_and_the_previous_one_is_deleted(
    github: HandlerDeployment,
) -> None:
    stack = github.stack
    before = {role: github.new_key(github.user(role))[0] for role in ROLES}

    run = stack.rotate()

    assert run.status == "SUCCEEDED", run
    for role in ROLES:
        username = github.user(role)
        key_id, _ = new = github.new_key(username)
        assert key_id != before[role]
        assert stack.keys(username) == {key_id: "Active"}  # the previous key is gone
        assert held(github, role) == new
    assert_no_secret_leaked(stack, run.execution_arn)


def test_given_github_refusing_an_environment_then_only_that_users_rotation_rolls_back(
    github: HandlerDeployment,
) -> None:
    stack = github.stack
    stand_in = github.stand_in
    assert isinstance(stand_in, GitHubStandIn)
    releaser = github.user("releaser")
    before = github.new_key(releaser)
    message = "Resource not accessible by personal access token"
    stand_in.refuse("GET", f"/repos/{REPOSITORY}/environments/production/", 403, message)
    try:
        run = stack.rotate()
    finally:
        stand_in.refusals.clear()

    assert run.status == "FAILED", run
    (failed,) = run.summary["failed"]
    assert (failed["username"], failed["error"]) == (releaser, "TargetRefused")
    assert f"403 {message}" in failed["message"]
    assert stack.keys(releaser) == {before[0]: "Active"}  # the new key was deleted
    assert github.new_key(releaser) == before
    assert held(github, "releaser") == before  # the target still holds the key that works
    assert run.usernames("rotated") == sorted(github.user(r) for r in ("deployer", "publisher"))


def test_given_github_unreachable_then_every_handoff_is_unconfirmed_and_both_keys_stay(
    github: HandlerDeployment,
) -> None:
    stack = github.stack
    before = {role: github.new_key(github.user(role)) for role in ROLES}
    github.stand_in.stop()

    run = stack.rotate()

    assert run.status == "FAILED", run
    assert {(f["username"], f["error"]) for f in run.summary["failed"]} == {
        (github.user(role), "HandoffUnconfirmed") for role in ROLES
    }
    for role in ROLES:
        username = github.user(role)
        new_id = github.new_key(username)[0]
        assert new_id != before[role][0]
        assert stack.keys(username) == {before[role][0]: "Active", new_id: "Active"}
        assert held(github, role) == before[role]
    assert_no_secret_leaked(stack, run.execution_arn)
