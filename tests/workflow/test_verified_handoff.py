"""A new key proves it works before its handoff (issue: verified handoff).

IAM refuses a new key for some seconds after ``CreateAccessKey``; moto does not, so the harness
makes its STS answer as AWS does (testkit/key_propagation.py): a key is refused for its first
checks, for a time, or forever. The engine's waits between checks advance a clock of their own
instead of sleeping, so a 60-second limit costs no test time.
"""

from __future__ import annotations

from typing import Any

import pytest
from credentials_rotator.aws.verification import FIRST_CHECK_SECONDS

from testkit.aws_timing import AWS
from testkit.checks.expected_calls import (
    IN_USE_CHECK,
    NORMAL_PATH,
    NORMAL_PATH_UNCHECKED,
    VERIFICATION,
)
from testkit.consumer.handler import TIME_OUT
from testkit.harness import Harness
from testkit.injector import Fault
from testkit.runner.run_result import RunResult
from testkit.stories import AFTER_A_STOP, delivered_once, run_with

pytestmark = pytest.mark.workflow


def only_failure(run: RunResult) -> dict[str, Any]:
    (failed,) = run.summary["failed"]
    return dict(failed)


def test_given_new_keys_refused_for_their_first_checks_when_run_then_they_are_handed_off_after(
    harness: Harness,
) -> None:
    """GIVEN IAM refuses each new key for its first two checks WHEN the run rotates homer THEN the
    handler gets the key only once it answered three times in a row: five checks in all."""
    delivered_once(harness, "homer")
    harness.propagation.checks = 2
    harness.calls.reset()

    run = harness.run()

    assert run.status == "SUCCEEDED"
    (entry,) = run.summary["rotated"]
    assert harness.propagation.checks_of(entry["accessKeyId"]) == 5
    assert harness.calls.per_user("homer")["GetCallerIdentity"] == 5
    assert harness.consumer.for_user("homer")[-1].read_key_id == entry["accessKeyId"]


def test_given_new_keys_accepted_once_then_refused_once_when_run_then_three_in_a_row_prove_them(
    harness: Harness,
) -> None:
    """GIVEN IAM refuses each new key for its first check, accepts it once and refuses it once
    more (eventual consistency is not monotonic from one caller) WHEN the run rotates homer THEN
    the first acceptance proves nothing: the handler gets the key after three good answers in a
    row, six checks in all."""
    delivered_once(harness, "homer")
    harness.propagation.checks = 1
    harness.propagation.relapses = 1

    run = harness.run()

    assert run.status == "SUCCEEDED"
    (entry,) = run.summary["rotated"]
    assert harness.propagation.checks_of(entry["accessKeyId"]) == 6
    assert harness.consumer.for_user("homer")[-1].read_key_id == entry["accessKeyId"]


def test_given_new_keys_refused_for_twenty_seconds_when_run_then_they_are_handed_off_after(
    harness: Harness,
) -> None:
    """GIVEN IAM refuses new keys for 20 seconds WHEN the run rotates homer and bart THEN both are
    handed off, each checked first 5 s after its creation, then a second apart: 15 refusals
    and three good answers."""
    delivered_once(harness, "homer", "bart")
    harness.propagation.seconds = 20

    run = harness.run()

    assert run.status == "SUCCEEDED"
    for entry in run.summary["rotated"]:
        refused = 20 - FIRST_CHECK_SECONDS
        assert refused + 3 <= harness.propagation.checks_of(entry["accessKeyId"]) <= refused + 4
        assert harness.keys(entry["username"]) == {entry["accessKeyId"]: "Active"}


def test_given_no_latency_when_a_key_never_works_then_two_more_checks_fit_the_limit(
    harness: Harness,
) -> None:
    """GIVEN the test world without AWS's latencies (moto answers at once) WHEN bart's new key
    never works THEN 56 checks fit its 60 s, where the test below counts 54 with them: the
    latencies are in force in the workflow tier, and the proof's limit counts them."""
    delivered_once(harness, "bart")
    harness.propagation.forever.add("bart")
    harness.latency.timing = None

    run = harness.run()

    (failed,) = run.summary["failed"]
    new_key = failed["message"].split("new access key ", 1)[1].split(" ", 1)[0]
    assert harness.propagation.checks_of(new_key) == 60 - FIRST_CHECK_SECONDS + 1


def test_given_a_new_key_that_never_works_when_run_then_it_is_rolled_back_and_the_others_rotate(
    harness: Harness,
) -> None:
    """GIVEN bart's new keys never authenticate WHEN the run rotates homer and bart THEN bart
    fails with NewKeyNotUsable after the 60-second limit, his new key is deleted, his handler never
    heard of it and the delivered key is current again; homer rotates; the run fails."""
    delivered = delivered_once(harness, "homer", "bart")
    handoffs = len(harness.consumer.for_user("bart"))
    harness.propagation.forever.add("bart")

    run = harness.run()

    assert (run.status, run.error) == ("FAILED", "RotationFailed")
    failed = only_failure(run)
    assert (failed["username"], failed["error"]) == ("bart", "NewKeyNotUsable")
    assert failed["message"].startswith("not handed off: new access key ")
    assert "did not authenticate as user bart 3 times in a row within 60 s" in failed["message"]
    assert "InvalidClientTokenId" in failed["message"]
    assert "rolled back: deleted the new access key" in failed["message"]
    new_key = failed["message"].split("new access key ", 1)[1].split(" ", 1)[0]
    # the first check FIRST_CHECK_SECONDS after the key's creation, then one a second plus each
    # check's own time (STS's 0.03 s, testkit/aws_timing.py) while another fits in 60 s:
    # the 54th ends at 5 + 54 x 0.03 + 53 = 59.62 s
    assert FIRST_CHECK_SECONDS == 5.0 and AWS.call_seconds["sts"] == 0.03
    assert harness.propagation.checks_of(new_key) == 54
    assert harness.keys("bart") == {delivered["bart"]: "Active"}
    assert harness.secret_key_id("bart") == delivered["bart"]
    assert harness.current_stages("bart") == ["AWSCURRENT"]
    assert len(harness.consumer.for_user("bart")) == handoffs
    assert [entry["username"] for entry in run.summary["rotated"]] == ["homer"]
    assert "NewKeyNotUsable" in harness.states_entered(run.arn)


