"""Entry point ``finish``: retire the previously delivered keys and summarise the run.

Runs once per run, after the grace wait. Raises ``RotationFailed`` (its message is the summary as
JSON) when any user failed, so the execution ends FAILED after every other user finished.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from credentials_rotator import clients, config, log
from credentials_rotator.access_keys import delete_access_key
from credentials_rotator.errors import InvalidRunInput, RetireFailed, RotationFailed
from credentials_rotator.failures import cause_message, describe_client_error, error_code
from credentials_rotator.shapes import NotedEntry, Summary

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

log.configure()
config.load()  # a missing variable fails the function at import, naming it
LOGGER = log.get_logger(__name__)


def handler(event: dict[str, Any], context: object) -> Summary:
    return finish_run(iam=clients.iam_client(), config=config.load(), event=event)


def finish_run(*, iam: IAMClient, config: config.Config, event: dict[str, Any]) -> Summary:
    """Retire the old key of every handed-off user; raise ``RotationFailed`` if any user failed."""
    results = event.get("results")
    dry_run = event.get("dry_run")
    if not isinstance(results, list) or not isinstance(dry_run, bool):
        raise InvalidRunInput("finish expects {'dry_run': bool, 'results': [...]}")
    summary: Summary = {
        "rotated": [],
        "skipped": [],
        "planned": [],
        "failed": [],
        "dry_run": dry_run,
    }
    for result in results:
        username = str(result.get("username", "")) if isinstance(result, dict) else ""
        outcome = result.get("outcome") if isinstance(result, dict) else None
        if outcome == "handed_off":
            new_key_id = str(result.get("accessKeyId"))
            old_key_id = result.get("retireKeyId")
            try:
                retire(iam, config, username, old_key_id, new_key_id)
            except RetireFailed as exc:
                summary["failed"].append(
                    {"username": username, "error": type(exc).__name__, "message": str(exc)}
                )
                continue
            summary["rotated"].append(
                {"username": username, "accessKeyId": new_key_id, "retiredKeyId": old_key_id}
            )
        elif outcome in ("skipped", "planned"):
            entry: NotedEntry = {"username": username, "detail": str(result.get("detail", ""))}
            summary["skipped" if outcome == "skipped" else "planned"].append(entry)
        elif outcome == "failed":
            summary["failed"].append(
                {
                    "username": username,
                    "error": str(result.get("error") or "Unknown"),
                    "message": cause_message(result.get("message")),
                }
            )
        else:
            summary["failed"].append(
                {
                    "username": username,
                    "error": "Unknown",
                    "message": f"unexpected result {outcome}",
                }
            )
    LOGGER.info(
        "run finished",
        extra={
            "rotated": len(summary["rotated"]),
            "skipped": len(summary["skipped"]),
            "planned": len(summary["planned"]),
            "failed": len(summary["failed"]),
            "dry_run": dry_run,
        },
    )
    if summary["failed"]:
        raise RotationFailed(json.dumps(summary))
    return summary


def retire(
    iam: IAMClient,
    config: config.Config,
    username: str,
    old_key_id: str | None,
    new_key_id: str,
) -> None:
    """Delete or deactivate the previously delivered key; never the key just handed off."""
    if not old_key_id:
        return
    if old_key_id == new_key_id:
        raise RetireFailed(f"refused to retire access key {old_key_id}: it is the new key")
    try:
        if config.old_key_action == "delete":
            delete_access_key(iam, username, old_key_id, reason="superseded by a delivered key")
            return
        iam.update_access_key(UserName=username, AccessKeyId=old_key_id, Status="Inactive")
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return
        raise RetireFailed(
            f"handed off access key {new_key_id} but could not {config.old_key_action} access key "
            f"{old_key_id} ({describe_client_error(exc)}); the user keeps both keys until the "
            f"next run"
        ) from exc
    LOGGER.info("deactivated access key", extra={"username": username, "access_key_id": old_key_id})
