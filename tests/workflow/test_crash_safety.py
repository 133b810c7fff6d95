"""The faults that could once retire a key the handler holds, each as an operator meets it.

tests/faults enumerates every crash point; these tests tell the stories one by one, with what the
user of the module sees: the summary, the keys, the secret, the next runs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from credentials_rotator.aws import clients

from testkit.consumer.handler import REFUSE, STORE_THEN_TIME_OUT, TIME_OUT
from testkit.harness import Harness
from testkit.injector import Fault, Injector
from testkit.runner.run_result import RunResult
from testkit.stories import AFTER_A_STOP, delivered_once, run_with

pytestmark = pytest.mark.workflow


def only_failure(run: RunResult) -> dict[str, Any]:
    (failed,) = run.summary["failed"]
    return dict(failed)


def test_given_mark_delivered_fails_after_the_handoff_when_runs_follow_then_no_key_is_lost(
    harness: Harness, retry_sleeps: list[float]
) -> None:
    """GIVEN Secrets Manager fails every MarkDelivered retry after homer's handler stored key N
    WHEN the run ends THEN both keys stay Active and homer is reported HandoffUnconfirmed; WHEN
    the next run's handler refuses N THEN nothing is deleted; WHEN a later run's handler takes it
    THEN N is confirmed without a new key, and only then the old key goes."""
    delivered = delivered_once(harness, "homer")["homer"]

    first = run_with(harness, Fault("mark-delivered-fails"))

    new = harness.consumer.stored["homer"]
    assert (first.status, only_failure(first)["error"]) == ("FAILED", "HandoffUnconfirmed")
    assert harness.keys("homer") == {delivered: "Active", new: "Active"}
    assert harness.current_stages("homer") == ["AWSCURRENT", "PENDING_HANDOFF"]

    harness.consumer.fail_for.add("homer")
    refused = harness.run()

    assert refused.status == "FAILED"
    assert "nothing was deleted" in only_failure(refused)["message"]
    assert harness.keys("homer") == {delivered: "Active", new: "Active"}

    harness.consumer.fail_for.clear()
    confirmed = harness.run()

    assert confirmed.status == "SUCCEEDED"
    (entry,) = confirmed.summary["rotated"]
    assert (entry["accessKeyId"], entry["previousKeyId"]) == (new, delivered)
    assert harness.keys("homer") == {new: "Active"}
    assert harness.current_stages("homer") == ["AWSCURRENT"]


def test_given_a_run_stopped_during_the_handoff_when_the_next_runs_come_then_the_key_is_kept(
    harness: Harness,
) -> None:
    """GIVEN a run stopped while homer's handler stores key N (AWS: ABORTED at once, the invoke
    in flight completes) WHEN a run starts at once THEN it is refused, naming the stopped run;
    WHEN one starts after 15 minutes THEN it hands N off again and only then retires the old key."""
    delivered = delivered_once(harness, "homer")["homer"]

    stopped = run_with(harness, Fault("stop", state="Handoff", in_flight=True))

    assert stopped.status == "ABORTED"
    new = harness.consumer.stored["homer"]
    assert harness.keys("homer") == {delivered: "Active", new: "Active"}
    too_soon = harness.run()
    assert (too_soon.status, too_soon.error) == ("FAILED", "RotationAlreadyRunning")
    assert too_soon.cause is not None and "ABORTED" in too_soon.cause

    harness.advance_clock(AFTER_A_STOP)
    later = harness.run()

    assert later.status == "SUCCEEDED"
    (entry,) = later.summary["rotated"]
    assert (entry["accessKeyId"], entry["previousKeyId"]) == (new, delivered)
    assert harness.keys("homer") == {new: "Active"}


def test_given_rotate_died_between_creating_and_storing_the_key_when_run_then_the_stray_goes(
    harness: Harness,
) -> None:
    """GIVEN rotate died right after CreateAccessKey (the new key is recorded nowhere) WHEN the
    next run comes THEN it proves the key its own stray (created inside the dead run's window,
    never used), deletes it, and rotates homer; the delivered key is retired after the handoff."""
    delivered = delivered_once(harness, "homer")["homer"]

    died = run_with(harness, Fault("die", function="rotate", call=0, when="after"))

    assert (died.status, only_failure(died)["error"]) == ("FAILED", "Runtime.ExitError")
    (stray,) = set(harness.keys("homer")) - {delivered}

    recovered = harness.run()

    assert recovered.status == "SUCCEEDED"
    (entry,) = recovered.summary["rotated"]
    assert entry["previousKeyId"] == delivered
    assert stray not in harness.keys("homer")
    assert harness.keys("homer") == {entry["accessKeyId"]: "Active"}


def test_given_a_key_someone_added_during_a_past_run_when_run_then_it_is_not_taken_for_a_stray(
    harness: Harness,
) -> None:
    """GIVEN a person added an Active key to homer after a run ended WHEN the next run comes THEN
    homer fails with UnknownAccessKey and both keys stay: only the rotator's own keys go."""
    delivered = delivered_once(harness, "homer")["homer"]
    someone_elses = harness.create_key("homer")

    run = harness.run()

    assert only_failure(run)["error"] == "UnknownAccessKey"
    assert harness.keys("homer") == {delivered: "Active", someone_elses: "Active"}


