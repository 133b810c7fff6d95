"""What the credentials handlers' tests share: a clock the tests move, a Lambda context on it,
and the rotator's secrets written in moto as the rotator writes them.

The handlers wait through ``credentials_handler.clock``, which the ``clock`` fixture replaces with
``FakeClock``: nothing sleeps.
"""

from __future__ import annotations

import datetime
import json
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

import boto3

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:ci-keys-handler"
# A secret access key is 40 characters of the Base64 alphabet.
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass
class FakeClock:
    """The handlers' clock, moved by the tests: ``sleep`` only advances it."""

    wall: datetime.datetime = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    ticks: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> datetime.datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.ticks

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.ticks += seconds
        self.wall += datetime.timedelta(seconds=seconds)


@dataclass
class FakeContext:
    """The Lambda context of one invocation with ``timeout`` seconds, on the fake clock."""

    clock: FakeClock
    timeout: float = 60.0
    invoked_function_arn: str = FUNCTION_ARN
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock.monotonic()

    def get_remaining_time_in_millis(self) -> int:
        return int(max(0.0, self.started + self.timeout - self.clock.monotonic()) * 1000)


@dataclass(frozen=True)
class RotatedKey:
    """A key the rotator stored, and its handoff event (names and ids)."""

    access_key_id: str
    secret_access_key: str
    event: dict[str, Any]


def store_rotated_key(username: str, account_id: str = ACCOUNT) -> RotatedKey:
    """Write a new key to the user's secret as the rotator does (AWSCURRENT + PENDING_HANDOFF)."""
    secretsmanager = boto3.client("secretsmanager")
    name = f"ci-keys/{username}" if account_id == ACCOUNT else f"ci-keys/{account_id}/{username}"
    try:
        arn = secretsmanager.describe_secret(SecretId=name)["ARN"]
    except secretsmanager.exceptions.ResourceNotFoundException:
        arn = secretsmanager.create_secret(Name=name)["ARN"]
    access_key_id = "AKIA" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(16))
    secret_access_key = "".join(secrets.choice(SECRET_ALPHABET) for _ in range(40))
    version = secretsmanager.put_secret_value(
        SecretId=arn,
        SecretString=json.dumps(
            {
                "UserName": username,
                "AccessKeyId": access_key_id,
                "Status": "Active",
                "SecretAccessKey": secret_access_key,
                "CreateDate": "2026-03-02T09:00:00+00:00",
            }
        ),
        VersionStages=["AWSCURRENT", "PENDING_HANDOFF"],
    )
    event = {
        "username": username,
        "accountId": account_id,
        "secretName": name,
        "metadata": None,
        "secretArn": arn,
        "accessKeyId": access_key_id,
        "versionId": version["VersionId"],
    }
    return RotatedKey(access_key_id, secret_access_key, event)


def store_credential(name: str, value: str) -> str:
    """A secret holding a target's credential; its ARN."""
    return str(boto3.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"])


def logged_text(records: list[Any]) -> str:
    """Every log record as its message and fields, the way a JSON log would show them."""
    return "\n".join(json.dumps(vars(record), default=str) for record in records)
