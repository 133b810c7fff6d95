"""The test credentials handler: what the state machine hands each new key to."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

import boto3

from testkit.checks.secret_watch import SecretWatch
from testkit.member_accounts import rotator_name
from testkit.world.setting import HARNESS_CLIENTS


class ConsumerError(Exception):
    """What the test consumer raises when it is told to refuse a key."""


class HandlerTimedOut(Exception):
    """The test consumer ran past its timeout: Lambda reports ``Sandbox.Timedout``."""


# How the test consumer treats a key: take it, refuse it (raise), store it and then run past its
# timeout, or run past its timeout before storing it.
ACCEPT, REFUSE, STORE_THEN_TIME_OUT, TIME_OUT = (
    "accept",
    "refuse",
    "store-then-time-out",
    "time-out",
)


@dataclass(frozen=True)
class Delivery:
    """One invocation of the consumer: what it was told and what it read (never the secret).
    ``username`` is the payload's (the IAM user name); ``name`` the rotator's."""

    username: str
    payload: dict[str, Any]
    read_key_id: str
    read_secret_digest: str
    failed: bool

    @property
    def name(self) -> str:
        """The rotator's name of the user: ``<account_id>/<username>`` for a member account's
        user (its payload's ``accountId``), the IAM user name for the hub's."""
        return rotator_name(self.payload.get("accountId"), self.username)


class Consumer:
    """The test credentials handler: reads the user's secret by name, as the contract says, checks
    that it holds the key it was told about, and stores it (``stored``: the key it holds now)."""

    def __init__(self, session: boto3.Session, watch: SecretWatch) -> None:
        self.secretsmanager = session.client("secretsmanager", config=HARNESS_CLIENTS)
        self.watch = watch
        self.fail_for: set[str] = set()
        self.fail_message: str | None = None  # what a refusal says; by default it names the user
        self.behaviour: dict[str, str] = {}
        self.deliveries: list[Delivery] = []
        self.stored: dict[str, str] = {}
        self.timeouts: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        # The rotator's name (a member account's user is <account_id>/<username>), by which the
        # test tells the consumer how to behave and reads what it stored.
        username = rotator_name(event.get("accountId"), event["username"])
        value = json.loads(
            self.secretsmanager.get_secret_value(SecretId=event["secretName"])["SecretString"]
        )
        secret = value["SecretAccessKey"]
        self.watch.add(secret)
        behaviour = REFUSE if username in self.fail_for else self.behaviour.get(username, ACCEPT)
        with self._lock:
            self.deliveries.append(
                Delivery(
                    username=event["username"],
                    payload=dict(event),
                    read_key_id=value["AccessKeyId"],
                    read_secret_digest=hashlib.sha256(secret.encode()).hexdigest(),
                    failed=behaviour != ACCEPT,
                )
            )
        if value["AccessKeyId"] != event["accessKeyId"]:
            raise ConsumerError(f"the secret of {username} does not hold {event['accessKeyId']}")
        return self._treat(username, value["AccessKeyId"], behaviour)

    def _treat(self, username: str, key_id: str, behaviour: str) -> dict[str, Any]:
        """Take, refuse or time out on the key, as the test told the consumer to."""
        if behaviour == REFUSE:
            raise ConsumerError(self.fail_message or f"the handler for {username} is down")
        if behaviour == TIME_OUT:
            self.timeouts.append(username)
            raise HandlerTimedOut(f"the handler for {username} ran past its timeout")
        with self._lock:
            self.stored[username] = key_id
        if behaviour == STORE_THEN_TIME_OUT:
            self.timeouts.append(username)
            raise HandlerTimedOut(f"the handler for {username} ran past its timeout")
        return {"stored": key_id}

    def for_user(self, username: str) -> list[Delivery]:
        """The deliveries to the user of this rotator's name (``<account_id>/<username>`` for a
        member account's user)."""
        return [d for d in self.deliveries if d.name == username]

    def timeouts_of(self, username: str) -> int:
        """How many handoffs of the user ran past the handler's timeout."""
        return self.timeouts.count(username)
