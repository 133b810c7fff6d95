"""Two runs of the same state machine never rotate the same users at the same time."""

from __future__ import annotations

import datetime

import pytest

from testkit.harness import Harness

pytestmark = pytest.mark.workflow

# The grace wait of these runs: long enough that the first run is still waiting whatever the
# machine's speed; the test then moves the clock past it.
GRACE = datetime.timedelta(minutes=5)


def test_given_a_run_in_its_grace_wait_when_another_starts_then_the_newer_run_refuses(
    harness: Harness,
) -> None:
    """GIVEN a run waiting before it retires old keys WHEN the schedule fires again THEN the new
    run fails at plan naming the running one, changes nothing, and the first run completes."""
    harness.configure_users("homer", "bart")
    first = harness.start(cleanup_wait_seconds=grace_seconds(), name="scheduled-1")
    harness.wait_for_state(first, "GraceWait")
    keys_while_waiting = {user: harness.keys(user) for user in ("homer", "bart")}

    second = harness.wait(harness.start(cleanup_wait_seconds=grace_seconds(), name="scheduled-2"))

    assert (second.status, second.error) == ("FAILED", "RotationAlreadyRunning")
    assert second.cause is not None and second.cause.startswith("execution scheduled-1 ")
    assert {user: harness.keys(user) for user in ("homer", "bart")} == keys_while_waiting
    harness.advance_clock(GRACE)
    assert harness.wait(first).status == "SUCCEEDED"
    assert [d.username for d in harness.consumer.deliveries].count("homer") == 1


def test_given_two_runs_started_together_when_both_plan_then_exactly_one_rotates(
    harness: Harness,
) -> None:
    harness.configure_users("homer")
    original = harness.create_key("homer")
    first = harness.start({"force": True}, cleanup_wait_seconds=grace_seconds(), name="on-demand-a")
    second = harness.start(cleanup_wait_seconds=grace_seconds(), name="scheduled-b")

    refused = harness.wait(second)
    harness.wait_for_state(first, "GraceWait")
    harness.advance_clock(GRACE)
    rotated = harness.wait(first)

    assert rotated.status == "SUCCEEDED"
    assert refused.error == "RotationAlreadyRunning"
    (entry,) = rotated.summary["rotated"]
    assert entry["previousKeyId"] == original
    assert harness.keys("homer") == {entry["accessKeyId"]: "Active"}
    assert len(harness.consumer.deliveries) == 1


def grace_seconds() -> int:
    return int(GRACE.total_seconds())
