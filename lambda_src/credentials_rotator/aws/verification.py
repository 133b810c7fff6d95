"""Proving a new access key works before it is handed off.

IAM is eventually consistent: a new key is commonly refused for some seconds after
``CreateAccessKey``, and AWS gives no figure. ``prove_usable`` signs ``sts:GetCallerIdentity`` with
the new key (it needs no permission, and no policy can deny it) until the key has authenticated
as its own user ``REQUIRED_SUCCESSES`` times in a row, ``INTERVAL_SECONDS`` apart, or the time
limit has passed. A key just created is first checked ``FIRST_CHECK_SECONDS`` later: a check
before IAM accepts it costs a call and proves nothing. The key stays in this function: only its
id appears in what it returns or logs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypedDict

from botocore.exceptions import BotoCoreError, ClientError

from credentials_rotator.aws import clients
from credentials_rotator.aws.failures import describe_error
from credentials_rotator.model.errors import NewKeyNotUsable
from credentials_rotator.settings import clock
from credentials_rotator.settings.config import Config
from credentials_rotator.settings.config_values import split_user_name
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sts import STSClient

LOGGER = get_logger(__name__)
REQUIRED_SUCCESSES = 3
INTERVAL_SECONDS = 1.0
# How long after its creation a new key is first checked: the time the module's timing model
# takes for IAM to accept a new key (docs/aws-limits.md, "The timing model"; AWS gives no figure,
# public reports 3 to 15 s). Each second IAM takes beyond it costs one more check.
FIRST_CHECK_SECONDS = 5.0
# The error name a user fails with when the new key never proved itself; the state machine's
# NewKeyNotUsable state gives it to roll_back (the rotate result's outcome "unusable").
NEW_KEY_NOT_USABLE = NewKeyNotUsable.__name__


class SigningKey(TypedDict):
    """An access key with its secret, and its user by the rotator's name (a member account's
    user is ``<account_id>/<username>``)."""

    UserName: str
    AccessKeyId: str
    SecretAccessKey: str


def recorded_key(
    secretsmanager: SecretsManagerClient, secret_arn: str, version_id: str, username: str
) -> SigningKey | None:
    """The key a version records, with its secret, to prove it before it is handed off again;
    None when the version holds no secret (a key the rotator adopted and never had)."""
    response = secretsmanager.get_secret_value(SecretId=secret_arn, VersionId=version_id)
    try:
        value: Any = json.loads(response.get("SecretString") or "null")
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    key_id, secret = value.get("AccessKeyId"), value.get("SecretAccessKey")
    if not isinstance(key_id, str) or not isinstance(secret, str):
        return None
    return {"UserName": username, "AccessKeyId": key_id, "SecretAccessKey": secret}


def prove_usable(
    key: SigningKey, limit_seconds: float, *, hub_account_id: str, just_created: bool
) -> str | None:
    """None once ``key`` authenticated as its user, in its user's account (the hub's for a user
    without one), enough times in a row; else why it did not. A key ``just_created`` is first
    checked after ``first_wait``."""
    username, key_id = key["UserName"], key["AccessKeyId"]
    account_id, iam_name = split_user_name(username)
    sts = clients.sts_client_signed_with(key_id, key["SecretAccessKey"])
    deadline = clock.monotonic() + limit_seconds
    if just_created:
        clock.sleep(first_wait(limit_seconds))
    streak, checks, last_refusal = 0, 0, "none"
    while True:
        checks += 1
        refusal = _refusal(sts, account_id or hub_account_id, iam_name)
        if refusal is None:
            streak += 1
            if streak == REQUIRED_SUCCESSES:
                LOGGER.info(
                    "new access key works",
                    extra={"username": username, "access_key_id": key_id, "checks": checks},
                )
                return None
        else:
            streak, last_refusal = 0, refusal
        if clock.monotonic() + INTERVAL_SECONDS > deadline:
            return (
                f"new access key {key_id} did not authenticate as user {username} "
                f"{REQUIRED_SUCCESSES} times in a row within {limit_seconds:g} s ({checks} checks "
                f"with sts:GetCallerIdentity; last refusal: {last_refusal})"
            )
        clock.sleep(INTERVAL_SECONDS)


def prove_new_key(key: SigningKey, config: Config) -> str | None:
    """For a key just created: None when verification is off or the key proved it works; else
    why it did not (``prove_usable``)."""
    limit = config.verify_new_key_seconds
    if limit is None:
        return None
    return prove_usable(key, limit, hub_account_id=config.hub_account_id, just_created=True)


def first_wait(limit_seconds: float) -> float:
    """How long a key just created waits for its first check: ``FIRST_CHECK_SECONDS``, or less
    when the time limit would leave no time for the checks in a row (an interval for each, as
    each check takes time of its own)."""
    room = limit_seconds - REQUIRED_SUCCESSES * INTERVAL_SECONDS
    return max(0.0, min(FIRST_CHECK_SECONDS, room))


def _refusal(sts: STSClient, account_id: str, username: str) -> str | None:
    """None when the key authenticates as ``username`` of the account ``account_id``; else what
    STS answered instead."""
    try:
        arn = sts.get_caller_identity()["Arn"]
    except (ClientError, BotoCoreError) as exc:
        return describe_error(exc)
    # arn:<partition>:iam::<account>:user/<path>/<name>; IAM user names ignore case.
    fields = arn.split(":", 5)
    resource, in_account = fields[-1], fields[4] == account_id
    if (
        in_account
        and resource.startswith("user/")
        and resource.rsplit("/", 1)[-1].lower() == username.lower()
    ):
        return None
    return f"it authenticated as {arn}"
