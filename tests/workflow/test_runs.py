"""Whole runs of the rendered state machine in moto: the paths a user of the module sees."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from testkit.checks.expected_calls import NORMAL_PATH, own_invocations
from testkit.harness import Harness

pytestmark = pytest.mark.workflow


def first_keys(harness: Harness, *users: str) -> dict[str, str]:
    return {user: harness.create_key(user) for user in users}


def test_given_three_users_when_a_run_ends_then_each_holds_one_new_key_its_handler_read(
    harness: Harness,
) -> None:
    """GIVEN homer (with metadata), bart and lisa with a key each WHEN the schedule runs
    THEN each ends with one Active key, the one its handler read; the old keys are gone."""
    harness.configure_users(
        {"username": "homer", "metadata": "deploys the power plant"}, "bart", "lisa"
    )
    old = first_keys(harness, "homer", "bart", "lisa")

    run = harness.run()

    assert run.status == "SUCCEEDED"
    for user in ("homer", "bart", "lisa"):
        (delivery,) = harness.consumer.for_user(user)
        assert harness.keys(user) == {delivery.read_key_id: "Active"}
        assert delivery.read_key_id != old[user]
        assert delivery.payload["accessKeyId"] == delivery.read_key_id
        assert delivery.payload["secretName"] == f"ci-keys/{user}"
        assert delivery.payload["secretArn"].split(":secret:")[1].startswith(f"ci-keys/{user}-")
        assert harness.current_stages(user) == ["AWSCURRENT"]
        assert delivery.payload["versionId"] in harness.stages(user)
    assert harness.consumer.for_user("homer")[0].payload["metadata"] == "deploys the power plant"
    assert harness.consumer.for_user("bart")[0].payload["metadata"] is None
    assert sorted(r["username"] for r in run.summary["rotated"]) == ["bart", "homer", "lisa"]
    assert {r["username"]: r["previousKeyId"] for r in run.summary["rotated"]} == old
    assert run.summary["failed"] == [] and run.summary["dryRun"] is False
    assert harness.states_entered(run.arn).count("GraceWait") == 1


def test_given_delivered_keys_when_rotated_then_each_user_costs_its_normal_path_and_one_invocation(
    harness: Harness,
) -> None:
    """GIVEN three users rotated once WHEN the next run rotates them THEN each user costs exactly
    the calls of its normal path (the five of a rotation, three to prove the new key, one to ask
    whether the old key is still used), their batch one BatchGetSecretValue for all three
    records, and our functions run users + 2 + 2 per batch times."""
    harness.configure_users("homer", "bart", "lisa")
    assert harness.run().status == "SUCCEEDED"
    harness.calls.reset()

    run = harness.run()

    assert run.status == "SUCCEEDED"
    for user in ("homer", "bart", "lisa"):
        assert harness.calls.per_user(user) == NORMAL_PATH
    operations = Counter(operation for operation, _ in harness.calls.calls)
    assert operations["BatchGetSecretValue"] == 1
    assert operations["GetSecretValue"] == 0
    assert harness.calls.own_invocations == own_invocations(3) == 3 + 2 + 2


def test_given_the_handler_fails_for_one_of_three_when_run_then_only_that_user_is_rolled_back(
    harness: Harness, retry_sleeps: list[float]
) -> None:
    """GIVEN bart's handler is down WHEN the run hands off THEN homer and lisa rotate, bart keeps
    his old key Active and his secret's AWSCURRENT returns it, and the run FAILS naming bart."""
    harness.configure_users("homer", "bart", "lisa")
    assert harness.run().status == "SUCCEEDED"
    delivered = {user: harness.secret_key_id(user) for user in ("homer", "bart", "lisa")}
    harness.consumer.fail_for.add("bart")

    run = harness.run()

    assert run.status == "FAILED"
    assert run.error == "RotationFailed"
    summary = run.summary
    assert sorted(r["username"] for r in summary["rotated"]) == ["homer", "lisa"]
    (failed,) = summary["failed"]
    assert failed["username"] == "bart"
    assert failed["error"] == "ConsumerError"
    assert failed["message"].startswith("handoff failed: the handler for bart is down")
    assert harness.keys("bart") == {delivered["bart"]: "Active"}
    assert harness.secret_key_id("bart") == delivered["bart"]
    assert harness.current_stages("bart") == ["AWSCURRENT"]
    for user in ("homer", "lisa"):
        assert delivered[user] not in harness.keys(user)
    attempts = harness.consumer.for_user("bart")[-4:]
    assert [d.failed for d in attempts] == [True] * 4  # first try and three retries
    assert len(retry_sleeps) == 3
    assert "RollBack" in harness.states_entered(run.arn)


