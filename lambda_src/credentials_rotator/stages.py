"""Moving the version stages of a user's secret: shared by rotate and roll_back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from credentials_rotator.failures import error_code
from credentials_rotator.log import get_logger
from credentials_rotator.shapes import PENDING_STAGE

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)


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


def drop_pending(secretsmanager: SecretsManagerClient, secret_id: str, version_id: str) -> None:
    """Remove the pending-handoff stage from ``version_id``, if it is still there."""
    try:
        secretsmanager.update_secret_version_stage(
            SecretId=secret_id, VersionStage=PENDING_STAGE, RemoveFromVersionId=version_id
        )
    except ClientError as exc:
        if error_code(exc) != "InvalidParameterException":
            raise
