"""A subscriber to the rotator's events in moto: an EventBridge rule that sends them to a queue
the test reads, as a user of the module would subscribe."""

from __future__ import annotations

import json
from typing import Any

import boto3

from testkit.world.setting import HARNESS_CLIENTS, REGION

# The events' source of the rotator the harness deploys (testkit/engine_environment.py).
SOURCE = "credentials-rotator.ci-keys"


class Subscriber:
    """A rule on ``bus`` for the module's events, targeting a queue this test reads."""

    def __init__(self, bus: str = "default") -> None:
        session = boto3.Session(region_name=REGION)
        self.events = session.client("events", config=HARNESS_CLIENTS)
        self.sqs = session.client("sqs", config=HARNESS_CLIENTS)
        if bus != "default":
            self.events.create_event_bus(Name=bus)
        self.queue_url = self.sqs.create_queue(QueueName=f"rotator-events-{bus}")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.events.put_rule(
            Name="rotator-events", EventBusName=bus, EventPattern=json.dumps({"source": [SOURCE]})
        )
        self.events.put_targets(
            Rule="rotator-events", EventBusName=bus, Targets=[{"Id": "queue", "Arn": queue_arn}]
        )
        self.bodies: list[str] = []

    def received(self) -> list[dict[str, Any]]:
        """Every event delivered so far (and kept: each call returns all of them)."""
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                break
            for message in messages:
                self.bodies.append(message["Body"])
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return [json.loads(body) for body in self.bodies]

    def of_type(self, detail_type: str) -> list[dict[str, Any]]:
        return [event for event in self.received() if event["detail-type"] == detail_type]