def test_given_the_secret_write_and_its_clean_up_fail_when_run_twice_then_the_key_is_removed(
    harness: Harness,
) -> None:
    """GIVEN PutSecretValue fails and so does the DeleteAccessKey that cleans up after it WHEN the
    run ends THEN homer fails with SecretWriteFailed saying the next run removes the key; WHEN
    the next run comes THEN it does."""
    delivered = delivered_once(harness, "homer")["homer"]
    injector = Injector(harness)
    failing = {"PutSecretValue", "DeleteAccessKey"}

    def refuse(model: Any, **_: Any) -> None:
        if model.name in failing:
            failing.discard(model.name)
            raise EndpointConnectionError(endpoint_url="https://secretsmanager")

    injector.latency_for_strays = True
    clients.secretsmanager_client().meta.events.register("before-call", refuse)
    clients.iam_client().meta.events.register("before-call.iam.DeleteAccessKey", refuse)
    try:
        failed = harness.run()
    finally:
        injector.latency_for_strays = False
    message = only_failure(failed)["message"]
    assert only_failure(failed)["error"] == "SecretWriteFailed"
    assert "could not be deleted either" in message and "the next run removes it" in message
    assert len(harness.keys("homer")) == 2

    recovered = harness.run()

    assert recovered.status == "SUCCEEDED"
    (entry,) = recovered.summary["rotated"]
    assert harness.keys("homer") == {entry["accessKeyId"]: "Active"}
    assert delivered not in harness.keys("homer")


def test_given_a_retire_that_loses_its_connection_when_finish_runs_then_only_that_user_fails(
    harness: Harness,
) -> None:
    """GIVEN finish's DeleteAccessKey of bart's old key fails on the connection (not an AWS
    error) WHEN the run finishes THEN bart fails with RetireFailed, keeps both keys, and homer and
    lisa are rotated and retired: the run still ends with its summary."""
    delivered = delivered_once(harness, "homer", "bart", "lisa")

    def lose_connection(params: dict[str, Any], **_: Any) -> None:
        if params.get("AccessKeyId") == delivered["bart"]:
            raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com")

    clients.iam_client().meta.events.register(
        "before-parameter-build.iam.DeleteAccessKey", lose_connection
    )

    run = harness.run()

    assert (run.status, run.error) == ("FAILED", "RotationFailed")
    failed = only_failure(run)
    assert (failed["username"], failed["error"]) == ("bart", "RetireFailed")
    assert "EndpointConnectionError" in failed["message"]
    assert sorted(entry["username"] for entry in run.summary["rotated"]) == ["homer", "lisa"]
    for user in ("homer", "lisa"):
        assert delivered[user] not in harness.keys(user)
    assert delivered["bart"] in harness.keys("bart") and len(harness.keys("bart")) == 2


