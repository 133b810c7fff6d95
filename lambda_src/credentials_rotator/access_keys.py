"""Deleting an access key: shared by rotate, roll_back and finish."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from credentials_rotator.failures import error_code
from credentials_rotator.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

LOGGER = get_logger(__name__)


def delete_access_key(iam: IAMClient, username: str, access_key_id: str, reason: str) -> bool:
    """Delete ``access_key_id`` of ``username``; False when it was already gone."""
    try:
        iam.delete_access_key(UserName=username, AccessKeyId=access_key_id)
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        LOGGER.info(
            "access key already gone",
            extra={"username": username, "access_key_id": access_key_id, "reason": reason},
        )
        return False
    LOGGER.info(
        "deleted access key",
        extra={"username": username, "access_key_id": access_key_id, "reason": reason},
    )
    return True
