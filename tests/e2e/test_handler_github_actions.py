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
from handler_deployment import HandlerDeployment, Key, deploy

from testkit.standins.github import GitHubStandIn

TOKEN = "github_pat_11E2E0stand1n0token"
REPOSITORY = "octo-org/app"
ROLES = ("deployer", "releaser", "publisher")
# Where the example sends each user's key: (environment, secret names); None: the organization.
TARGETS = {
    "deployer": (None, ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")),
    "releaser": ("production", ("PROD_AWS_ACCESS_KEY_ID", "PROD_AWS_SECRET_ACCESS_KEY")),
}


def held(deployment: HandlerDeployment, role: str) -> Key:
    """(key id, secret key) the user's target holds, its sealed boxes opened."""
    github = deployment.stand_in
    assert isinstance(github, GitHubStandIn)
    if role in TARGETS:
        environment, (id_name, secret_name) = TARGETS[role]
        return (
            github.secret(REPOSITORY, id_name, environment),
            github.secret(REPOSITORY, secret_name, environment),
        )
    key_id, written = github.organization_secret("octo-org", "AWS_ACCESS_KEY_ID")
    assert written["visibility"] == "selected"
    assert written["selected_repository_ids"] == [github.repositories[REPOSITORY].id]
    return key_id, github.organization_secret("octo-org", "AWS_SECRET_ACCESS_KEY")[0]


@pytest.fixture(scope="module")
def github() -> Iterator[HandlerDeployment]:
    stand_in = GitHubStandIn()
    stand_in.add_token(TOKEN)
    stand_in.add_repository(REPOSITORY, environments=("production",))
    stand_in.add_repository("octo-org/api")
    stand_in.add_organization("octo-org")
    variables = {"github_api_url": stand_in.url, "repository": REPOSITORY}
    token = ("github_token_secret_arn", TOKEN)
    with deploy(
        "github-actions", "github_actions", stand_in, variables, token, ROLES, held
    ) as deployment:
        yield deployment


def test_given_the_schedule_runs_then_each_target_holds_its_users_new_key(
    github: HandlerDeployment,
) -> None:
    run = github.stack.rotate()

    github.assert_each_target_holds_a_new_key(run, before={})


def test_given_the_next_run_then_the_targets_get_the_next_key_and_the_previous_one_is_deleted(
    github: HandlerDeployment,
) -> None:
    before = github.keys_now()

    run = github.stack.rotate()

    github.assert_each_target_holds_a_new_key(run, before)


def test_given_github_refusing_an_environment_then_only_that_users_rotation_rolls_back(
    github: HandlerDeployment,
) -> None:
    stand_in = github.stand_in
    assert isinstance(stand_in, GitHubStandIn)
    before = github.keys_now()
    message = "Resource not accessible by personal access token"
    stand_in.refuse("GET", f"/repos/{REPOSITORY}/environments/production/", 403, message)
    try:
        run = github.stack.rotate()
    finally:
        stand_in.refusals.clear()

    assert f"403 {message}" in github.assert_rolled_back(run, "releaser", before)


def test_given_github_unreachable_then_every_handoff_is_unconfirmed_and_both_keys_stay(
    github: HandlerDeployment,
) -> None:
    before = github.keys_now()
    github.stand_in.stop()

    run = github.stack.rotate()

    github.assert_unconfirmed(run, before)