def test_given_a_configured_user_missing_in_iam_when_run_then_the_others_still_rotate(
    harness: Harness,
) -> None:
    harness.configure_users("homer", "bart")
    harness.configure_users("homer", "ghost", "bart", create=False)

    run = harness.run()

    assert run.status == "FAILED"
    assert sorted(r["username"] for r in run.summary["rotated"]) == ["bart", "homer"]
    assert run.summary["failed"] == [
        {"username": "ghost", "error": "UserNotFound", "message": "IAM user ghost does not exist"}
    ]
    assert harness.consumer.for_user("ghost") == []


def test_given_an_on_demand_subset_when_run_then_only_those_users_rotate(
    harness: Harness,
) -> None:
    harness.configure_users("homer", "bart", "lisa")
    old = first_keys(harness, "homer", "bart", "lisa")

    run = harness.run({"users": ["bart"]})

    assert run.status == "SUCCEEDED"
    assert [r["username"] for r in run.summary["rotated"]] == ["bart"]
    assert old["bart"] not in harness.keys("bart")
    assert harness.keys("homer") == {old["homer"]: "Active"}
    assert harness.keys("lisa") == {old["lisa"]: "Active"}


def test_given_a_dry_run_when_run_then_it_reports_and_changes_nothing(harness: Harness) -> None:
    harness.configure_users("homer", "bart")
    harness.run()
    inactive = harness.create_key("homer", inactive=True)
    before = {user: (harness.keys(user), harness.stages(user)) for user in ("homer", "bart")}
    handoffs = len(harness.consumer.deliveries)

    run = harness.run({"dryRun": True})

    assert run.status == "SUCCEEDED"
    assert {user: (harness.keys(user), harness.stages(user)) for user in before} == before
    assert len(harness.consumer.deliveries) == handoffs
    assert run.summary["dryRun"] is True
    assert run.summary["rotated"] == []
    planned = {p["username"]: p["detail"] for p in run.summary["planned"]}
    assert planned["homer"].startswith(f"would delete inactive access key {inactive}; ")
    assert "GraceWait" not in harness.states_entered(run.arn)


@pytest.mark.parametrize(
    ("run_input", "error", "cause"),
    [
        ({"users": ["homer", "moe"]}, "UnknownUser", "user moe is not configured for rotation"),
        ({"force": "yes"}, "InvalidRunInput", "'force' in the run input must be true or false"),
        ({"users": []}, "InvalidRunInput", "'users' in the run input must name at least one user"),
        ({"user": "homer"}, "InvalidRunInput", "unknown key 'user' in the run input"),
    ],
)
def test_given_bad_run_input_when_run_then_it_fails_at_plan_naming_the_problem(
    harness: Harness, run_input: dict[str, Any], error: str, cause: str
) -> None:
    harness.configure_users("homer")
    old = harness.create_key("homer")

    run = harness.run(run_input)

    assert (run.status, run.error) == ("FAILED", error)
    assert run.cause is not None and run.cause.startswith(cause)
    assert harness.states_entered(run.arn)[-1] == "RunRefused"
    assert "RotateUsers" not in harness.states_entered(run.arn)
    assert harness.keys("homer") == {old: "Active"}


def test_given_a_malformed_users_parameter_when_run_then_it_fails_at_plan(
    harness: Harness,
) -> None:
    harness.ssm.put_parameter(Name="/ci-keys/users", Value='{"u": "homer"}', Type="String")

    run = harness.run()

    assert (run.status, run.error) == ("FAILED", "InvalidUsersParameter")
    assert run.cause == "users parameter /ci-keys/users must hold a JSON list"


def test_given_a_max_key_age_when_run_twice_then_the_young_key_is_skipped_unless_forced(
    harness: Harness,
) -> None:
    harness.configure_users("homer")
    assert harness.run().status == "SUCCEEDED"
    delivered = harness.secret_key_id("homer")
    harness.set_settings(max_key_age_days=30)

    skipped = harness.run()

    assert skipped.status == "SUCCEEDED"
    assert skipped.summary["skipped"] == [
        {
            "username": "homer",
            "detail": f"access key {delivered} is 0 days old; rotation is due at 30 days",
        }
    ]
    assert harness.keys("homer") == {delivered: "Active"}

    forced = harness.run({"force": True})

    assert forced.status == "SUCCEEDED"
    assert forced.summary["rotated"][0]["previousKeyId"] == delivered
    assert delivered not in harness.keys("homer")
