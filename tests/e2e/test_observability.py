"""What a deployed rotator tells people, on LocalStack: the per-user events reach a rule on the
default bus (here targeting an SQS queue, as a subscriber's would), the example's rule sends a
failed rotation to the alarm topic, and finish's log carries the run's metric records.

LocalStack does not turn Embedded Metric Format records into metrics, so the records themselves
are checked, as CloudWatch Logs would read them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from credentials_rotator.aws.notifications import FAILED, ROTATED
from leaks import secret_access_keys

from testkit.stack import Stack


class Queue:
    """An SQS queue of the emulator, and everything it received."""

    def __init__(self, stack: Stack, name: str) -> None:
        self.sqs = stack.client("sqs")
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.bodies: list[str] = []

    def drain(self) -> list[str]:
        while True:
            got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
            if not got.get("Messages"):
                return self.bodies
            for message in got["Messages"]:
                self.bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while not predicate(self.drain()):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the queue holds {len(self.bodies)} messages after {timeout} s"
                )
            time.sleep(0.5)
        return self.bodies

    def delete(self) -> None:
        self.sqs.delete_queue(QueueUrl=self.url)


@pytest.fixture
def subscriber(stack: Stack) -> Iterator[Queue]:
    """A rule on the default bus for the rotator's events, to a queue."""
    queue = Queue(stack, f"{stack.name}-events")
    events = stack.client("events")
    rule = f"{stack.name}-all-events"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [stack.outputs["event_source"]]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue.arn}])
    yield queue
    events.remove_targets(Rule=rule, Ids=["queue"])
    events.delete_rule(Name=rule)
    queue.delete()


@pytest.fixture
def alarm_topic_queue(stack: Stack) -> Iterator[Queue]:
    """A queue subscribed to the example's alarm topic."""
    queue = Queue(stack, f"{stack.name}-alarm-topic")
    sns = stack.client("sns")
    subscription = sns.subscribe(
        TopicArn=stack.outputs["alarm_topic_arn"], Protocol="sqs", Endpoint=queue.arn
    )["SubscriptionArn"]
    yield queue
    sns.unsubscribe(SubscriptionArn=subscription)
    queue.delete()


def events_of(bodies: list[str], detail_type: str) -> list[dict[str, Any]]:
    return [e for e in map(json.loads, bodies) if e.get("detail-type") == detail_type]


def metric_records(stack: Stack) -> list[dict[str, Any]]:
    finish = stack.outputs["log_group_names"]["finish"]
    records = []
    for group, message in stack.log_events():
        for line in message.splitlines():
            if group == finish and line.startswith("{") and '"_aws"' in line:
                records.append(json.loads(line))
    return records


def test_given_a_run_when_it_ends_then_each_user_is_an_event_on_the_bus_and_the_run_a_metric_record(
    stack: Stack, old_keys: dict[str, str], subscriber: Queue
) -> None:
    run = stack.rotate()

    assert run.status == "SUCCEEDED", run
    bodies = subscriber.wait_for(lambda got: len(events_of(got, ROTATED)) >= len(stack.usernames))
    rotated = events_of(bodies, ROTATED)
    assert sorted(e["detail"]["username"] for e in rotated) == sorted(stack.usernames)
    for event in rotated:
        user = event["detail"]["username"]
        assert event["source"] == stack.outputs["event_source"]
        assert event["detail"]["executionArn"] == run.execution_arn
        assert event["detail"]["previousKeyId"] == old_keys[user]
        assert event["detail"]["accessKeyId"] == stack.secret_key_id(user)
    secrets = secret_access_keys(stack)
    assert secrets and not any(secret in body for secret in secrets for body in bodies)

    records = [r for r in metric_records(stack) if r.get("UsersRotated") is not None]
    assert records, "finish's log holds no run metric record"
    last = records[-1]
    assert last["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CredentialsRotator"
    assert last["Rotator"] == stack.outputs["name"]
    assert (last["UsersRotated"], last["UsersFailed"]) == (len(stack.usernames), 0)
    assert last["RunDurationSeconds"] > 0
    assert 0 <= last["OldestKeyAgeDays"] < 1


def test_given_a_failed_handoff_when_run_then_its_event_reaches_the_alarm_topic_through_the_example(
    stack: Stack,
    old_keys: dict[str, str],
    make_consumer_fail: Callable[[list[str]], None],
    subscriber: Queue,
    alarm_topic_queue: Queue,
) -> None:
    failing = stack.usernames[0]
    make_consumer_fail([failing])

    run = stack.rotate()

    assert run.status == "FAILED", run
    bodies = subscriber.wait_for(lambda got: bool(events_of(got, FAILED)))
    (failed,) = events_of(bodies, FAILED)
    assert failed["detail"]["username"] == failing
    assert failed["detail"]["error"]
    notices = alarm_topic_queue.wait_for(
        lambda got: any(FAILED in json.loads(body).get("Message", "") for body in got)
    )
    (notice,) = [json.loads(json.loads(b)["Message"]) for b in notices if FAILED in b]
    assert notice["detail"]["username"] == failing
    by_error = [r for r in metric_records(stack) if r.get("Error") == failed["detail"]["error"]]
    assert by_error and by_error[-1]["UsersFailed"] == 1