def test_given_a_shorter_time_limit_when_a_key_never_works_then_the_user_fails_after_it(
    harness: Harness,
) -> None:
    """GIVEN verify_new_key_timeout_seconds = 5 WHEN homer's new key never works THEN he fails
    after three checks, not fifty-odd: the first waits 2 s, to leave room for three in a row,
    each a second apart and taking its own time."""
    delivered = delivered_once(harness, "homer")["homer"]
    harness.set_settings(verify_new_key_seconds=5)
    harness.propagation.forever.add("homer")
    harness.calls.reset()

    run = harness.run()

    failed = only_failure(run)
    assert failed["error"] == "NewKeyNotUsable"
    assert "within 5 s" in failed["message"]
    assert harness.calls.per_user("homer")["GetCallerIdentity"] == 3
    assert harness.keys("homer") == {delivered: "Active"}


def test_given_verification_off_when_run_then_no_check_and_the_normal_path_is_five_calls(
    harness: Harness,
) -> None:
    """GIVEN verify_new_key = false (and in_use_key_action = "retire") WHEN homer rotates THEN his
    new key is handed off unchecked, even one IAM does not accept yet: the normal path is the five
    calls of today's budget; each check adds its own calls and nothing else."""
    delivered_once(harness, "homer")
    harness.set_settings(verify_new_key_seconds=None, in_use_key_action="retire")
    harness.propagation.forever.add("homer")
    harness.calls.reset()

    run = harness.run()

    assert run.status == "SUCCEEDED"
    assert harness.calls.per_user("homer") == NORMAL_PATH_UNCHECKED
    assert sum(NORMAL_PATH_UNCHECKED.values()) == 5
    assert NORMAL_PATH == NORMAL_PATH_UNCHECKED | VERIFICATION | IN_USE_CHECK
    assert VERIFICATION == {"GetCallerIdentity": 3}


def test_given_an_unconfirmed_key_when_handed_off_again_then_it_proves_itself_first(
    harness: Harness,
) -> None:
    """GIVEN homer's handler timed out on key N (it may hold it) WHEN the next run hands N off
    again THEN N proves it works first (three checks) and is handed off; nothing is rolled back
    and no key is created."""
    delivered = delivered_once(harness, "homer")["homer"]
    harness.consumer.behaviour["homer"] = TIME_OUT
    assert only_failure(harness.run())["error"] == "HandoffUnconfirmed"
    unconfirmed = harness.secret_key_id("homer")
    harness.consumer.behaviour.pop("homer")
    harness.calls.reset()

    run = harness.run()

    (entry,) = run.summary["rotated"]
    assert (entry["accessKeyId"], entry["previousKeyId"]) == (unconfirmed, delivered)
    assert harness.calls.per_user("homer")["GetCallerIdentity"] == 3
    assert harness.calls.per_user("homer")["CreateAccessKey"] == 0
    assert harness.keys("homer") == {unconfirmed: "Active"}


def test_given_a_run_stopped_while_a_key_that_never_works_proves_itself_then_it_is_never_handed_off(
    harness: Harness,
) -> None:
    """GIVEN a run stopped while rotate proves homer's new key N, which never works (the
    invocation runs on and leaves N recorded, pending, never handed off) WHEN the next run comes
    THEN it proves N before any handoff, hands nothing off, keeps both keys and fails homer
    (UnconfirmedKeyNotUsable): the key that worked is never retired for one that does not."""
    delivered = delivered_once(harness, "homer")["homer"]
    handoffs = len(harness.consumer.for_user("homer"))
    harness.propagation.forever.add("homer")

    stopped = run_with(harness, Fault("stop", state="Rotate", in_flight=True))

    assert stopped.status == "ABORTED"
    (never_works,) = set(harness.keys("homer")) - {delivered}
    assert harness.current_stages("homer") == ["AWSCURRENT", "PENDING_HANDOFF"]
    harness.advance_clock(AFTER_A_STOP)
    harness.calls.reset()

    run = harness.run()

    assert (run.status, run.error) == ("FAILED", "RotationFailed")
    failed = only_failure(run)
    assert (failed["username"], failed["error"]) == ("homer", "UnconfirmedKeyNotUsable")
    assert f"access key {never_works} of user homer" in failed["message"]
    assert "did not authenticate" in failed["message"]
    # at once, then one a second plus each check's own time (0.03 s) while another fits in 60 s:
    # the 59th ends at 59 x 0.03 + 58 = 59.77 s
    assert harness.calls.per_user("homer")["GetCallerIdentity"] == 59
    assert len(harness.consumer.for_user("homer")) == handoffs
    assert harness.keys("homer") == {delivered: "Active", never_works: "Active"}
    assert harness.current_stages("homer") == ["AWSCURRENT", "PENDING_HANDOFF"]
    assert harness.secret_key_id("homer", "AWSPREVIOUS") == delivered