def test_given_one_user_written_twice_with_other_case_when_run_then_it_is_refused_naming_both(
    harness: Harness,
) -> None:
    """GIVEN the users parameter (written by hand) holds homer and Homer, one IAM user WHEN a run
    starts THEN it fails at plan with InvalidUsersParameter naming both spellings, and no key
    changes."""
    delivered = delivered_once(harness, "homer")["homer"]
    harness.configure_users("homer", {"username": "Homer", "metadata": "again"}, create=False)

    run = harness.run()

    assert (run.status, run.error) == ("FAILED", "InvalidUsersParameter")
    assert run.cause is not None and "'homer' and 'Homer'" in run.cause
    assert harness.keys("homer") == {delivered: "Active"}


def test_given_twenty_handlers_fail_with_huge_messages_when_run_then_each_user_has_its_error(
    harness: Harness,
) -> None:
    """GIVEN the handlers of a whole batch (20 users) fail with 14,000-character messages WHEN
    the batch records its outcomes THEN no state passes 256 KB (the harness checks every event),
    and every user ends with its handler's error, its message cut to 1,000 characters."""
    users = [f"user{index:02d}" for index in range(20)]
    delivered_once(harness, *users)
    harness.consumer.fail_message = "x" * 14_000
    harness.consumer.fail_for.update(users)

    run = harness.run()

    assert run.status == "FAILED"
    assert {entry["username"] for entry in run.summary["failed"]} == set(users)
    for entry in run.summary["failed"]:
        assert entry["error"] == "ConsumerError"
        assert len(entry["message"]) <= 1000
    harness.assert_payloads_fit()


def test_given_a_batch_of_60_users_failing_with_long_messages_then_the_state_keeps_them_short(
    harness: Harness,
) -> None:
    """GIVEN a batch of 60 users (the module's batch size) where IAM refuses 30 new keys and the
    handler refuses the other 30, whose roll back IAM refuses too, each time with a message of
    5,000 characters WHEN the batch runs THEN the state keeps each failure short: Lambda's cause
    carries at most 1,000 characters of message and no stack trace of the engine (the functions
    log it), so 60 of them stay far from the state's 256 KB; every user ends failed with its
    error, its message cut to 1,000 characters."""
    harness.set_settings(batch_size=60)
    users = [f"user{index:02d}" for index in range(60)]
    refused_keys, refused_handoffs = set(users[:30]), set(users[30:])
    harness.configure_users(*users)
    long_message = "IAM refused this request. " + "x" * 5_000

    def refuse(operation: str, affected: set[str]) -> Any:
        def hook(params: dict[str, Any], **_: Any) -> None:
            if params.get("UserName") in affected:
                error = {"Error": {"Code": "AccessDenied", "Message": long_message}}
                raise ClientError(error, operation)

        return hook

    harness.hook(
        "before-parameter-build.iam.CreateAccessKey", refuse("CreateAccessKey", refused_keys)
    )
    harness.hook(
        "before-parameter-build.iam.DeleteAccessKey", refuse("DeleteAccessKey", refused_handoffs)
    )
    harness.consumer.fail_message = "the handler says no. " + "y" * 5_000
    harness.consumer.fail_for.update(refused_handoffs)

    run = harness.run()

    assert run.status == "FAILED"
    failed = harness.run_data(run.arn)["summary.json"]["failed"]  # the run's cause is cut
    assert {entry["username"]: entry["error"] for entry in failed} == dict.fromkeys(
        users, "ClientError"
    )
    assert all(len(entry["message"]) <= 1000 for entry in failed)
    (batch,) = [
        json.loads(event["stateExitedEventDetails"]["output"])
        for event in harness.child_history(run.arn)
        if event.get("stateExitedEventDetails", {}).get("name") == "RotateBatch"
    ]
    failures = [result for result in batch["results"] if result["outcome"] == "failed"]
    assert len(failures) == 60
    for failure in failures:
        cause = json.loads(failure["message"])
        assert len(cause["errorMessage"]) <= 1000
        engine_frames = [frame for frame in cause["stackTrace"] if "credentials_rotator" in frame]
        assert all("entry.py" in frame for frame in engine_frames), engine_frames
    assert len(json.dumps(batch).encode()) < 128 * 1024


