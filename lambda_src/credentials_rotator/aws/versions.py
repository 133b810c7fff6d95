"""Writing the user's record: new secret versions and moves of AWSCURRENT (docs/design.md).

The secret value keeps the original construct's shape: ``{"UserName", "AccessKeyId", "Status",
"SecretAccessKey", "CreateDate"}``. A key the rotator adopts (it did not create it, so it never
had its secret) is recorded without ``SecretAccessKey``.
"""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from credentials_rotator.aws import secret_lifecycle
from credentials_rotator.aws.access_keys import delete_access_key
from credentials_rotator.aws.failures import describe_error, error_code
from credentials_rotator.model.errors import SecretVersionLimit, SecretWriteFailed
from credentials_rotator.model.shapes import DEFERRED_STAGE, PENDING_STAGE
from credentials_rotator.settings import clock
from credentials_rotator.settings.config import Config
from credentials_rotator.settings.config_values import split_user_name
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_iam.type_defs import AccessKeyTypeDef
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)


def secret_value(access_key: AccessKeyTypeDef) -> str:
    """The secret string for a new key."""
    return json.dumps(
        {
            # The IAM user name, also of a member user (``accounts``).
            "UserName": split_user_name(access_key["UserName"])[1],
            "AccessKeyId": access_key["AccessKeyId"],
            "Status": access_key["Status"],
            "SecretAccessKey": access_key["SecretAccessKey"],
            "CreateDate": _iso(access_key.get("CreateDate")),
        }
    )


def adopted_value(username: str, access_key_id: str, create_date: datetime.datetime) -> str:
    """The record of a key the rotator adopts: everything but the secret, which it never had."""
    return json.dumps(
        {
            "UserName": split_user_name(username)[1],
            "AccessKeyId": access_key_id,
            "Status": "Active",
            "CreateDate": _iso(create_date),
        }
    )


def _iso(value: datetime.datetime | None) -> str:
    moment = value or clock.now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.isoformat()


def store_new_key(
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    config: Config,
    key: AccessKeyTypeDef,
    *,
    replaces_a_key: bool,
) -> tuple[str, str]:
    """Write a new key as pending its handoff (the secret's ARN and the new version's id), or
    delete the key again and raise ``SecretWriteFailed``: a key nobody can read is no use. A key
    that replaces one a later run judges is marked for that check at once (``write_pending``)."""
    username, key_id = key["UserName"], key["AccessKeyId"]
    marked = replaces_a_key and config.previous_keys_judged_later
    try:
        stored = write_pending(secretsmanager, config, username, secret_value(key), marked=marked)
    except (ClientError, BotoCoreError) as exc:
        try:
            delete_access_key(iam, username, key_id, reason="the secret write failed")
            cleanup = "the new key was deleted again"
        except (ClientError, BotoCoreError) as failed:
            cleanup = (
                f"the new key {key_id} could not be deleted either ({describe_error(failed)}); "
                "the next run removes it as a stray"
            )
        _write_failed(config.secret_name(username), username, exc, cleanup)
    LOGGER.info(
        "stored access key as pending handoff",
        extra={"username": username, "access_key_id": key_id, "version_id": stored[1]},
    )
    return stored


def _write_failed(secret_name: str, username: str, exc: Exception, cleanup: str) -> NoReturn:
    if isinstance(exc, ClientError) and error_code(exc) == "LimitExceededException":
        raise SecretVersionLimit(
            f"secret {secret_name} holds as many versions as Secrets Manager keeps (it removes the "
            "oldest only once they are 24 hours old): runs come too often for it; "
            f"{cleanup}, and a run after the oldest versions are 24 hours old rotates user "
            f"{username}"
        ) from exc
    raise SecretWriteFailed(
        f"could not store the new access key of user {username} in secret {secret_name} "
        f"({describe_error(exc)}); {cleanup}"
    ) from exc


def write_pending(
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    secret_string: str,
    *,
    marked: bool,
) -> tuple[str, str]:
    """Store a new key as AWSCURRENT + PENDING_HANDOFF; return the secret's ARN and the version.
    ``marked``: with the deferral's stage too (moved off any other version), so that once the
    handoff is confirmed the version already says that its predecessor awaits a check
    (``deferrals``): ``finish`` has nothing to write. The stage means nothing while the version
    is pending (``DeliveryRecord.retirement_deferred`` asks a settled record only)."""
    stages = ["AWSCURRENT", PENDING_STAGE, *([DEFERRED_STAGE] if marked else [])]
    return _put(secretsmanager, config, username, secret_string, stages)


def write_adopted(
    secretsmanager: SecretsManagerClient, config: Config, username: str, secret_string: str
) -> str:
    """Record an adopted key as the delivered one (AWSCURRENT); return the version."""
    return _put(secretsmanager, config, username, secret_string, ["AWSCURRENT"])[1]


def _put(
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    secret_string: str,
    stages: list[str],
) -> tuple[str, str]:
    secret_name = config.secret_name(username)
    try:
        response = secretsmanager.put_secret_value(
            SecretId=secret_name, SecretString=secret_string, VersionStages=stages
        )
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            secret_lifecycle.create(secretsmanager, config, username)
        elif not secret_lifecycle.restore(secretsmanager, secret_name, exc):
            raise
        response = secretsmanager.put_secret_value(
            SecretId=secret_name, SecretString=secret_string, VersionStages=stages
        )
    return response["ARN"], response["VersionId"]


def make_current(
    secretsmanager: SecretsManagerClient, secret_id: str, version_id: str, from_version_id: str
) -> None:
    """Move AWSCURRENT to ``version_id``; AWSPREVIOUS follows to ``from_version_id``."""
    secretsmanager.update_secret_version_stage(
        SecretId=secret_id,
        VersionStage="AWSCURRENT",
        MoveToVersionId=version_id,
        RemoveFromVersionId=from_version_id,
    )
    LOGGER.info(
        "made secret version current", extra={"secret_name": secret_id, "version_id": version_id}
    )
