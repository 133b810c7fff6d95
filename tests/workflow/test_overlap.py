"""Two runs of the same state machine never rotate the same users at the same time."""

from __future__ import annotations

import pytest

from testkit.harness import Harness

pytestmark = pytest.mark.workflow


def test_given_a_run_in_its_grace_wait_when_another_starts_then_the_newer_run_refuses(
    harness: Harness,
) -> None:
    """GIVEN a run waiting before it retires old keys WHEN the schedule fires again THEN the new
    run fails at plan naming the running one, changes nothing, and the first run completes."""
    harness.configure_users("homer", "bart")
    first = harness.start(cleanup_wait_seconds=2, name="scheduled-1")
    harness.wait_for_state(first, "GraceWait")
    keys_while_waiting = {user: harness.keys(user) for user in ("homer", "bart")}

    second = harness.wait(harness.start(cleanup_wait_seconds=2, name="scheduled-2"))

    assert (second.status, second.error) == ("FAILED", "RotationAlreadyRunning")
    assert second.cause is not None and second.cause.startswith("execution scheduled-1 ")
    assert {user: harness.keys(user) for user in ("homer", "bart")} == keys_while_waiting
    assert harness.wait(first).status == "SUCCEEDED"
    assert [d.username for d in harness.consumer.deliveries].count("homer") == 1


def test_given_two_runs_started_together_when_both_plan_then_exactly_one_rotates(
    harness: Harness,
) -> None:
    harness.configure_users("homer")
    original = harness.create_key("homer")
    first = harness.start({"force": True}, cleanup_wait_seconds=2, name="on-demand-a")
    second = harness.start(cleanup_wait_seconds=2, name="scheduled-b")

    results = {run.arn.rsplit(":", 1)[-1]: run for run in map(harness.wait, (first, second))}

    assert results["on-demand-a"].status == "SUCCEEDED"
    assert results["scheduled-b"].error == "RotationAlreadyRunning"
    (entry,) = results["on-demand-a"].summary["rotated"]
    assert entry["previousKeyId"] == original
    assert harness.keys("homer") == {entry["accessKeyId"]: "Active"}
    assert len(harness.consumer.deliveries) == 1
