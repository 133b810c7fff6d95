"""Sample credentials handler: receives each new access key from the rotator.

It reads the user's secret by name with GetSecretValue, checks that the secret holds the key the
rotator announced, and records what it received (never the secret access key) in the SSM parameter
`<RECEIVED_PARAMETER_PREFIX><username>`, so that a person or a test can see the handoff.

FAIL_FOR_USERS is a demo and test hook: a comma-separated list of usernames for which the handler
fails on purpose, after reading the secret, to show the rotator rolling the handoff back.

A real handler would put the key where its application uses it instead of recording it. It returns
nothing: a return value would be stored in the execution history.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

import boto3

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


class HandoffRefused(Exception):
    """Raised on purpose for a username listed in FAIL_FOR_USERS."""


class UnexpectedAccessKey(Exception):
    """The secret does not hold the access key the rotator announced."""


@functools.cache
def _secretsmanager() -> Any:
    return boto3.client("secretsmanager")


@functools.cache
def _ssm() -> Any:
    return boto3.client("ssm")


def _fail_for_users() -> set[str]:
    names = os.environ.get("FAIL_FOR_USERS", "").split(",")
    return {name.strip() for name in names if name.strip()}


def handler(event: dict[str, Any], context: object) -> None:
    username = event["username"]
    secret = _secretsmanager().get_secret_value(SecretId=event["secretName"])
    received = json.loads(secret["SecretString"])
    if received["AccessKeyId"] != event["accessKeyId"]:
        raise UnexpectedAccessKey(
            f"the secret of {username} holds key {received['AccessKeyId']}, "
            f"not the announced {event['accessKeyId']}"
        )
    if username in _fail_for_users():
        raise HandoffRefused(f"this handler is configured to fail for {username}")

    record = {
        "accessKeyId": received["AccessKeyId"],
        "versionId": secret["VersionId"],
        "secretName": event["secretName"],
        "metadata": event.get("metadata"),
        "receivedAt": datetime.now(UTC).isoformat(),
    }
    _ssm().put_parameter(
        Name=os.environ["RECEIVED_PARAMETER_PREFIX"] + username,
        Value=json.dumps(record),
        Type="String",
        Overwrite=True,
    )
    logger.info(
        "credentials received",
        extra={"username": username, "accessKeyId": received["AccessKeyId"]},
    )
