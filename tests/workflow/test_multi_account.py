"""Whole runs across accounts: the hub rotates its own users and those of member accounts, through
the member role each member account has (modules/member-role), and hands every key to the
handler in the hub.

The world of every test: the hub lists homer and deployer, plus marge of PATHS and carl of DOWN;
PATHS selects its users under /ci/ (deployer, builder; break-glass excluded; moe lives under
/bar/); TAGS selects those tagged rotate=yes (deployer; lisa is tagged no); DOWN selects under
/ci/ but has no member role, so it cannot be reached. deployer is a user of the hub, of PATHS and
of TAGS. The member roles require an external id. IAM as AWS enforces it holds every call to the
policies Terraform plans: the functions' own, and the member role's in each member account, whose
trust must name the function assuming it (testkit/authorization.py).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from credentials_rotator.aws import clients
from credentials_rotator.aws.notifications import FAILED as FAILED_EVENT

from testkit.checks.expected_calls import NORMAL_PATH
from testkit.event_subscriber import Subscriber
from testkit.harness import Harness
from testkit.member_accounts import HUB_ACCOUNT, MEMBER_ROLE_NAME, create_member_role

pytestmark = pytest.mark.workflow

PATHS, TAGS, DOWN = "111122223333", "444455556666", "777788889999"
EXTERNAL_ID = "ci-keys-7f3c"
ACCOUNTS = {
    PATHS: {
        "user_path_prefix": "/ci/",
        "exclude_users": ["break-glass"],
        "user_listing": "ListUsers",
    },
    TAGS: {
        "user_tag": {"key": "rotate", "value": "yes"},
        "user_listing": "GetAccountAuthorizationDetails",
    },
    DOWN: {"user_path_prefix": "/ci/", "user_listing": "ListUsers"},
}
# The users each run rotates, by the rotator's names, and the accounts they live in.
ROTATED = {
    "homer": HUB_ACCOUNT,
    "deployer": HUB_ACCOUNT,
    f"{PATHS}/marge": PATHS,
    f"{PATHS}/deployer": PATHS,
    f"{PATHS}/builder": PATHS,
    f"{TAGS}/deployer": TAGS,
}
# Users no run may touch: excluded, outside the selection, or in the unreachable account.
UNTOUCHED = (
    f"{PATHS}/break-glass",
    f"{PATHS}/moe",
    f"{TAGS}/lisa",
    f"{DOWN}/carl",
    f"{DOWN}/deployer",
)


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{MEMBER_ROLE_NAME}"


def three_member_accounts(harness: Harness) -> dict[str, str]:
    """The world of the module's docstring, each user with one key; returns every user's key."""
    harness.set_settings(accounts=ACCOUNTS, member_external_id=EXTERNAL_ID)
    for account in (PATHS, TAGS):
        create_member_role(account, external_id=EXTERNAL_ID)
    harness.configure_users("homer", "deployer", f"{PATHS}/marge", f"{DOWN}/carl")
    harness.create_user(f"{PATHS}/deployer", "/ci/")
    harness.create_user(f"{PATHS}/builder", "/ci/")
    harness.create_user(f"{PATHS}/break-glass", "/ci/")
    harness.create_user(f"{PATHS}/moe", "/bar/")
    harness.create_user(f"{TAGS}/deployer", rotate="yes")
    harness.create_user(f"{TAGS}/lisa", rotate="no")
    harness.create_user(f"{DOWN}/deployer", "/ci/")
    return {name: harness.create_key(name) for name in [*ROTATED, *UNTOUCHED]}


def assumed_roles(harness: Harness) -> list[str]:
    """The role ARNs the functions ask STS for, from now on."""
    asked: list[str] = []
    clients.sts_client().meta.events.register(
        "provide-client-params.sts.AssumeRole",
        lambda params, **_: asked.append(params["RoleArn"]),
    )
    return asked


def secret_names(harness: Harness) -> set[str]:
    pages = harness.secretsmanager.get_paginator("list_secrets").paginate()
    return {secret["Name"] for page in pages for secret in page["SecretList"]}


def failed_by_name(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["username"]: entry for entry in summary["failed"]}


def assert_down_failed(summary: dict[str, Any]) -> None:
    """DOWN's selection and its listed user failed, naming the role and AWS's refusal."""
    failed = failed_by_name(summary)
    assert set(failed) == {f"{DOWN}/*", f"{DOWN}/carl"}
    for entry in failed.values():
        assert entry["error"] == "AccountUnreachable"
        assert f"account {DOWN} is unreachable" in entry["message"]
        assert role_arn(DOWN) in entry["message"]
        assert "AccessDenied" in entry["message"]


def assert_member_calls_decided_by_member_roles(harness: Harness) -> None:
    """IAM decided each member account's key calls by its member role's policy, on the users
    of that account, and each AssumeRole by the function's policy and the role's trust."""
    assert harness.authorization is not None
    checks = harness.authorization.guard.checks
    created = {
        (check.function, check.acting, check.request.resource)
        for check in checks
        if check.operation == "CreateAccessKey"
    }
    assert created == {
        ("rotate", None, "arn:aws:iam::123456789012:user/homer"),
        ("rotate", None, "arn:aws:iam::123456789012:user/deployer"),
        (f"member-role:{PATHS}", "rotate", f"arn:aws:iam::{PATHS}:user/marge"),
        (f"member-role:{PATHS}", "rotate", f"arn:aws:iam::{PATHS}:user/ci/deployer"),
        (f"member-role:{PATHS}", "rotate", f"arn:aws:iam::{PATHS}:user/ci/builder"),
        (f"member-role:{TAGS}", "rotate", f"arn:aws:iam::{TAGS}:user/deployer"),
    }
    listings = ("ListUsers", "GetAccountAuthorizationDetails")
    listed = {(c.function, c.acting, c.operation) for c in checks if c.operation in listings}
    assert listed == {
        (f"member-role:{PATHS}", "plan", "ListUsers"),
        (f"member-role:{TAGS}", "plan", "GetAccountAuthorizationDetails"),
    }
    assumed = Counter(
        (c.function, c.request.resource, c.request.note != "")
        for c in checks
        if c.operation == "AssumeRole"
    )
    for account in (PATHS, TAGS, DOWN):
        assert assumed[("plan", role_arn(account), False)] == 1  # plan's own policies
        assert assumed[("plan", role_arn(account), True)] == 1  # the role's trust


def test_given_three_member_accounts_one_unreachable_when_runs_go_then_each_account_rotates_alone(
    harness: Harness,
) -> None:
    """GIVEN the hub's users and three member accounts, DOWN without its member role
    WHEN the schedule runs THEN every reachable user's key is rotated in its own account (the
    three deployers each get a key of their own account), handed to the handler with its account
    and IAM user name, and kept in the hub as ci-keys/<account>/<user>; DOWN's selection and its
    listed user fail with AccountUnreachable naming the role, so the run ends FAILED; nobody else
    is touched. Each reachable account's role is assumed once a run.
    WHEN a second run goes THEN finish retires the previous keys in the member accounts, through
    their roles, and a member user costs what a hub user does."""
    old = three_member_accounts(harness)
    asked = assumed_roles(harness)
    harness.new_execution_environments()

    run = harness.run()

    assert (run.status, run.error) == ("FAILED", "RotationFailed")
    assert sorted(entry["username"] for entry in run.summary["rotated"]) == sorted(ROTATED)
    assert_down_failed(run.summary)
    assert run.summary["counts"]["failed"] == 2
    first: dict[str, str] = {}
    for name, account in ROTATED.items():
        (delivery,) = harness.consumer.for_user(name)
        bare = name.rsplit("/", 1)[-1]
        assert delivery.payload["username"] == bare
        assert delivery.payload["accountId"] == account
        assert delivery.payload["secretName"] == f"ci-keys/{name}"
        assert delivery.payload["secretArn"].split(":secret:")[1].startswith(f"ci-keys/{name}-")
        assert harness.keys(name) == {delivery.read_key_id: "Active"}, name
        assert delivery.read_key_id != old[name]
        secret = harness.secretsmanager.get_secret_value(SecretId=f"ci-keys/{name}")
        assert json.loads(secret["SecretString"])["UserName"] == bare
        first[name] = delivery.read_key_id
    deployers = [first["deployer"], first[f"{PATHS}/deployer"], first[f"{TAGS}/deployer"]]
    assert len(set(deployers)) == 3
    for name in UNTOUCHED:
        assert harness.keys(name) == {old[name]: "Active"}, name
        assert harness.consumer.for_user(name) == []
    assert secret_names(harness) == {f"ci-keys/{name}" for name in ROTATED}
    assert Counter(asked) == {role_arn(PATHS): 1, role_arn(TAGS): 1, role_arn(DOWN): 2}
    assert_member_calls_decided_by_member_roles(harness)

    asked.clear()
    harness.calls.reset()
    harness.new_execution_environments()
    again = harness.run()

    assert (again.status, again.error) == ("FAILED", "RotationFailed")
    assert_down_failed(again.summary)
    for name in ROTATED:
        delivery = harness.consumer.for_user(name)[-1]
        assert harness.keys(name) == {delivery.read_key_id: "Active"}, name
        assert first[name] not in harness.keys(name)
        assert harness.calls.per_user(name) == NORMAL_PATH, name
    assert {e["username"]: e["previousKeyId"] for e in again.summary["rotated"]} == first
    for name in UNTOUCHED:
        assert harness.keys(name) == {old[name]: "Active"}, name
    # one per reachable account; DOWN's: plan's listing and carl's rotation each try once
    assert Counter(asked) == {role_arn(PATHS): 1, role_arn(TAGS): 1, role_arn(DOWN): 2}
    assert harness.authorization is not None
    retired = {
        (check.function, check.acting)
        for check in harness.authorization.guard.checks
        if check.operation == "DeleteAccessKey" and check.allowed
    }
    assert {(f"member-role:{PATHS}", "finish"), (f"member-role:{TAGS}", "finish")} <= retired


def test_given_member_accounts_when_the_preflight_dry_run_goes_then_nothing_changes(
    harness: Harness,
) -> None:
    """GIVEN the three member accounts WHEN the pre-flight command's dry run goes (its input is
    {"dryRun": true}) THEN it reads every reachable user's keys through its account's role and
    plans them, changes no key and writes no secret, and reports DOWN unreachable."""
    old = three_member_accounts(harness)

    run = harness.run({"dryRun": True})

    summary = run.summary
    assert summary["dryRun"] is True
    assert sorted(entry["username"] for entry in summary["planned"]) == sorted(ROTATED)
    assert summary["rotated"] == []
    assert_down_failed(summary)
    assert (run.status, run.error) == ("FAILED", "RotationFailed")
    for name, key in old.items():
        assert harness.keys(name) == {key: "Active"}, name
    assert harness.consumer.deliveries == []
    assert secret_names(harness) == set()


def test_given_a_member_user_on_demand_when_run_then_only_that_user_is_rotated(
    harness: Harness,
) -> None:
    """GIVEN the three member accounts WHEN a run names PATHS's deployer THEN only that user
    rotates, in PATHS; the hub's and TAGS's deployers keep their keys. A name of an excluded
    user is refused before anything changes."""
    old = three_member_accounts(harness)

    run = harness.run({"users": [f"{PATHS}/deployer"]})

    assert [entry["username"] for entry in run.summary["rotated"]] == [f"{PATHS}/deployer"]
    (delivery,) = harness.consumer.deliveries
    assert (delivery.payload["accountId"], delivery.payload["username"]) == (PATHS, "deployer")
    assert harness.keys(f"{PATHS}/deployer") == {delivery.read_key_id: "Active"}
    for name in ("deployer", f"{TAGS}/deployer"):
        assert harness.keys(name) == {old[name]: "Active"}

    refused = harness.run({"users": [f"{PATHS}/break-glass"]})

    assert (refused.status, refused.error) == ("FAILED", "UnknownUser")
    assert refused.cause is not None and "excluded" in refused.cause
    assert harness.keys(f"{PATHS}/break-glass") == {old[f"{PATHS}/break-glass"]: "Active"}


def test_given_a_member_users_consumer_still_on_its_old_key_then_it_is_kept_there_until_it_moves(
    harness: Harness,
) -> None:
    """GIVEN PATHS's marge rotated once, whose consumer keeps using the previous key WHEN the
    next run ends THEN finish, asking IAM of PATHS through the role, keeps that key (deferred) and
    tags the secret in the hub; once the consumer moved, the next run's rotate retires it there
    before it rotates marge again."""
    three_member_accounts(harness)
    marge = f"{PATHS}/marge"
    harness.run({"users": [marge]})
    delivered = harness.secret_key_id(marge)
    harness.not_moved.add(marge)

    kept = harness.run({"users": [marge]})

    assert kept.status == "SUCCEEDED"
    (deferred,) = kept.summary["deferred"]
    assert (deferred["username"], deferred["accessKeyId"], deferred["action"]) == (
        marge,
        delivered,
        "kept",
    )
    assert harness.keys(marge) == {delivered: "Active", harness.secret_key_id(marge): "Active"}
    tags = harness.secretsmanager.describe_secret(SecretId=f"ci-keys/{marge}")["Tags"]
    assert any(t["Key"] == "credentials-rotator:in-use" for t in tags)

    harness.not_moved.discard(marge)
    moved = harness.run({"users": [marge]})

    assert moved.status == "SUCCEEDED" and moved.summary["deferred"] == []
    assert delivered not in harness.keys(marge)
    assert harness.keys(marge) == {harness.consumer.for_user(marge)[-1].read_key_id: "Active"}


def test_given_an_unreachable_account_when_a_run_names_another_accounts_user_then_it_succeeds(
    harness: Harness,
) -> None:
    """GIVEN DOWN unreachable WHEN an on-demand run names only PATHS's deployer THEN DOWN, which
    the run does not concern, does not fail it (as it does not when the run names marge, whom
    the users parameter lists)."""
    three_member_accounts(harness)

    listed = harness.run({"users": [f"{PATHS}/marge"]})
    selected = harness.run({"users": [f"{PATHS}/deployer"]})

    assert listed.status == "SUCCEEDED"
    assert selected.status == "SUCCEEDED", selected.summary["failed"]


def test_given_an_unreachable_account_when_a_run_names_its_user_then_that_user_fails_alone(
    harness: Harness,
) -> None:
    """GIVEN DOWN unreachable WHEN an on-demand run names DOWN's deployer (selected by DOWN's own
    path, so only DOWN's listing could find him) and homer THEN the run is not refused as a whole:
    DOWN's deployer fails with AccountUnreachable, as DOWN's users do in a scheduled run, homer is
    rotated, and the run ends FAILED so the alarm fires."""
    three_member_accounts(harness)

    run = harness.run({"users": [f"{DOWN}/deployer", "homer"]})

    assert (run.status, run.error) == ("FAILED", "RotationFailed")
    failed = failed_by_name(run.summary)
    assert set(failed) == {f"{DOWN}/deployer"}
    assert failed[f"{DOWN}/deployer"]["error"] == "AccountUnreachable"
    assert f"account {DOWN} is unreachable" in failed[f"{DOWN}/deployer"]["message"]
    assert [entry["username"] for entry in run.summary["rotated"]] == ["homer"]


def test_given_an_unreachable_account_when_a_run_ends_then_its_failure_has_its_event_once(
    harness: Harness,
) -> None:
    """GIVEN DOWN unreachable WHEN a scheduled run ends THEN every entry of its summary's failed
    list has its "IAM Access Key Rotation Failed" event, once: DOWN's selection (``DOWN/*``), whose
    users plan could not list, as well as carl, whom the users parameter lists."""
    three_member_accounts(harness)
    subscriber = Subscriber()

    run = harness.run()

    failed_events = Counter(
        event["detail"]["username"] for event in subscriber.of_type(FAILED_EVENT)
    )
    assert failed_events == Counter(entry["username"] for entry in run.summary["failed"])
    assert failed_events == {f"{DOWN}/*": 1, f"{DOWN}/carl": 1}
    (down,) = [
        e for e in subscriber.of_type(FAILED_EVENT) if e["detail"]["username"] == f"{DOWN}/*"
    ]
    assert (down["detail"]["error"], down["detail"]["accountId"]) == ("AccountUnreachable", DOWN)
