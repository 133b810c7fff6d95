"""A previous key still in use after its successor's handoff is not cut off (issue: verified
handoff, part 2).

The consumer that "has not moved" signs a call with its previous key while the run waits out its
grace period (``Harness.not_moved``); moto records the key's last use as IAM does
(``GetAccessKeyLastUsed``), at once where AWS may take a while.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from credentials_rotator.aws import clients

from testkit.harness import Harness
from testkit.injector import Fault
from testkit.runner.run_result import RunResult
from testkit.stories import delivered_once, run_with

pytestmark = pytest.mark.workflow

DEFERRAL_TAG = "credentials-rotator:in-use"


def deferral_tag(harness: Harness, username: str) -> str | None:
    tags = harness.secretsmanager.describe_secret(SecretId=harness.secret_name(username))
    return next((t["Value"] for t in tags.get("Tags", []) if t["Key"] == DEFERRAL_TAG), None)


def only(entries: list[dict[str, Any]]) -> dict[str, Any]:
    (entry,) = entries
    return entry


def test_given_a_consumer_still_on_its_old_key_when_run_then_the_old_key_stays_and_is_reported(
    harness: Harness,
) -> None:
    """GIVEN bart's consumer keeps using his previous key during the grace wait WHEN the run ends
    THEN bart is rotated and deferred (key id, last use, one run), both his keys stay Active, the
    run SUCCEEDS; homer, whose consumer moved, loses his old key."""
    delivered = delivered_once(harness, "homer", "bart")
    harness.not_moved.add("bart")

    run = harness.run()

    assert run.status == "SUCCEEDED"
    assert sorted(entry["username"] for entry in run.summary["rotated"]) == ["bart", "homer"]
    deferred = only(run.summary["deferred"])
    assert deferred["username"] == "bart"
    assert (deferred["accessKeyId"], deferred["runs"], deferred["action"]) == (
        delivered["bart"],
        1,
        "kept",
    )
    assert deferred["lastUsed"] is not None
    assert run.summary["counts"]["deferred"] == 1
    new = harness.secret_key_id("bart")
    assert harness.keys("bart") == {delivered["bart"]: "Active", new: "Active"}
    assert delivered["homer"] not in harness.keys("homer")
    tag = deferral_tag(harness, "bart")
    assert tag is not None and tag.startswith(f"{delivered['bart']} 1 ")


def test_given_a_use_in_the_minute_of_the_handoff_when_the_run_ends_then_the_old_key_stays(
    harness: Harness,
) -> None:
    """GIVEN IAM gives bart's last uses to the minute (AWS's examples show whole minutes) and his
    consumer uses his previous key once, right after the handoff and in its minute WHEN the run
    ends THEN IAM's date (the start of that minute, before the handoff) counts as a use after it:
    bart is deferred and both his keys stay Active."""
    delivered = delivered_once(harness, "bart")["bart"]
    harness.last_use.to_the_minute = True

    def use_after_the_handoff(state: str) -> None:
        if state == "GraceWait":
            harness.use_previous_key("bart")

    harness.state_hooks.append(use_after_the_handoff)
    harness.clock.to_next_minute(datetime.timedelta(seconds=5))  # the run starts at :05
    run = harness.run()

    started = harness.sfn.describe_execution(executionArn=run.arn)["startDate"]
    used = harness.iam.get_access_key_last_used(AccessKeyId=delivered)["AccessKeyLastUsed"]
    assert used["LastUsedDate"] == started.replace(second=0, microsecond=0)  # before the handoff
    assert (only(run.summary["deferred"])["accessKeyId"], run.status) == (delivered, "SUCCEEDED")
    assert harness.keys("bart") == {delivered: "Active", harness.secret_key_id("bart"): "Active"}


def test_given_the_consumer_stays_on_the_old_key_when_runs_follow_then_deferred_then_failed(
    harness: Harness,
) -> None:
    """GIVEN bart's consumer never moves WHEN two more runs come THEN the first defers him again
    (two runs in a row) without creating a key or invoking his handler, and the third in a row
    fails him with KeyStillInUse (max_deferrals = 3), so the alarm fires; his keys never change."""
    delivered_once(harness, "bart")
    harness.not_moved.add("bart")
    harness.run()
    keys = harness.keys("bart")
    handoffs = len(harness.consumer.for_user("bart"))

    second = harness.run()

    assert second.status == "SUCCEEDED"
    assert second.summary["rotated"] == []
    deferred = only(second.summary["deferred"])
    assert (deferred["runs"], deferred["action"]) == (2, "kept")
    assert harness.keys("bart") == keys
    assert len(harness.consumer.for_user("bart")) == handoffs
    assert "NotRotated" in harness.states_entered(second.arn)

    third = harness.run()

    assert (third.status, third.error) == ("FAILED", "RotationFailed")
    failed = only(third.summary["failed"])
    assert failed["error"] == "KeyStillInUse"
    assert "runs in a row: 3" in failed["message"] and "max_deferrals" in failed["message"]
    assert harness.keys("bart") == keys


def test_given_a_deferred_consumer_that_moves_when_the_next_run_comes_then_it_rotates_as_usual(
    harness: Harness,
) -> None:
    """GIVEN bart was deferred WHEN his consumer stops using the old key THEN the next run deletes
    it, creates and hands off a new key, and reports no deferral."""
    delivered = delivered_once(harness, "bart")["bart"]
    harness.not_moved.add("bart")
    harness.run()
    current = harness.secret_key_id("bart")
    harness.not_moved.discard("bart")

    run = harness.run()

    assert run.status == "SUCCEEDED"
    entry = only(run.summary["rotated"])
    assert entry["previousKeyId"] == current
    assert run.summary["deferred"] == []
    assert harness.keys("bart") == {entry["accessKeyId"]: "Active"}
    assert delivered not in harness.keys("bart")


def test_given_deactivate_mode_when_the_old_key_is_in_use_then_it_is_deactivated_not_deleted(
    harness: Harness,
) -> None:
    """GIVEN in_use_key_action = "deactivate" WHEN bart's consumer still uses his old key THEN the
    old key is made Inactive (a cut that can be undone), reported as deactivated; the next run
    deletes it and rotates."""
    harness.set_settings(in_use_key_action="deactivate")
    delivered = delivered_once(harness, "bart")["bart"]
    harness.not_moved.add("bart")

    run = harness.run()

    assert run.status == "SUCCEEDED"
    assert only(run.summary["deferred"])["action"] == "deactivated"
    new = harness.secret_key_id("bart")
    assert harness.keys("bart") == {delivered: "Inactive", new: "Active"}

    harness.not_moved.discard("bart")
    after = harness.run()

    entry = only(after.summary["rotated"])
    assert harness.keys("bart") == {entry["accessKeyId"]: "Active"}


def test_given_retire_mode_when_the_old_key_is_in_use_then_it_is_retired_unchecked(
    harness: Harness,
) -> None:
    """GIVEN in_use_key_action = "retire" WHEN bart's consumer still uses his old key THEN it is
    deleted as before this check existed, and IAM is never asked when it was used."""
    harness.set_settings(in_use_key_action="retire")
    delivered = delivered_once(harness, "bart")["bart"]
    harness.not_moved.add("bart")
    harness.calls.reset()

    run = harness.run()

    assert run.summary["deferred"] == []
    assert delivered not in harness.keys("bart")
    assert harness.calls.per_user("bart")["GetAccessKeyLastUsed"] == 0


def test_given_max_deferrals_one_when_the_old_key_is_in_use_then_the_first_run_fails_the_user(
    harness: Harness,
) -> None:
    """GIVEN max_deferrals = 1 WHEN bart's consumer still uses his old key THEN the run that
    rotated him fails him with KeyStillInUse and keeps the old key Active."""
    harness.set_settings(max_deferrals=1)
    delivered = delivered_once(harness, "bart")["bart"]
    harness.not_moved.add("bart")

    run: RunResult = harness.run()

    assert run.status == "FAILED"
    assert only(run.summary["failed"])["error"] == "KeyStillInUse"
    assert only(run.summary["rotated"])["previousKeyId"] == delivered
    assert harness.keys("bart")[delivered] == "Active"


def test_given_a_retirement_that_failed_when_the_next_run_checks_then_a_key_used_since_stays(
    harness: Harness,
) -> None:
    """GIVEN bart's old key survived its retirement (finish lost its connection; no deferral was
    recorded) and was used afterwards WHEN the next run comes THEN it checks the key before it
    would delete it, and defers bart (one run) instead of rotating him."""
    delivered = delivered_once(harness, "bart")["bart"]

    def lose_connection(params: dict[str, Any], **_: Any) -> None:
        if params.get("AccessKeyId") == delivered:
            raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com")

    events = clients.iam_client().meta.events
    events.register("before-parameter-build.iam.DeleteAccessKey", lose_connection)
    assert only(harness.run().summary["failed"])["error"] == "RetireFailed"
    events.unregister("before-parameter-build.iam.DeleteAccessKey", lose_connection)
    assert deferral_tag(harness, "bart") is None
    harness.use_previous_key("bart")
    keys = harness.keys("bart")

    run = harness.run()

    deferred = only(run.summary["deferred"])
    assert (deferred["accessKeyId"], deferred["runs"]) == (delivered, 1)
    assert run.summary["rotated"] == []
    assert harness.keys("bart") == keys


def test_given_a_retirement_that_failed_when_the_key_was_used_only_before_the_handoff_then_it_goes(
    harness: Harness,
) -> None:
    """GIVEN bart's consumer used his key before the run, and that key then survived its
    retirement (no deferral recorded) WHEN the next run comes THEN the old key is retired and bart
    rotated: a use before its successor's creation is not a use after the handoff."""
    delivered = delivered_once(harness, "bart")["bart"]
    harness.use_current_key("bart")

    def lose_connection(params: dict[str, Any], **_: Any) -> None:
        if params.get("AccessKeyId") == delivered:
            raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com")

    events = clients.iam_client().meta.events
    events.register("before-parameter-build.iam.DeleteAccessKey", lose_connection)
    assert only(harness.run().summary["failed"])["error"] == "RetireFailed"
    events.unregister("before-parameter-build.iam.DeleteAccessKey", lose_connection)

    run = harness.run()

    assert run.status == "SUCCEEDED"
    assert run.summary["deferred"] == []
    entry = only(run.summary["rotated"])
    assert delivered not in harness.keys("bart")
    assert harness.keys("bart") == {entry["accessKeyId"]: "Active"}


