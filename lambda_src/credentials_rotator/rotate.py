"""Entry point ``rotate``: decide on one user's keys, create the new key, record it as pending.

Runs once per user inside the state machine's Map, and once per batch before that to read the
batch's delivery records in one call (``read_batch``). Returns names and ids only.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from credentials_rotator import clients, config, delivery, log, stages, throttling
from credentials_rotator.access_keys import delete_access_key
from credentials_rotator.decision import AccessKey, KeyPlan, decide, key_age_days, rotation_due
from credentials_rotator.errors import InvalidRunInput, SecretWriteFailed, UserNotFound
from credentials_rotator.failures import describe_client_error, error_code
from credentials_rotator.shapes import (
    PENDING_STAGE,
    BatchRecords,
    MapItem,
    RecordHint,
    RotateResult,
)

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_iam.type_defs import AccessKeyTypeDef
    from mypy_boto3_secretsmanager import SecretsManagerClient

log.configure()
config.load()  # a missing variable fails the function at import, naming it
LOGGER = log.get_logger(__name__)


def handler(event: dict[str, Any], context: object) -> RotateResult | BatchRecords:
    throttling.set_deadline(context)
    if "entries" in event:
        return read_batch(
            secretsmanager=clients.secretsmanager_client(), config=config.load(), event=event
        )
    return rotate_user(
        iam=clients.iam_client(),
        secretsmanager=clients.secretsmanager_client(),
        config=config.load(),
        item=parse_item(event),
        now=datetime.datetime.now(datetime.UTC),
    )


def read_batch(
    *, secretsmanager: SecretsManagerClient, config: config.Config, event: dict[str, Any]
) -> BatchRecords:
    """Add each user's delivery record (ids and dates only) to a batch's entries."""
    entries = event.get("entries")
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("user"), dict) for entry in entries
    ):
        raise InvalidRunInput("rotate received a malformed batch")
    names = [config.secret_name(str(entry["user"].get("username"))) for entry in entries]
    hints = delivery.read_records(secretsmanager, names)
    return {
        "entries": [
            {"user": entry["user"], "record": hints[name]}
            for entry, name in zip(entries, names, strict=True)
        ]
    }


def parse_item(event: dict[str, Any]) -> MapItem:
    try:
        user = event["user"]
        username = user["username"]
        metadata = user.get("metadata")
        dry_run = event["dry_run"]
        force = event["force"]
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidRunInput(f"rotate received a malformed item: missing {exc}") from exc
    if not isinstance(username, str) or not isinstance(dry_run, bool):
        raise InvalidRunInput("rotate received a malformed item")
    if not isinstance(force, bool) or not (metadata is None or isinstance(metadata, str)):
        raise InvalidRunInput("rotate received a malformed item")
    item: MapItem = {
        "user": {"username": username, "metadata": metadata},
        "dry_run": dry_run,
        "force": force,
    }
    record = event.get("record")
    if record is not None:
        item["record"] = _parse_hint(record)
    return item


def _parse_hint(record: object) -> RecordHint:
    strings = ("secretArn", "versionId", "accessKeyId", "createDate")
    if (
        not isinstance(record, dict)
        or not all(record.get(key) is None or isinstance(record[key], str) for key in strings)
        or not isinstance(record.get("pending"), bool)
    ):
        raise InvalidRunInput("rotate received a malformed delivery record")
    return {
        "secretArn": record.get("secretArn"),
        "versionId": record.get("versionId"),
        "accessKeyId": record.get("accessKeyId"),
        "createDate": record.get("createDate"),
        "pending": record["pending"],
    }


def rotate_user(
    *,
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    config: config.Config,
    item: MapItem,
    now: datetime.datetime,
) -> RotateResult:
    """Rotate one user's key, or report why not (key-age policy) or what would happen (dry run)."""
    username = item["user"]["username"]
    secret_name = config.secret_name(username)
    result: RotateResult = {
        "username": username,
        "metadata": item["user"]["metadata"],
        "outcome": "planned",
        "secretName": secret_name,
        "secretArn": None,
        "versionId": None,
        "accessKeyId": None,
        "retireKeyId": None,
        "deliveredVersionId": None,
        "pendingStage": PENDING_STAGE,
        "detail": "",
    }
    record = _read_record(secretsmanager, secret_name, item.get("record"))
    result["secretArn"] = record.secret_arn
    delivered = record.delivered

    if delivered is not None and not record.pending:
        due = rotation_due(delivered.create_date, now, config.max_key_age_days, item["force"])
        if not due and delivered.create_date is not None:
            age = key_age_days(delivered.create_date, now)
            result["outcome"] = "skipped"
            result["detail"] = (
                f"access key {delivered.access_key_id} is {age} days old; "
                f"rotation is due at {config.max_key_age_days} days"
            )
            LOGGER.info(
                "skipped user",
                extra={"username": username, "access_key_id": delivered.access_key_id},
            )
            return result

    if item["dry_run"]:
        dry_plan = _plan_from_keys(iam, secretsmanager, record, username)
        result["detail"] = "would " + dry_plan.describe()
        LOGGER.info("planned rotation", extra={"username": username, "detail": result["detail"]})
        return result

    new_key: AccessKeyTypeDef | None = None
    plan: KeyPlan | None = None
    normal_path = delivered is not None and not record.pending
    if normal_path and config.old_key_action == "delete":
        # The delivered key is usually the only one: create first, list only when IAM says no.
        new_key = _create_access_key(iam, username, tolerate_limit=True)
    if new_key is None:
        plan = _plan_from_keys(iam, secretsmanager, record, username)
        _prepare(iam, secretsmanager, record, plan, username)
        new_key = _create_access_key(iam, username, tolerate_limit=False)
    assert new_key is not None

    new_key_id = new_key["AccessKeyId"]
    LOGGER.info("created access key", extra={"username": username, "access_key_id": new_key_id})
    try:
        secret_arn, version_id = delivery.write_pending(
            secretsmanager, config, username, secret_name, delivery.secret_value(new_key)
        )
    except (ClientError, BotoCoreError) as exc:
        reason = describe_client_error(exc) if isinstance(exc, ClientError) else str(exc)
        delete_access_key(iam, username, new_key_id, reason="the secret write failed")
        raise SecretWriteFailed(
            f"could not store the new access key of user {username} in secret {secret_name} "
            f"({reason}); the new key was deleted again"
        ) from exc
    del new_key

    if plan is None:  # normal path: the delivered key is the one to retire
        retire_key_id = delivered.access_key_id if delivered is not None else None
    else:
        retire_key_id = plan.retire.access_key_id if plan.retire is not None else None
    # Roll back makes the delivered version current again, if the key to retire is recorded.
    restore_to = (
        delivered if delivered is not None and delivered.access_key_id == retire_key_id else None
    )
    result["outcome"] = "ready"
    result["secretArn"] = secret_arn
    result["versionId"] = version_id
    result["accessKeyId"] = new_key_id
    result["retireKeyId"] = retire_key_id
    result["deliveredVersionId"] = restore_to.version_id if restore_to is not None else None
    result["detail"] = f"created access key {new_key_id}; " + (
        f"retires access key {retire_key_id} after the handoff"
        if retire_key_id
        else "nothing to retire"
    )
    LOGGER.info(
        "stored access key as pending handoff",
        extra={"username": username, "access_key_id": new_key_id, "version_id": version_id},
    )
    return result


