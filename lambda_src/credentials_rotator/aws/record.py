"""Reading a user's delivery record (``delivery_record``) from the stages of the versions of its
secret: the AWSCURRENT version, and the AWSPREVIOUS one when the decision needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from credentials_rotator.aws import secret_lifecycle
from credentials_rotator.aws.failures import error_code
from credentials_rotator.model.delivery_record import DeliveryRecord, Version, parse_value
from credentials_rotator.model.shapes import DEFERRED_STAGE, PENDING_STAGE
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)


def read_record(secretsmanager: SecretsManagerClient, secret_name: str) -> DeliveryRecord:
    """The whole record: the AWSCURRENT and AWSPREVIOUS versions (two calls at most)."""
    current = _read_version(secretsmanager, secret_name, "AWSCURRENT")
    if current is None:
        return DeliveryRecord(secret_name, None, None)
    arn, version = current
    previous = _read_version(secretsmanager, secret_name, "AWSPREVIOUS")
    return DeliveryRecord(secret_name, arn, version, previous[1] if previous else None)


def with_previous(secretsmanager: SecretsManagerClient, known: DeliveryRecord) -> DeliveryRecord:
    """``known`` (read for the batch: the current version only) with its AWSPREVIOUS version."""
    previous = _read_version(secretsmanager, known.secret_name, "AWSPREVIOUS")
    return DeliveryRecord(
        known.secret_name, known.secret_arn, known.current, previous[1] if previous else None
    )


def _read_version(
    secretsmanager: SecretsManagerClient, secret_name: str, stage: str, *, restored: bool = False
) -> tuple[str, Version] | None:
    try:
        response = secretsmanager.get_secret_value(SecretId=secret_name, VersionStage=stage)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None  # no such secret, no version yet, or no version with that stage
        if restored or not secret_lifecycle.restore(secretsmanager, secret_name, exc):
            raise
        return _read_version(secretsmanager, secret_name, stage, restored=True)
    access_key_id, create_date = parse_value(response.get("SecretString"))
    if access_key_id is None:
        LOGGER.warning(
            "secret version holds no access key record",
            extra={"secret_name": secret_name, "version_id": response["VersionId"], "stage": stage},
        )
    stages = response.get("VersionStages", [])
    version = Version(
        response["VersionId"],
        access_key_id,
        create_date,
        pending=PENDING_STAGE in stages,
        deferred=DEFERRED_STAGE in stages,
    )
    return response["ARN"], version
