"""What a run tells people (issue: observability): a per-user EventBridge event on the chosen bus
for each user rotated, failed or deferred, sent ten a call, and the run's metrics as Embedded
Metric Format records in finish's log.

The events are received as a subscriber would: a rule on the bus that matches the module's source
sends them to an SQS queue (moto delivers rule targets as EventBridge does).
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

import pytest
from credentials_rotator.aws import metrics, notifications

from testkit.event_subscriber import SOURCE, Subscriber
from testkit.harness import Harness

pytestmark = pytest.mark.workflow


def emf_records(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """The Embedded Metric Format records written to standard output so far (and re-emitted, so
    that the harness's secret check still sees everything)."""
    captured = capsys.readouterr()
    print(captured.out, end="")
    records = []
    for line in captured.out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            records.append(json.loads(line))
    return records


def assert_valid_emf(record: dict[str, Any]) -> None:
    """The Embedded Metric Format's rules CloudWatch Logs applies before it extracts a metric."""
    directive = record["_aws"]
    assert isinstance(directive["Timestamp"], int)
    for declared in directive["CloudWatchMetrics"]:
        assert declared["Namespace"] == "CredentialsRotator"
        assert len(declared["Metrics"]) <= 100
        for dimension_set in declared["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            for dimension in dimension_set:
                assert isinstance(record[dimension], str) and record[dimension]
        for metric in declared["Metrics"]:
            assert isinstance(record[metric["Name"]], int | float), metric
            assert metric["Unit"] in {"Count", "Seconds", "None"}


def run_record(records: list[dict[str, Any]]) -> dict[str, Any]:
    (record,) = [r for r in records if metrics.USERS_ROTATED in r]
    return record


def test_given_25_users_when_rotated_then_each_gets_one_rotated_event_sent_ten_a_call(
    harness: Harness,
) -> None:
    """GIVEN 25 users in two batches (20 and 5) WHEN a run rotates them THEN the default bus
    carries one "IAM Access Key Rotated" event per user, with names, key ids and the run's
    execution ARN and no secret, and finish sent them in 2 + 1 PutEvents calls."""
    subscriber = Subscriber()
    users = [f"user{n:02d}" for n in range(25)]
    harness.configure_users(*users)
    old = {user: harness.create_key(user) for user in users}

    run = harness.run()

    assert run.status == "SUCCEEDED"
    rotated = subscriber.of_type(notifications.ROTATED)
    assert sorted(event["detail"]["username"] for event in rotated) == users
    assert len(subscriber.received()) == 25
    for event in rotated:
        detail = event["detail"]
        user = detail["username"]
        assert event["source"] == SOURCE
        assert event["resources"] == [run.arn]
        assert detail == {
            "username": user,
            "accessKeyId": harness.secret_key_id(user),
            "previousKeyId": old[user],
            "accountId": "123456789012",
            "secretName": f"ci-keys/{user}",
            "rotator": "ci-keys",
            "executionArn": run.arn,
        }
    assert harness.calls.actions["events:PutEvents"] == math.ceil(20 / 10) + math.ceil(5 / 10)
    assert harness.watch.leaks_in("".join(subscriber.bodies)) == 0
    assert len(harness.watch) >= 25  # the watch knows the keys it looked for


def test_given_a_failed_and_a_deferred_user_when_run_then_each_has_its_event_and_metrics(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN ghost, who is not in IAM, and bart, whose consumer keeps using his previous key,
    beside homer WHEN a run ends THEN the bus carries ghost's failure (error name and message),
    bart's rotation and his deferral (the kept key and its last use) and homer's rotation; the
    run's metric record counts 2 rotated, 1 failed, 1 deferred, with its duration and the
    oldest key's age, and a second record counts the failure under its error name."""
    subscriber = Subscriber()
    harness.configure_users("homer", "bart")
    assert harness.run().status == "SUCCEEDED"
    delivered = harness.secret_key_id("bart")
    capsys.readouterr()
    harness.configure_users("homer", "ghost", "bart", create=False)
    harness.not_moved.add("bart")
    subscriber.received()
    subscriber.bodies.clear()

    run = harness.run()

    assert run.status == "FAILED"
    (failed,) = subscriber.of_type(notifications.FAILED)
    assert failed["detail"]["username"] == "ghost"
    assert failed["detail"]["error"] == "UserNotFound"
    assert failed["detail"]["message"] == "IAM user ghost does not exist"
    assert failed["detail"]["executionArn"] == run.arn
    (deferred,) = subscriber.of_type(notifications.DEFERRED)
    assert deferred["detail"]["username"] == "bart"
    assert deferred["detail"]["accessKeyId"] == delivered
    assert (deferred["detail"]["runs"], deferred["detail"]["action"]) == (1, "kept")
    assert deferred["detail"]["lastUsed"] is not None
    rotated = subscriber.of_type(notifications.ROTATED)
    assert sorted(event["detail"]["username"] for event in rotated) == ["bart", "homer"]

    records = emf_records(capsys)
    for record in records:
        assert_valid_emf(record)
    record = run_record(records)
    counts = {
        name: record[name]
        for name in (
            metrics.USERS_ROTATED,
            metrics.USERS_SKIPPED,
            metrics.USERS_FAILED,
            metrics.USERS_DEFERRED,
        )
    }
    assert counts == {"UsersRotated": 2, "UsersSkipped": 0, "UsersFailed": 1, "UsersDeferred": 1}
    assert record["Rotator"] == "ci-keys"
    assert 0 < record[metrics.RUN_DURATION] < 60
    assert 0 <= record[metrics.OLDEST_KEY_AGE] < 0.01  # every known key is minutes old
    (by_error,) = [r for r in records if r.get("Error")]
    assert (by_error["Error"], by_error[metrics.USERS_FAILED]) == ("UserNotFound", 1)
    assert by_error["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Rotator", "Error"]]


def test_given_keys_ten_days_old_when_a_run_skips_them_then_the_oldest_age_is_reported(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN homer's and bart's keys delivered, then ten days pass, with a maximum key age of 30
    days WHEN a run skips both THEN the summary names the oldest key in use (bart's, delivered
    first) with its age, the metric reports the same age, and no event is sent: nobody was
    rotated, failed or deferred."""
    harness.configure_users("bart")
    assert harness.run().status == "SUCCEEDED"
    harness.configure_users("bart", "homer", create=False)
    harness.create_user("homer")
    assert harness.run({"users": ["homer"]}).status == "SUCCEEDED"
    bart_key = harness.secret_key_id("bart")
    harness.set_settings(max_key_age_days=30)
    harness.advance_clock(datetime.timedelta(days=10))
    capsys.readouterr()
    harness.calls.reset()

    run = harness.run()

    assert run.status == "SUCCEEDED"
    assert run.summary["counts"]["skipped"] == 2
    oldest = run.summary["oldestKey"]
    assert (oldest["username"], oldest["accessKeyId"]) == ("bart", bart_key)
    assert 10.0 <= oldest["ageDays"] < 10.01
    assert run_record(emf_records(capsys))[metrics.OLDEST_KEY_AGE] == oldest["ageDays"]
    assert harness.calls.actions["events:PutEvents"] == 0


def test_given_events_off_or_a_dry_run_then_no_event_is_sent(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN event_bus_name = null (EVENT_BUS_NAME empty) WHEN a run rotates homer THEN no
    PutEvents call is made; GIVEN events on WHEN a dry run plans homer's rotation THEN none
    either, and a dry run writes no metric record."""
    harness.configure_users("homer")
    harness.set_settings(event_bus_name=None)

    assert harness.run().status == "SUCCEEDED"
    assert harness.calls.actions["events:PutEvents"] == 0

    harness.set_settings(event_bus_name="default")
    capsys.readouterr()
    dry = harness.run({"dryRun": True})

    assert dry.status == "SUCCEEDED"
    assert dry.summary["counts"]["planned"] == 1
    assert harness.calls.actions["events:PutEvents"] == 0
    assert emf_records(capsys) == []


def test_given_a_custom_bus_when_run_then_the_events_go_to_it_and_not_to_the_default_bus(
    harness: Harness,
) -> None:
    """GIVEN event_bus_name = "platform-events" WHEN a run rotates homer THEN his event reaches
    a rule on that bus, and none reaches the default bus."""
    default = Subscriber()
    custom = Subscriber("platform-events")
    harness.set_settings(event_bus_name="platform-events")
    harness.configure_users("homer")

    assert harness.run().status == "SUCCEEDED"

    assert [e["detail"]["username"] for e in custom.of_type(notifications.ROTATED)] == ["homer"]
    assert default.received() == []


def test_given_the_last_run_when_its_summary_is_read_as_the_readme_says_then_it_is_whole(
    harness: Harness,
) -> None:
    """GIVEN two runs WHEN last-summary.json is read (output last_summary_command) THEN it is the
    second run's complete summary."""
    harness.configure_users("homer", "bart")
    harness.run()
    second = harness.run()

    body = harness.s3.get_object(Bucket=harness.bucket, Key="last-summary.json")["Body"].read()
    last = json.loads(body)

    assert last == harness.run_data(second.arn)["summary.json"]
    assert last["counts"]["rotated"] == 2
