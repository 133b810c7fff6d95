"""Entry point ``roll_back``: undo a rotation whose handoff failed.

Makes the delivered version of the secret current again, then deletes the new key, and returns the
user's failed record for the summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from credentials_rotator import clients, config, log, stages
from credentials_rotator.access_keys import delete_access_key
from credentials_rotator.errors import InvalidRunInput
from credentials_rotator.failures import cause_message
from credentials_rotator.shapes import IterationResult

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

log.configure()
config.load()  # a missing variable fails the function at import, naming it
LOGGER = log.get_logger(__name__)


def handler(event: dict[str, Any], context: object) -> IterationResult:
    return roll_back(
        iam=clients.iam_client(),
        secretsmanager=clients.secretsmanager_client(),
        event=event,
    )


def roll_back(
    *, iam: IAMClient, secretsmanager: SecretsManagerClient, event: dict[str, Any]
) -> IterationResult:
    """Undo one user's rotation; the event is rotate's ``ready`` result plus the handoff error."""
    try:
        username = str(event["username"])
        new_key_id = str(event["accessKeyId"])
        secret_id = str(event["secretArn"] or event["secretName"])
        version_id = event["versionId"]
        delivered_version_id = event.get("deliveredVersionId")
    except (KeyError, TypeError) as exc:
        raise InvalidRunInput(f"roll_back received a malformed event: missing {exc}") from exc
    error = event.get("error") or {}
    error_name = str(error.get("Error") or "HandoffFailed")
    reason = cause_message(error.get("Cause")) or error_name

    steps = []
    if delivered_version_id and version_id:
        stages.make_current(secretsmanager, secret_id, str(delivered_version_id), str(version_id))
        stages.drop_pending(secretsmanager, secret_id, str(version_id))
        steps.append(f"secret version {delivered_version_id} is current again")
    delete_access_key(iam, username, new_key_id, reason="the handoff failed")
    steps.insert(0, f"deleted the new access key {new_key_id}")
    LOGGER.warning(
        "rolled back a failed handoff",
        extra={"username": username, "access_key_id": new_key_id, "error": error_name},
    )
    return {
        "username": username,
        "outcome": "failed",
        "error": error_name,
        "message": f"handoff failed: {reason}; rolled back: {', '.join(steps)}",
    }
