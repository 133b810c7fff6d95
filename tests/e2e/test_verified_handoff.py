"""The verified handoff on LocalStack: new keys proven before the consumer gets them, and a
previous key that is still used after the handoff kept until it is not.

LocalStack answers STS through moto, which records a key's last use on every call signed with it
(it does so for the services it answers through moto, STS and IAM among them, not for S3), and
finds the user a new key belongs to. It is kinder than AWS in two ways the workflow tier closes:
it accepts a new key at once (IAM takes seconds), and it authenticates an inactive key.
"""

from __future__ import annotations

import json
import time

from leaks import assert_no_secret_leaked

from testkit.stack import Stack

# Long enough a grace wait to use the old key in it, whole seconds after the handoffs.
GRACE_SECONDS = 8


def entered(stack: Stack, execution_arn: str, state: str) -> bool:
    return any(
        event.get("stateEnteredEventDetails", {}).get("name") == state
        for event in stack.history(execution_arn)
    )


def test_given_a_run_then_every_new_key_was_proven_before_its_handoff(stack: Stack) -> None:
    """GIVEN the module's defaults (verify_new_key) WHEN a run rotates the users THEN the rotate
    function logged, for each, that the new key it handed off authenticated three times."""
    for username in stack.usernames:
        stack.reset_user(username)

    run = stack.rotate()

    assert run.status == "SUCCEEDED", run
    proven = {}
    for group, message in stack.log_events():
        if group.endswith("-rotate") and '"new access key works"' in message:
            record = json.loads(message)
            proven[record["access_key_id"]] = (record["username"], record["checks"])
    for entry in run.summary["rotated"]:
        assert proven.get(entry["accessKeyId"]) == (entry["username"], 3), entry
    assert_no_secret_leaked(stack, run.execution_arn)


def test_given_a_consumer_still_on_its_old_key_then_it_is_kept_until_the_consumer_moves(
    stack: Stack,
) -> None:
    """GIVEN a consumer that uses the old key during the grace wait WHEN the run finishes THEN
    the old key stays Active and the user is listed as deferred; WHEN the next run finds it unused
    since THEN it is deleted and the user rotated."""
    stack.apply(cleanup_wait_seconds=GRACE_SECONDS)
    try:
        username = stack.usernames[0]
        old_key, old_secret = stack.reset_user(username)
        old = stack.client("sts", {"AccessKeyId": old_key, "SecretAccessKey": old_secret})
        arn = stack.start({"users": [username]})
        deadline = time.monotonic() + 120
        while not entered(stack, arn, "GraceWait"):
            assert time.monotonic() < deadline, "the run never reached its grace wait"
            time.sleep(0.5)
        time.sleep(1.5)  # whole seconds after the batch recorded its outcomes
        old.get_caller_identity()
        used_at = time.monotonic()

        first = stack.wait(arn)

        assert first.status == "SUCCEEDED", first
        (deferred,) = first.summary["deferred"]
        assert (deferred["username"], deferred["accessKeyId"]) == (username, old_key)
        assert (deferred["runs"], deferred["action"]) == (1, "kept")
        new_key = stack.secret_key_id(username)
        assert stack.keys(username) == {old_key: "Active", new_key: "Active"}

        # A deferred key goes once the grace wait has passed since its last use (docs/design.md):
        # the next run comes after that, whole seconds later, as a scheduled run would.
        time.sleep(max(0.0, used_at + GRACE_SECONDS + 2 - time.monotonic()))
        second = stack.rotate({"users": [username]})

        assert second.status == "SUCCEEDED", second
        (rotated,) = second.summary["rotated"]
        assert rotated["previousKeyId"] == new_key
        assert old_key not in stack.keys(username)
        assert_no_secret_leaked(stack, first.execution_arn, second.execution_arn)
    finally:
        stack.apply()
