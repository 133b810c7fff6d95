"""Runs of hundreds of users: batches in child executions, limits that hold, every user once."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from testkit.checks.expected_calls import batches_of, own_invocations
from testkit.harness import Harness
from testkit.member_accounts import HUB_ACCOUNT

pytestmark = pytest.mark.workflow

FAIL_CAUSE_LIMIT = 32_768  # characters of a failed execution's cause
STATE_PAYLOAD_LIMIT = 256 * 1024  # bytes of any state's input or output
HISTORY_LIMIT = 25_000  # events of one execution's history


def names(count: int, prefix: str = "user") -> list[str]:
    return [f"{prefix}{n:04d}" for n in range(count)]


def largest_payload(events: list[dict[str, object]]) -> int:
    sizes = [
        len(str(details.get(field, "")).encode())
        for event in events
        for details in event.values()
        if isinstance(details, dict)
        for field in ("input", "output")
    ]
    return max(sizes, default=0)


def test_given_250_users_when_the_schedule_runs_then_each_holds_one_new_key_handed_off_once(
    harness: Harness,
) -> None:
    """GIVEN 250 users (12 batches of 20 and one of 10), each with a key WHEN a run rotates them
    THEN each ends with one Active key, the one its handler read; the handler got every user
    exactly once; no execution history nor state comes near Step Functions' limits, and the summary
    is complete."""
    users = names(250)
    harness.configure_users(*users)
    old = {user: harness.create_key(user) for user in users}

    run = harness.run(timeout=240)

    assert run.status == "SUCCEEDED", run.cause
    deliveries = Counter(delivery.username for delivery in harness.consumer.deliveries)
    assert deliveries == Counter(users)
    for delivery in harness.consumer.deliveries:
        assert harness.keys(delivery.username) == {delivery.read_key_id: "Active"}
        assert delivery.read_key_id != old[delivery.username]
    assert run.summary["counts"] == {
        "rotated": 250,
        "skipped": 0,
        "planned": 0,
        "deferred": 0,
        "failed": 0,
    }
    stored = harness.run_data(run.arn)
    assert len(stored["summary.json"]["rotated"]) == 250
    assert [len(batch["entries"]) for batch in stored["items.json"]] == [20] * 12 + [10]
    assert batches_of(250) == 13
    assert sorted(key for key in stored if key.startswith("outcomes/")) == [
        f"outcomes/{n:05d}.json" for n in range(13)
    ]
    parent, children = harness.history(run.arn), harness.child_history(run.arn)
    assert len(parent) < 60  # the run's own history does not grow with its users
    assert len(children) < HISTORY_LIMIT
    assert largest_payload(parent + children) < STATE_PAYLOAD_LIMIT // 4
    assert len(json.dumps(run.summary)) <= 30_000
    assert harness.calls.own_invocations == own_invocations(250)


def test_given_340_users_that_all_fail_when_run_then_the_failed_runs_cause_still_fits(
    harness: Harness,
) -> None:
    """GIVEN 340 users selected by path (more than a users list may name), each with two Active
    keys the rotator never delivered, so it cannot tell which one the consumer uses WHEN a run
    fails all of them THEN the execution's cause is a summary within the cause limit: complete
    counts, the first failures, and where the full summary is; the full one lists all 340."""
    users = names(340, "ci")
    harness.configure_users(create=False)
    harness.set_settings(
        accounts={HUB_ACCOUNT: {"user_path_prefix": "/ci/", "user_listing": "ListUsers"}}
    )
    for user in users:
        harness.iam.create_user(UserName=user, Path="/ci/")
        harness.create_key(user)
        harness.create_key(user)

    run = harness.run(timeout=240)

    assert (run.status, run.error) == ("FAILED", "RotationFailed")
    assert run.cause is not None and len(run.cause) <= FAIL_CAUSE_LIMIT
    summary = run.summary
    assert summary["counts"]["failed"] == 340
    assert summary["truncated"] is True
    assert 0 < len(summary["failed"]) < 340
    assert (summary["failed"][0]["username"], summary["failed"][0]["error"]) == (
        "ci0000",
        "AmbiguousAccessKeys",
    )
    bucket, key = summary["summaryLocation"].removeprefix("s3://").split("/", 1)
    full = json.loads(harness.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert [entry["username"] for entry in full["failed"]] == users
    assert all(len(harness.keys(user)) == 2 for user in users[:5])  # nothing was touched


def test_given_finish_short_of_time_when_a_run_ends_then_it_resumes_until_every_key_is_retired(
    harness: Harness,
) -> None:
    """GIVEN finish's Lambda time too short for more than one batch WHEN 45 users (3 batches) are
    rotated THEN finish runs three times, each going on where the last stopped, and the summary
    lists every user once, in the order of the users parameter."""
    users = names(45)
    harness.configure_users(*users)
    old = {user: harness.create_key(user) for user in users}
    harness.function_timeout_ms = 100_000  # less than finish's reserve for a batch

    run = harness.run(timeout=120)

    assert run.status == "SUCCEEDED", run.cause
    assert harness.states_entered(run.arn, children=False).count("Finish") == 3
    assert [entry["username"] for entry in run.summary["rotated"]] == users
    assert {entry["username"]: entry["previousKeyId"] for entry in run.summary["rotated"]} == old
    for user in users:
        assert list(harness.keys(user).values()) == ["Active"]
        assert old[user] not in harness.keys(user)
    stored = harness.run_data(run.arn)
    assert sorted(key for key in stored if key.startswith("summary-parts/")) == [
        "summary-parts/00000.json",
        "summary-parts/00001.json",
    ]


def test_given_a_batch_whose_outcomes_are_lost_when_run_then_its_users_keep_working_keys(
    harness: Harness,
) -> None:
    """GIVEN 25 users rotated once, and the run-data bucket refusing the outcomes of the second
    batch WHEN they are rotated again THEN the first batch's users are rotated; the second batch's
    are reported failed and keep their delivered key Active next to the new one (nothing a handler
    may still use is retired); the run FAILS; and the next run leaves each with one Active key."""
    users = names(25)
    harness.configure_users(*users)
    assert harness.run(timeout=60).status == "SUCCEEDED"
    delivered = {user: harness.secret_key_id(user) for user in users}

    def refuse(params: dict[str, object], **_: object) -> None:
        if str(params.get("Key", "")).endswith("/outcomes/00001.json"):
            raise RuntimeError("the bucket is unavailable")

    harness.s3_events().register("before-parameter-build.s3.PutObject", refuse)
    lost = harness.run(timeout=60)
    harness.s3_events().unregister("before-parameter-build.s3.PutObject", refuse)

    assert (lost.status, lost.error) == ("FAILED", "RotationFailed")
    assert [entry["username"] for entry in lost.summary["rotated"]] == users[:20]
    assert [entry["username"] for entry in lost.summary["failed"]] == users[20:]
    assert {entry["error"] for entry in lost.summary["failed"]} == {"OutcomeUnknown"}
    for user in users[20:]:
        handed = harness.consumer.for_user(user)[-1].read_key_id
        assert harness.keys(user) == {delivered[user]: "Active", handed: "Active"}

    repaired = harness.run(timeout=60)

    assert repaired.status == "SUCCEEDED", repaired.cause
    for user in users:
        assert harness.keys(user) == {harness.consumer.for_user(user)[-1].read_key_id: "Active"}


def test_given_no_users_when_the_schedule_runs_then_the_run_succeeds_with_an_empty_summary(
    harness: Harness,
) -> None:
    harness.configure_users()

    run = harness.run()

    assert run.status == "SUCCEEDED", run.cause
    assert run.summary["counts"] == {
        "rotated": 0,
        "skipped": 0,
        "planned": 0,
        "deferred": 0,
        "failed": 0,
    }
    assert harness.child_history(run.arn) == []