def test_given_a_refused_key_roll_back_could_not_delete_when_the_next_run_comes_then_it_just_goes(
    harness: Harness,
) -> None:
    """GIVEN max_deferrals = 1, and bart's handler refused key R whose deletion then failed (R
    stays, retired; the only uses IAM saw of it are the rotator's three proofs, seconds after the
    delivered key) WHEN the next run comes THEN R is deleted without a use check and bart rotates:
    no deferral, no KeyStillInUse for a key nobody held."""
    harness.set_settings(max_deferrals=1)
    delivered = delivered_once(harness, "bart")["bart"]
    harness.next_second()
    harness.consumer.fail_for.add("bart")

    def lose_connection(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com")

    events = clients.iam_client().meta.events
    events.register("before-parameter-build.iam.DeleteAccessKey", lose_connection)
    refused_run = harness.run()
    events.unregister("before-parameter-build.iam.DeleteAccessKey", lose_connection)
    harness.consumer.fail_for.clear()
    assert refused_run.status == "FAILED"
    (refused,) = set(harness.keys("bart")) - {delivered}
    assert harness.secret_key_id("bart") == delivered
    harness.calls.reset()

    run = harness.run()

    assert run.status == "SUCCEEDED"
    assert run.summary["deferred"] == []
    entry = only(run.summary["rotated"])
    assert entry["previousKeyId"] == delivered
    assert refused not in harness.keys("bart")
    assert harness.calls.per_user("bart")["GetAccessKeyLastUsed"] == 1  # finish's, of the delivered


def test_given_a_key_age_limit_when_a_deferred_key_stays_in_use_then_each_run_checks_it_first(
    harness: Harness,
) -> None:
    """GIVEN max_key_age_days = 30 and bart's consumer still on his old key after a forced
    rotation (deferred) and once more after it WHEN the next run comes THEN it checks that key
    before the age policy: deferred again (two runs in a row, not "skipped"); WHEN the consumer
    has moved since THEN the next run retires the old key and skips bart for his young key; the
    run after skips him at once, without listing his keys."""
    harness.set_settings(max_key_age_days=30)
    delivered_once(harness, "bart")
    harness.not_moved.add("bart")
    forced = harness.run({"force": True})
    assert only(forced.summary["deferred"])["runs"] == 1
    old, current = harness.secret_key_id("bart", "AWSPREVIOUS"), harness.secret_key_id("bart")
    harness.not_moved.discard("bart")
    harness.use_previous_key("bart")  # still on the old key after the forced run; not after this

    again = harness.run()

    assert again.summary["skipped"] == []
    deferred = only(again.summary["deferred"])
    assert (deferred["accessKeyId"], deferred["runs"]) == (old, 2)
    assert harness.keys("bart") == {old: "Active", current: "Active"}

    moved = harness.run()

    assert moved.summary["deferred"] == []
    skipped = only(moved.summary["skipped"])
    assert skipped["detail"].startswith(f"retired {old} (no longer in use); ")
    assert harness.keys("bart") == {current: "Active"}
    harness.calls.reset()

    quiet = harness.run()

    assert only(quiet.summary["skipped"])["username"] == "bart"
    assert harness.calls.per_user("bart")["ListAccessKeys"] == 0


# AWS publishes a key's use late: the tests below give IAM a 10-minute delay, to the minute, and
# the module the same delay (last_use_delay_seconds).
PUBLISHED_AFTER = datetime.timedelta(minutes=10)


def iam_publishing_late(harness: Harness) -> None:
    harness.set_settings(
        last_use_delay_seconds=int(PUBLISHED_AFTER.total_seconds()), previous_keys_judged_later=True
    )
    harness.last_use.to_the_minute = True
    harness.last_use.published_after = PUBLISHED_AFTER


def test_given_iam_publishes_late_when_the_consumer_stays_on_the_old_key_a_while_it_never_loses_it(
    harness: Harness,
) -> None:
    """GIVEN IAM publishes a use 10 minutes late and to the minute, and bart's consumer keeps
    using his old key for 2 minutes after the handoff WHEN runs come every 5 minutes THEN the
    old key stays Active while no use of it can be seen yet (the run that rotated him, and the
    next: bart skipped, his new key named), is deferred once the use shows, and is retired only by
    the first run after the consumer's last use is 10 minutes old."""
    iam_publishing_late(harness)
    delivered = delivered_once(harness, "bart")["bart"]
    harness.clock.to_next_minute(datetime.timedelta(seconds=5))  # as in the test below

    rotated = harness.run()
    successor = harness.secret_key_id("bart")
    for _ in range(2):  # the consumer, a minute apart, then it moves
        harness.advance_clock(datetime.timedelta(minutes=1))
        harness.use_previous_key("bart")
    last_use = harness.clock.now()
    assert only(rotated.summary["rotated"])["previousKeyId"] == delivered
    assert harness.keys("bart")[delivered] == "Active"
    runs = []
    for _ in range(6):  # a run every 5 minutes, until the old key is gone
        harness.advance_clock(datetime.timedelta(minutes=5))
        runs.append((harness.clock.now() - last_use, harness.run()))
        if delivered not in harness.keys("bart"):
            break

    assert delivered not in harness.keys("bart")
    waited, deferred, retired = runs[0][1], runs[-2][1], runs[-1][1]
    assert (
        f"the access key that {successor} replaced stays active"
        in only(waited.summary["skipped"])["detail"]
    )
    assert only(deferred.summary["deferred"])["accessKeyId"] == delivered
    assert only(retired.summary["rotated"])["previousKeyId"] == harness.secret_key_id(
        "bart", "AWSPREVIOUS"
    )
    assert runs[-1][0] >= PUBLISHED_AFTER  # retired on evidence older than IAM's delay
    assert runs[-2][0] < PUBLISHED_AFTER + datetime.timedelta(minutes=1)
    assert all(run.status == "SUCCEEDED" for _, run in runs)


def test_given_iam_publishes_late_when_the_consumer_switched_at_once_its_old_key_goes_after_it(
    harness: Harness,
) -> None:
    """GIVEN IAM publishes a use 10 minutes late and to the minute, and bart's consumer moved to
    his new key at the handoff WHEN the next run comes within the delay THEN his old key stays
    (bart skipped, his new key named, no AWS call about him); WHEN a run comes after it THEN the
    old key is retired (the README's window: the first run last_use_delay_seconds after the
    handoff) and bart rotated."""
    iam_publishing_late(harness)
    delivered = delivered_once(harness, "bart")["bart"]
    # The rotator's proofs of the delivered key, its last uses, in a minute before the handoff's:
    # IAM could not tell a use in the handoff's minute from one after it.
    harness.clock.to_next_minute(datetime.timedelta(seconds=5))
    rotated = harness.run()
    handed_off = harness.clock.now()
    assert rotated.summary["deferred"] == []
    harness.advance_clock(datetime.timedelta(minutes=5))
    harness.calls.reset()

    early = harness.run()

    assert sum(harness.calls.per_user("bart").values()) == 0  # the batch's read tells enough
    detail = only(early.summary["skipped"])["detail"]
    assert f"the access key that {harness.secret_key_id('bart')} replaced stays active" in detail
    assert harness.keys("bart")[delivered] == "Active"

    harness.advance_clock(handed_off + PUBLISHED_AFTER - harness.clock.now())
    after = harness.run()

    assert after.status == "SUCCEEDED"
    assert only(after.summary["rotated"])["previousKeyId"] != delivered
    assert delivered not in harness.keys("bart")


def test_given_a_later_run_judges_the_old_key_then_the_write_marks_it_and_finish_writes_nothing(
    harness: Harness,
) -> None:
    """GIVEN a last-use delay (a later run judges bart's previous key) WHEN bart rotates THEN his
    new key's version is written with the mark RETIREMENT_DEFERRED, which stays once the handoff is
    confirmed, and finish makes no AWS call about him: the run that rotates costs the write, the
    proof, the handoff and its confirmation, nothing more. The next run within the delay skips
    him without a call; his previous key stays Active meanwhile."""
    iam_publishing_late(harness)
    delivered = delivered_once(harness, "bart")["bart"]
    harness.calls.reset()

    rotated = harness.run()

    assert rotated.status == "SUCCEEDED"
    assert sorted(harness.current_stages("bart")) == ["AWSCURRENT", "RETIREMENT_DEFERRED"]
    assert harness.keys("bart")[delivered] == "Active"
    about_bart = {
        (f, a): n for (f, user, a), n in harness.calls.by_function.items() if user == "bart"
    }
    assert about_bart == {
        ("rotate", "iam:CreateAccessKey"): 1,
        ("rotate", "secretsmanager:PutSecretValue"): 1,
        ("rotate", "sts:GetCallerIdentity"): 3,
        (None, "lambda:Invoke"): 1,
        (None, "secretsmanager:UpdateSecretVersionStage"): 1,
    }
    harness.calls.reset()

    later = harness.run()

    assert only(later.summary["skipped"])["username"] == "bart"
    assert sum(harness.calls.per_user("bart").values()) == 0


def test_given_a_key_written_without_the_mark_when_handed_off_again_then_it_is_marked_first(
    harness: Harness,
) -> None:
    """GIVEN homer's new key N written while finish judged the previous keys itself (no delay)
    and its handoff never confirmed WHEN a run with a last-use delay hands N off again THEN N's
    version is marked before the handoff: once confirmed, homer's previous key stays Active for a
    later run to judge, and the next run within the delay skips homer."""
    delivered = delivered_once(harness, "homer")["homer"]
    unconfirmed = run_with(harness, Fault("mark-delivered-fails"))
    new = harness.consumer.stored["homer"]
    assert only(unconfirmed.summary["failed"])["error"] == "HandoffUnconfirmed"
    assert harness.current_stages("homer") == ["AWSCURRENT", "PENDING_HANDOFF"]
    iam_publishing_late(harness)

    again = harness.run()

    assert again.status == "SUCCEEDED"
    assert only(again.summary["rotated"])["accessKeyId"] == new
    assert sorted(harness.current_stages("homer")) == ["AWSCURRENT", "RETIREMENT_DEFERRED"]
    assert harness.keys("homer") == {delivered: "Active", new: "Active"}
    later = harness.run()
    assert only(later.summary["skipped"])["username"] == "homer"
    assert harness.keys("homer") == {delivered: "Active", new: "Active"}


def test_given_a_use_at_the_end_of_the_grace_wait_published_late_then_the_key_waits_until_it_shows(
    harness: Harness,
) -> None:
    """GIVEN a grace wait of 5 minutes, IAM publishing uses 10 minutes late, and bart's consumer
    using his old key once, 4 minutes after the handoff WHEN runs come 10 and 16 minutes after it
    THEN the first skips bart and keeps the key (its uses in the grace wait cannot all show before
    5 + 10 minutes), and the second sees the use and defers him: the key is never retired while
    the evidence is incomplete."""
    iam_publishing_late(harness)
    harness.set_settings(grace_wait_seconds=300)
    delivered = delivered_once(harness, "bart")["bart"]
    harness.clock.to_next_minute(datetime.timedelta(seconds=5))
    harness.run()
    handed_off = harness.clock.now()
    harness.advance_clock(datetime.timedelta(minutes=4))
    harness.use_previous_key("bart")
    harness.advance_clock(handed_off + datetime.timedelta(minutes=10) - harness.clock.now())

    early = harness.run()

    assert only(early.summary["skipped"])["username"] == "bart"
    assert harness.keys("bart")[delivered] == "Active"

    harness.advance_clock(datetime.timedelta(minutes=6))
    later = harness.run()

    deferred = only(later.summary["deferred"])
    assert (deferred["accessKeyId"], deferred["runs"]) == (delivered, 1)
    assert harness.keys("bart")[delivered] == "Active"
