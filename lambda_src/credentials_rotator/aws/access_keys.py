"""A user's access keys in IAM: list, create, delete, retire, and whether one was ever used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from credentials_rotator.aws.failures import describe_error, error_code
from credentials_rotator.model.errors import RetireFailed, UserNotFound
from credentials_rotator.model.key_plan import AccessKey
from credentials_rotator.settings.config import OldKeyAction
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_iam.type_defs import AccessKeyTypeDef

LOGGER = get_logger(__name__)


def list_access_keys(iam: IAMClient, username: str) -> list[AccessKey]:
    try:
        response = iam.list_access_keys(UserName=username)
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            raise UserNotFound(f"IAM user {username} does not exist") from exc
        raise
    return [
        AccessKey(meta["AccessKeyId"], meta["Status"], meta["CreateDate"])
        for meta in response["AccessKeyMetadata"]
        if "AccessKeyId" in meta and "Status" in meta and "CreateDate" in meta
    ]


def create_access_key(
    iam: IAMClient, username: str, *, tolerate_limit: bool
) -> AccessKeyTypeDef | None:
    """A new key; None when the user has two already and ``tolerate_limit`` says to decide."""
    try:
        key = iam.create_access_key(UserName=username)["AccessKey"]
    except ClientError as exc:
        code = error_code(exc)
        if code == "NoSuchEntity":
            raise UserNotFound(f"IAM user {username} does not exist") from exc
        if code == "LimitExceeded" and tolerate_limit:
            LOGGER.info("user has two access keys; deciding", extra={"username": username})
            return None
        raise
    LOGGER.info(
        "created access key", extra={"username": username, "access_key_id": key["AccessKeyId"]}
    )
    return key


def delete_access_key(iam: IAMClient, username: str, access_key_id: str, reason: str) -> bool:
    """Delete ``access_key_id`` of ``username``; False when it was already gone."""
    facts = {"username": username, "access_key_id": access_key_id, "reason": reason}
    try:
        iam.delete_access_key(UserName=username, AccessKeyId=access_key_id)
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        LOGGER.info("access key already gone", extra=facts)
        return False
    LOGGER.info("deleted access key", extra=facts)
    return True


def never_used(iam: IAMClient, username: str, access_key_id: str) -> bool:
    """Whether IAM records no use of the key (AWS updates this with a delay)."""
    used = iam.get_access_key_last_used(AccessKeyId=access_key_id)["AccessKeyLastUsed"]
    return used.get("LastUsedDate") is None


def retire(
    iam: IAMClient, action: OldKeyAction, username: str, old_key_id: str, new_key_id: str
) -> None:
    """Delete or deactivate the previously delivered key; never the key just handed off.

    Raises ``RetireFailed`` for any error but "already gone", AWS's or the connection's.
    """
    refuse_the_new_key(old_key_id, new_key_id)
    try:
        if action == "delete":
            delete_access_key(iam, username, old_key_id, reason="superseded by a delivered key")
            return
        iam.update_access_key(UserName=username, AccessKeyId=old_key_id, Status="Inactive")
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return
        raise _retire_failed(action, old_key_id, new_key_id, describe_error(exc)) from exc
    except BotoCoreError as exc:
        raise _retire_failed(action, old_key_id, new_key_id, describe_error(exc)) from exc
    LOGGER.info("deactivated access key", extra={"username": username, "access_key_id": old_key_id})


def refuse_the_new_key(old_key_id: str, new_key_id: str) -> None:
    """Raise ``RetireFailed`` when the key to retire is the one just handed off."""
    if old_key_id == new_key_id:
        raise RetireFailed(f"refused to retire access key {old_key_id}: it is the new key")


def _retire_failed(action: str, old_key_id: str, new_key_id: str, reason: str) -> RetireFailed:
    return RetireFailed(
        f"handed off access key {new_key_id} but could not {action} access key {old_key_id} "
        f"({reason}); the user keeps both keys until the next run retires it"
    )