def test_given_the_current_value_replaced_by_hand_when_run_then_the_delivered_key_survives(
    harness: Harness,
) -> None:
    """GIVEN someone wrote a value without an access key as homer's current secret version WHEN
    a run comes THEN the delivered key (now AWSPREVIOUS) is not deleted before the new key exists:
    it is retired after the handoff, and the new key is current."""
    delivered = delivered_once(harness, "homer")["homer"]
    harness.secretsmanager.put_secret_value(
        SecretId="ci-keys/homer", SecretString=json.dumps({"note": "rotated by hand"})
    )
    retired: list[str] = []
    clients.iam_client().meta.events.register(
        "before-parameter-build.iam.DeleteAccessKey",
        lambda params, **_: retired.append(params["AccessKeyId"]),
    )

    run = harness.run()

    assert run.status == "SUCCEEDED"
    (entry,) = run.summary["rotated"]
    assert entry["previousKeyId"] == delivered
    assert retired == [delivered]  # by finish, after the handoff, not before the new key
    assert harness.keys("homer") == {entry["accessKeyId"]: "Active"}
    assert harness.secret_key_id("homer") == entry["accessKeyId"]


@pytest.mark.parametrize("behaviour", [STORE_THEN_TIME_OUT, TIME_OUT])
def test_given_the_handler_times_out_when_runs_follow_then_nothing_it_may_hold_goes(
    harness: Harness, behaviour: str
) -> None:
    """GIVEN homer's handler runs past its timeout (after storing the key, or before) WHEN the
    run ends THEN homer is HandoffUnconfirmed with both keys Active; WHEN the next run's handler
    refuses THEN still nothing is deleted; WHEN one takes it THEN the same key is confirmed."""
    delivered = delivered_once(harness, "homer")["homer"]
    harness.consumer.behaviour["homer"] = behaviour

    first = harness.run()

    new = harness.secret_key_id("homer")
    assert only_failure(first)["error"] == "HandoffUnconfirmed"
    assert "Sandbox.Timedout" in only_failure(first)["message"]
    assert harness.keys("homer") == {delivered: "Active", new: "Active"}
    harness.consumer.behaviour["homer"] = REFUSE
    harness.run()
    assert harness.keys("homer") == {delivered: "Active", new: "Active"}

    harness.consumer.behaviour.pop("homer")
    confirmed = harness.run()

    (entry,) = confirmed.summary["rotated"]
    assert (entry["accessKeyId"], entry["previousKeyId"]) == (new, delivered)
    assert harness.keys("homer") == {new: "Active"}


def test_given_a_summary_near_its_limit_when_the_run_fails_then_the_cause_is_that_summary(
    harness: Harness,
) -> None:
    """GIVEN 30 users fail with messages full of quotes, so the summary is cut to fit 30,000
    characters and the Lambda runtime's error JSON of it (every quote escaped again) would pass
    Step Functions' 32,768 WHEN the run fails THEN its cause is the summary itself, whole JSON,
    and the error RotationFailed."""
    users = [f"user{index:02d}" for index in range(30)]
    delivered_once(harness, *users)
    harness.consumer.fail_message = '"' * 900
    harness.consumer.fail_for.update(users)

    run = harness.run()

    assert (run.status, run.error) == ("FAILED", "RotationFailed")
    assert run.cause is not None
    summary = json.loads(run.cause)
    assert summary["counts"]["failed"] == 30 and summary["truncated"]
    escaped = json.dumps({"errorMessage": run.cause, "errorType": "RotationFailed"})
    assert len(run.cause) <= 30_000 < 32_768 < len(escaped)
