"""Whole runs with users selected at run time: by path, by tag, minus the excluded ones."""

from __future__ import annotations

from typing import Any

import pytest

from testkit.checks.expected_calls import NORMAL_PATH, own_invocations
from testkit.harness import Harness
from testkit.member_accounts import HUB_ACCOUNT

pytestmark = pytest.mark.workflow

METADATA = "credentials-rotator:metadata"


def create(harness: Harness, name: str, path: str = "/", **tags: str) -> str:
    """An IAM user with one key; returns the key id."""
    harness.iam.create_user(
        UserName=name, Path=path, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
    )
    return harness.create_key(name)


def select(harness: Harness, **selection: Any) -> None:
    """The module's own account selects its users so (its entry of the settings' accounts)."""
    harness.set_settings(accounts={HUB_ACCOUNT: selection})


def listings(harness: Harness) -> dict[str, int]:
    found: dict[str, int] = {}
    for operation, _ in harness.calls.calls:
        if operation in {"ListUsers", "GetAccountAuthorizationDetails"}:
            found[operation] = found.get(operation, 0) + 1
    return found


def test_given_users_under_the_path_when_the_schedule_runs_then_they_rotate_with_the_listed_ones(
    harness: Harness,
) -> None:
    """GIVEN homer in the users parameter and deployer, builder and break-glass under /ci/, with
    break-glass excluded WHEN two runs go THEN homer, deployer and builder each end with one new
    key their handler read, break-glass keeps its key, and each run lists IAM once; selected
    users cost what listed ones do."""
    harness.configure_users({"username": "homer", "metadata": "configured"})
    homer = harness.create_key("homer")
    old = {name: create(harness, name, "/ci/") for name in ("deployer", "builder", "break-glass")}
    old["homer"] = homer
    create(harness, "moe", "/bar/")
    select(
        harness, user_path_prefix="/ci/", exclude_users=["break-glass"], user_listing="ListUsers"
    )

    run = harness.run()

    assert run.status == "SUCCEEDED"
    assert sorted(r["username"] for r in run.summary["rotated"]) == ["builder", "deployer", "homer"]
    for user in ("homer", "deployer", "builder"):
        (delivery,) = harness.consumer.for_user(user)
        assert harness.keys(user) == {delivery.read_key_id: "Active"}
        assert delivery.payload["secretName"] == f"ci-keys/{user}"
        assert delivery.read_key_id != old[user]
    assert harness.consumer.for_user("homer")[0].payload["metadata"] == "configured"
    assert harness.consumer.for_user("deployer")[0].payload["metadata"] is None
    assert harness.keys("break-glass") == {old["break-glass"]: "Active"}
    assert harness.consumer.for_user("break-glass") == harness.consumer.for_user("moe") == []
    assert listings(harness) == {"ListUsers": 1}

    harness.calls.reset()
    assert harness.run().status == "SUCCEEDED"
    for user in ("homer", "deployer", "builder"):
        assert harness.calls.per_user(user) == NORMAL_PATH
    assert listings(harness) == {"ListUsers": 1}
    assert harness.calls.own_invocations == own_invocations(3)


def test_given_tagged_users_when_run_on_demand_then_selected_names_are_accepted(
    harness: Harness,
) -> None:
    """GIVEN users tagged rotate=yes, one with a metadata tag WHEN an on-demand run names one of
    them THEN only that one rotates and its handler gets the tag's metadata; a name that is
    neither configured nor selected fails the run naming it."""
    harness.configure_users("homer")
    create(harness, "deployer", "/ci/", rotate="yes", **{METADATA: "deploy-pipeline"})
    create(harness, "builder", rotate="yes")
    create(harness, "lisa", rotate="no")
    select(
        harness,
        user_tag={"key": "rotate", "value": "yes"},
        user_listing="GetAccountAuthorizationDetails",
    )

    run = harness.run({"users": ["deployer"]})

    assert run.status == "SUCCEEDED"
    assert [r["username"] for r in run.summary["rotated"]] == ["deployer"]
    (delivery,) = harness.consumer.for_user("deployer")
    assert delivery.payload["metadata"] == "deploy-pipeline"
    assert listings(harness) == {"GetAccountAuthorizationDetails": 1}

    refused = harness.run({"users": ["builder", "lisa"]})

    assert (refused.status, refused.error) == ("FAILED", "UnknownUser")
    assert refused.cause == (
        'user lisa is not configured for rotation nor selected by user_tag "rotate" = "yes"'
    )
    assert [d.username for d in harness.consumer.deliveries] == ["deployer"]


def test_given_a_selected_user_with_a_comma_when_run_then_nothing_changes_and_it_is_named(
    harness: Harness,
) -> None:
    """GIVEN "smith,john" under /ci/ WHEN the schedule runs THEN the run fails at once naming
    him, and no key changes; once he is excluded the others rotate."""
    keys: dict[str, Any] = {
        name: create(harness, name, "/ci/") for name in ("deployer", "smith,john")
    }
    harness.configure_users(create=False)
    select(harness, user_path_prefix="/ci/", user_listing="ListUsers")

    run = harness.run()

    assert (run.status, run.error) == ("FAILED", "InvalidUsersParameter")
    assert run.cause is not None and run.cause.endswith('add them to exclude_users: "smith,john"')
    assert harness.consumer.deliveries == []
    assert harness.keys("deployer") == {keys["deployer"]: "Active"}

    select(harness, user_path_prefix="/ci/", exclude_users=["smith,john"], user_listing="ListUsers")
    assert harness.run().status == "SUCCEEDED"
    assert [d.username for d in harness.consumer.deliveries] == ["deployer"]
    assert harness.keys("smith,john") == {keys["smith,john"]: "Active"}
