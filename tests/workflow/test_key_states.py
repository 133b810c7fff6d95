"""The decision table through whole runs: every state a user's keys can be in."""

from __future__ import annotations

import pytest
from credentials_rotator.handlers import rotate

from testkit.checks.expected_calls import IN_USE_CHECK, VERIFICATION
from testkit.harness import Harness
from testkit.stories import delivered_once

pytestmark = pytest.mark.workflow


def test_given_a_user_without_keys_when_run_then_a_key_is_created_and_nothing_retired(
    harness: Harness,
) -> None:
    harness.configure_users("maggie")
    run = harness.run()
    assert run.status == "SUCCEEDED"
    (entry,) = run.summary["rotated"]
    assert entry["previousKeyId"] is None
    assert harness.keys("maggie") == {entry["accessKeyId"]: "Active"}


def test_given_delivered_and_an_inactive_key_when_run_then_the_inactive_key_goes_first(
    harness: Harness,
) -> None:
    delivered = delivered_once(harness, "homer")["homer"]
    inactive = harness.create_key("homer", inactive=True)

    run = harness.run()

    assert run.status == "SUCCEEDED"
    (entry,) = run.summary["rotated"]
    assert entry["previousKeyId"] == delivered
    assert harness.keys("homer") == {entry["accessKeyId"]: "Active"}
    assert inactive not in harness.keys("homer")


def test_given_a_run_that_stopped_after_rotate_when_run_again_then_that_key_is_handed_off(
    harness: Harness,
) -> None:
    """GIVEN a run died after rotate wrote a new key (delivered + a key written, maybe handed off,
    never confirmed) WHEN the next run comes THEN it hands that same key off, creates none, and
    retires the delivered key only after the handoff is confirmed."""
    delivered = delivered_once(harness, "homer")["homer"]
    with harness.acting_as("rotate"):
        written = rotate.handler(
            {
                "user": {"username": "homer", "metadata": None},
                "record": None,
                "dryRun": False,
                "force": False,
                "prefix": "runs/a-run-that-died/",
                "attempt": 0,
            },
            None,
        )["accessKeyId"]
    assert harness.current_stages("homer") == ["AWSCURRENT", "PENDING_HANDOFF"]

    run = harness.run()

    assert run.status == "SUCCEEDED"
    (entry,) = run.summary["rotated"]
    assert (entry["accessKeyId"], entry["previousKeyId"]) == (written, delivered)
    assert harness.keys("homer") == {written: "Active"}
    assert harness.consumer.for_user("homer")[-1].read_key_id == written
    assert harness.current_stages("homer") == ["AWSCURRENT"]


def test_given_delivered_and_an_unknown_active_key_when_run_then_that_user_fails_untouched(
    harness: Harness,
) -> None:
    delivered = delivered_once(harness, "homer", "bart")
    unknown = harness.create_key("homer")

    run = harness.run()

    assert run.status == "FAILED"
    (failed,) = run.summary["failed"]
    assert failed["username"] == "homer"
    assert failed["error"] == "UnknownAccessKey"
    assert unknown in failed["message"]
    assert harness.keys("homer") == {delivered["homer"]: "Active", unknown: "Active"}
    assert harness.secret_key_id("homer") == delivered["homer"]
    assert [r["username"] for r in run.summary["rotated"]] == ["bart"]


def test_given_no_record_an_inactive_and_an_active_key_when_run_then_the_active_is_adopted(
    harness: Harness,
) -> None:
    harness.configure_users("homer")
    inactive = harness.create_key("homer", inactive=True)
    active = harness.create_key("homer")

    run = harness.run()

    assert run.status == "SUCCEEDED"
    (entry,) = run.summary["rotated"]
    assert entry["previousKeyId"] == active
    assert harness.keys("homer") == {entry["accessKeyId"]: "Active"}
    assert inactive not in harness.keys("homer")


def test_given_no_record_and_two_active_keys_when_run_then_that_user_fails_untouched(
    harness: Harness,
) -> None:
    harness.configure_users("homer")
    both = {harness.create_key("homer"), harness.create_key("homer")}

    run = harness.run()

    assert run.status == "FAILED"
    assert run.summary["failed"][0]["error"] == "AmbiguousAccessKeys"
    assert set(harness.keys("homer")) == both
    assert harness.consumer.deliveries == []


def test_given_deactivate_mode_when_run_twice_then_old_keys_go_inactive_then_away(
    harness: Harness,
) -> None:
    """GIVEN old_key_action deactivate WHEN two runs rotate homer THEN the first leaves the old
    key Inactive, the second deletes it before creating a key and deactivates its predecessor."""
    harness.set_settings(old_key_action="deactivate")
    harness.configure_users("homer")
    original = harness.create_key("homer")

    first = harness.run()

    assert first.status == "SUCCEEDED"
    first_key = first.summary["rotated"][0]["accessKeyId"]
    assert harness.keys("homer") == {original: "Inactive", first_key: "Active"}

    harness.calls.reset()
    second = harness.run()

    assert second.status == "SUCCEEDED"
    second_key = second.summary["rotated"][0]["accessKeyId"]
    assert harness.keys("homer") == {first_key: "Inactive", second_key: "Active"}
    assert harness.consumer.for_user("homer")[-1].read_key_id == second_key
    assert (
        harness.calls.per_user("homer")
        == {  # the record comes from the batch's read
            "ListAccessKeys": 1,
            "DeleteAccessKey": 1,
            "CreateAccessKey": 1,
            "PutSecretValue": 1,
            "Invoke": 1,
            "UpdateSecretVersionStage": 1,
            "UpdateAccessKey": 1,
        }
        | VERIFICATION
        | IN_USE_CHECK
    )
