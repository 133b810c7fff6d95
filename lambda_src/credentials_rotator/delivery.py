"""The delivery record: which key the credentials handler holds, kept in the user's secret.

- AWSCURRENT without PENDING_HANDOFF: its key is the delivered key.
- AWSCURRENT with PENDING_HANDOFF: a run stopped before it finished; the delivered key is the
  AWSPREVIOUS version's (if any), the current one was never delivered.
- AWSPREVIOUS, when AWSCURRENT is delivered: superseded, safe to delete.

Secret values are parsed here and never leave this module except as the string written.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from credentials_rotator.config import Config
from credentials_rotator.failures import error_code
from credentials_rotator.log import get_logger
from credentials_rotator.shapes import PENDING_STAGE, RecordHint

if TYPE_CHECKING:
    from mypy_boto3_iam.type_defs import AccessKeyTypeDef
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)


@dataclass(frozen=True)
class RecordedKey:
    """One version of the secret, reduced to what the decision needs."""

    version_id: str
    access_key_id: str | None
    create_date: datetime.datetime | None


@dataclass(frozen=True)
class DeliveryRecord:
    secret_name: str
    secret_arn: str | None
    current: RecordedKey | None
    pending: bool
    previous: RecordedKey | None

    @property
    def delivered(self) -> RecordedKey | None:
        """The version whose key the credentials handler holds, if any."""
        version = self.previous if self.pending else self.current
        if version is None or version.access_key_id is None:
            return None
        return version

    @property
    def pending_key_id(self) -> str | None:
        """The key of a version that was written but never handed off."""
        if self.pending and self.current is not None:
            return self.current.access_key_id
        return None


def read_record(secretsmanager: SecretsManagerClient, secret_name: str) -> DeliveryRecord:
    """Read the delivery record: one call, two when a run stopped before its handoff finished."""
    current = _read_version(secretsmanager, secret_name, "AWSCURRENT")
    if current is None:
        return DeliveryRecord(secret_name, None, None, pending=False, previous=None)
    arn, recorded, stages = current
    pending = PENDING_STAGE in stages
    previous = None
    if pending:
        read = _read_version(secretsmanager, secret_name, "AWSPREVIOUS")
        previous = read[1] if read is not None else None
    return DeliveryRecord(secret_name, arn, recorded, pending=pending, previous=previous)


# BatchGetSecretValue reads at most this many secrets per call.
BATCH_READ_SIZE = 20


def read_records(
    secretsmanager: SecretsManagerClient, secret_names: list[str]
) -> dict[str, RecordHint | None]:
    """The AWSCURRENT version of each secret, reduced to ids and dates: one call per 20 secrets.

    A secret that does not exist (or has no current version) maps to a hint whose ``secretArn``
    is None. A secret that could not be read maps to None: ``rotate`` reads that one itself and
    reports what goes wrong.
    """
    hints: dict[str, RecordHint | None] = dict.fromkeys(secret_names)
    for start in range(0, len(secret_names), BATCH_READ_SIZE):
        chunk = secret_names[start : start + BATCH_READ_SIZE]
        response = secretsmanager.batch_get_secret_value(SecretIdList=chunk)
        for value in response.get("SecretValues", []):
            name = value.get("Name")
            if name not in hints or "VersionId" not in value or "ARN" not in value:
                continue
            access_key_id, create_date = _parse_value(value.get("SecretString"))
            hints[name] = {
                "secretArn": value["ARN"],
                "versionId": value["VersionId"],
                "accessKeyId": access_key_id,
                "createDate": create_date.isoformat() if create_date is not None else None,
                "pending": PENDING_STAGE in value.get("VersionStages", []),
            }
        for error in response.get("Errors", []):
            name = error.get("SecretId")
            if name in hints and error.get("ErrorCode") == "ResourceNotFoundException":
                hints[name] = {
                    "secretArn": None,
                    "versionId": None,
                    "accessKeyId": None,
                    "createDate": None,
                    "pending": False,
                }
    return hints


def record_from_hint(
    secretsmanager: SecretsManagerClient, secret_name: str, hint: RecordHint
) -> DeliveryRecord:
    """The delivery record from a batch read: no call, one when a run stopped before its handoff
    finished (the delivered key is then the AWSPREVIOUS version's)."""
    if hint["secretArn"] is None or hint["versionId"] is None:
        return DeliveryRecord(secret_name, None, None, pending=False, previous=None)
    current = RecordedKey(hint["versionId"], hint["accessKeyId"], _parse_date(hint["createDate"]))
    previous = None
    if hint["pending"]:
        read = _read_version(secretsmanager, secret_name, "AWSPREVIOUS")
        previous = read[1] if read is not None else None
    return DeliveryRecord(
        secret_name, hint["secretArn"], current, pending=hint["pending"], previous=previous
    )


def read_previous(secretsmanager: SecretsManagerClient, secret_name: str) -> RecordedKey | None:
    read = _read_version(secretsmanager, secret_name, "AWSPREVIOUS")
    return read[1] if read is not None else None


def _read_version(
    secretsmanager: SecretsManagerClient, secret_name: str, stage: str
) -> tuple[str, RecordedKey, list[str]] | None:
    try:
        response = secretsmanager.get_secret_value(SecretId=secret_name, VersionStage=stage)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None  # no such secret, no version yet, or no version with that stage
        raise
    version_id = response["VersionId"]
    access_key_id, create_date = _parse_value(response.get("SecretString"))
    if access_key_id is None:
        LOGGER.warning(
            "secret version holds no access key record",
            extra={"secret_name": secret_name, "version_id": version_id, "stage": stage},
        )
    return (
        response["ARN"],
        RecordedKey(version_id, access_key_id, create_date),
        list(response.get("VersionStages", [])),
    )


def _parse_value(secret_string: str | None) -> tuple[str | None, datetime.datetime | None]:
    """The key id and creation date of a secret value; the rest is dropped at once."""
    if not secret_string:
        return None, None
    try:
        value: Any = json.loads(secret_string)
    except json.JSONDecodeError:
        return None, None
    if not isinstance(value, dict) or not isinstance(value.get("AccessKeyId"), str):
        return None, None
    return value["AccessKeyId"], _parse_date(value.get("CreateDate"))


def _parse_date(raw: object) -> datetime.datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def secret_value(access_key: AccessKeyTypeDef) -> str:
    """The secret string for a new key, in the original construct's shape."""
    return json.dumps(
        {
            "UserName": access_key["UserName"],
            "AccessKeyId": access_key["AccessKeyId"],
            "Status": access_key["Status"],
            "SecretAccessKey": access_key["SecretAccessKey"],
            "CreateDate": _iso(access_key.get("CreateDate")),
        }
    )


def _iso(value: datetime.datetime | None) -> str:
    moment = value or datetime.datetime.now(datetime.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.isoformat()


def write_pending(
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    secret_name: str,
    secret_string: str,
) -> tuple[str, str]:
    """Store a new key as AWSCURRENT + PENDING_HANDOFF; create the secret when it is missing.

    Returns the secret's ARN and the new version's id.
    """
    try:
        response = secretsmanager.put_secret_value(
            SecretId=secret_name,
            SecretString=secret_string,
            VersionStages=["AWSCURRENT", PENDING_STAGE],
        )
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        _create_secret(secretsmanager, config, username, secret_name)
        response = secretsmanager.put_secret_value(
            SecretId=secret_name,
            SecretString=secret_string,
            VersionStages=["AWSCURRENT", PENDING_STAGE],
        )
    return response["ARN"], response["VersionId"]


def _create_secret(
    secretsmanager: SecretsManagerClient, config: Config, username: str, secret_name: str
) -> None:
    options: dict[str, Any] = {}
    if config.secret_kms_key_id:
        options["KmsKeyId"] = config.secret_kms_key_id
    if config.secret_tags:
        options["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(config.secret_tags.items())]
    try:
        secretsmanager.create_secret(
            Name=secret_name,
            Description=f"Access key of IAM user {username}, kept by the credentials rotator",
            **options,
        )
    except ClientError as exc:
        if error_code(exc) != "ResourceExistsException":
            raise
    LOGGER.info("created secret", extra={"username": username, "secret_name": secret_name})