def _read_record(
    secretsmanager: SecretsManagerClient, secret_name: str, hint: RecordHint | None
) -> delivery.DeliveryRecord:
    """The delivery record: from the batch's read when there is one, else read now."""
    if hint is None:
        return delivery.read_record(secretsmanager, secret_name)
    return delivery.record_from_hint(secretsmanager, secret_name, hint)


def _plan_from_keys(
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    record: delivery.DeliveryRecord,
    username: str,
) -> KeyPlan:
    keys = _list_access_keys(iam, username)
    delivered_id = record.delivered.access_key_id if record.delivered else None
    rotator_ids: set[str] = set()
    if record.pending_key_id is not None:
        rotator_ids.add(record.pending_key_id)
    unexplained = [
        key
        for key in keys
        if key.status == "Active"
        and key.access_key_id != delivered_id
        and key.access_key_id not in rotator_ids
    ]
    if unexplained and record.current is not None and not record.pending:
        previous = delivery.read_previous(secretsmanager, record.secret_name)
        if previous is not None and previous.access_key_id is not None:
            rotator_ids.add(previous.access_key_id)
    return decide(username, keys, delivered_id, rotator_ids)


def _prepare(
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    record: delivery.DeliveryRecord,
    plan: KeyPlan,
    username: str,
) -> None:
    """Put the record back on the delivered version after a stopped run, then make room."""
    if record.pending and record.current is not None and record.delivered is not None:
        stale = record.current.version_id
        stages.drop_pending(secretsmanager, record.secret_name, stale)
        stages.make_current(secretsmanager, record.secret_name, record.delivered.version_id, stale)
    for deletion in plan.delete:
        delete_access_key(iam, username, deletion.access_key_id, reason=deletion.role.value)


def _list_access_keys(iam: IAMClient, username: str) -> list[AccessKey]:
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


def _create_access_key(
    iam: IAMClient, username: str, *, tolerate_limit: bool
) -> AccessKeyTypeDef | None:
    try:
        return iam.create_access_key(UserName=username)["AccessKey"]
    except ClientError as exc:
        code = error_code(exc)
        if code == "NoSuchEntity":
            raise UserNotFound(f"IAM user {username} does not exist") from exc
        if code == "LimitExceeded" and tolerate_limit:
            LOGGER.info("user has two access keys; deciding", extra={"username": username})
            return None
        raise
