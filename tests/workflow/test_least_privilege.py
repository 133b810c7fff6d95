"""Every grant the module plans is needed: removing any one action, or narrowing any one resource,
denies a call the rotator makes in one of these runs.

Each test takes the rotator through every path that calls AWS for one configuration of the module
(listed users, old keys deleted; users selected by path and tag, old keys deactivated), with each
user at the root path and at a deeper one (a listed user's policy names both ``user/<name>`` and
``user/*/<name>``). Every call is authorized against the planned policies
(testkit/authorization.py) and must be allowed; then ``unneeded_grants`` removes each action and
each resource of each statement in turn and decides the recorded requests again: a grant whose
removal denies none is reported.

Exempt: the grants no emulated call exercises (``NOT_EXERCISED_IN_MOTO``): the Lambda runtime
writes the functions' logs, and Step Functions delivers its own logs and starts, describes, stops
and redrives a Distributed Map's child executions itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from testkit.authz.guard import NOT_EXERCISED_IN_MOTO
from testkit.consumer.handler import REFUSE
from testkit.harness import Harness
from testkit.injector import Injector
from testkit.member_accounts import HUB_ACCOUNT
from testkit.runner.invocation import FunctionDied

pytestmark = pytest.mark.workflow

DEEPER = "/ci/"


def move(harness: Harness, username: str, path: str) -> None:
    harness.iam.update_user(UserName=username, NewPath=path)


def die_after_creating_the_keys(harness: Harness, injector: Injector, users: list[str]) -> None:
    """A run whose rotate invocations die right after IAM created their users' new keys, and
    whose batch never records its outcomes: keys nobody recorded, which the next run proves strays
    (from the recent runs, their items and their missing outcomes) and deletes; finish, too, finds
    the outcomes missing. The injector gives the run AWS's pace, whole seconds apart."""
    struck: set[str] = set()

    def die(parsed: dict[str, Any], **_: Any) -> None:
        username = parsed.get("AccessKey", {}).get("UserName")
        if username and username not in struck:
            struck.add(username)
            raise FunctionDied(f"rotate died after creating a key for {username}")

    def lose_outcomes(params: dict[str, Any], **_: Any) -> None:
        if "/outcomes/" in str(params.get("Key", "")):
            raise RuntimeError("the bucket is unavailable")

    harness.hook("after-call.iam.CreateAccessKey", die)
    harness.s3_events().register("before-parameter-build.s3.PutObject", lose_outcomes)
    injector.latency_for_strays = True
    try:
        died = harness.run()
    finally:
        injector.latency_for_strays = False
        harness.s3_events().unregister("before-parameter-build.s3.PutObject", lose_outcomes)
    harness.wait_until_quiet()
    assert died.status == "FAILED"
    assert struck == set(users)


def delete_the_old_keys_by_hand_during_the_grace_wait(harness: Harness, users: list[str]) -> None:
    """A run during whose grace wait someone deletes the keys finish is about to retire: AWS may
    deny their last use (no owner to authorize it on), and finish then finds them gone among the
    users' keys."""

    def delete(state: str) -> None:
        if state != "GraceWait":
            return
        for user in users:
            old = harness.secret_key_id(user, "AWSPREVIOUS")
            harness.iam.delete_access_key(UserName=user, AccessKeyId=old)

    harness.state_hooks.append(delete)
    try:
        run = harness.run()
    finally:
        harness.state_hooks.remove(delete)
    assert run.status == "SUCCEEDED"
    assert sorted(entry["username"] for entry in run.summary["rotated"]) == sorted(users)


def rotate_through_every_path(harness: Harness, users: list[str]) -> None:
    """For each user: a rotation (the first creates its secret), a handoff the handler refuses
    (rolled back), a value written over its delivered version by hand (put back), a secret
    scheduled for deletion (restored), previous keys still in use (kept by finish, then by the
    next rotate, retired once no longer used), keys the rotator never recorded (proven strays and
    deleted), old keys deleted by hand before finish retires them, and rotations that retire the
    delivered key."""
    injector = Injector(harness)
    assert harness.run().status == "SUCCEEDED"
    for user in users:
        harness.consumer.behaviour[user] = REFUSE
    refused = harness.run()
    assert (refused.status, refused.error) == ("FAILED", "RotationFailed")
    harness.consumer.behaviour.clear()
    for user in users:  # someone writes over the delivered version: the next run restores it
        harness.secretsmanager.put_secret_value(
            SecretId=harness.secret_name(user), SecretString='{"note": "written by hand"}'
        )
    assert harness.run().status == "SUCCEEDED"
    for user in users:
        harness.secretsmanager.delete_secret(SecretId=harness.secret_name(user))
    assert harness.run().status == "SUCCEEDED"
    harness.not_moved.update(users)  # consumers keep their previous keys: finish keeps them;
    assert harness.run().status == "SUCCEEDED"
    harness.not_moved.difference_update(users)
    for user in users:  # used once more, so the next run's rotate keeps them again;
        harness.use_previous_key(user)
    assert harness.run().status == "SUCCEEDED"
    assert harness.run().status == "SUCCEEDED"  # unused since: rotate retires them
    delete_the_old_keys_by_hand_during_the_grace_wait(harness, users)
    die_after_creating_the_keys(harness, injector, users)
    assert harness.run().status == "SUCCEEDED"


def assert_every_grant_needed(harness: Harness) -> None:
    assert harness.authorization is not None
    harness.authorization.assert_all_allowed()
    unneeded = harness.authorization.guard.unneeded(NOT_EXERCISED_IN_MOTO)
    assert not unneeded, "grants no call needed:\n" + "\n".join(u.describe() for u in unneeded)


def test_given_listed_users_whose_old_keys_are_deleted_then_every_grant_is_needed(
    harness: Harness,
) -> None:
    """GIVEN the module with listed users (homer at /, bart under /ci/) and old_key_action delete
    WHEN both go through every path, then again with their paths swapped THEN AWS allowed every
    call and every planned action and resource was needed by one."""
    assert harness.authorization is not None
    harness.authorization.shared = False
    harness.configure_users("homer", "bart")
    move(harness, "bart", DEEPER)
    harness.create_key("homer")  # adopted at the first run, then retired

    rotate_through_every_path(harness, ["homer", "bart"])
    move(harness, "homer", DEEPER)
    move(harness, "bart", "/")
    rotate_through_every_path(harness, ["homer", "bart"])

    assert_every_grant_needed(harness)


def test_given_users_selected_by_path_and_tag_whose_old_keys_are_deactivated_then_every_grant_is_needed(  # noqa: E501
    harness: Harness,
) -> None:
    """GIVEN the module selecting the users under /ci/ tagged rotate=yes, and old_key_action
    deactivate WHEN two of them go through every path THEN AWS allowed every call and every
    planned action and resource was needed by one."""
    assert harness.authorization is not None
    harness.authorization.shared = False
    harness.set_settings(
        old_key_action="deactivate",
        accounts={
            HUB_ACCOUNT: {
                "user_path_prefix": DEEPER,
                "user_tag": {"key": "rotate", "value": "yes"},
                "user_listing": "GetAccountAuthorizationDetails",
            }
        },
    )
    harness.configure_users(create=False)
    for user in ("homer", "bart"):
        harness.iam.create_user(
            UserName=user, Path=DEEPER, Tags=[{"Key": "rotate", "Value": "yes"}]
        )

    rotate_through_every_path(harness, ["homer", "bart"])

    assert_every_grant_needed(harness)
