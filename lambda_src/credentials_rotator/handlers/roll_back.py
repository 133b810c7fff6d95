"""Entry point ``roll_back``: undo a rotation whose handoff the handler refused, or whose new key
never proved it works (``NewKeyNotUsable``, before any handoff).

A fresh key the handler refused (it raised, after the retries) is not held: AWSCURRENT goes back
to the delivered version, then the new key is deleted. A key handed off again after an earlier
handoff whose outcome is unknown (``resumed``) may still be held: nothing is changed, and the
next run hands it off again. Returns the user's failed outcome for the summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from credentials_rotator.aws import accounts, clients, versions
from credentials_rotator.aws.access_keys import delete_access_key
from credentials_rotator.aws.failures import cause_message
from credentials_rotator.aws.verification import NEW_KEY_NOT_USABLE
from credentials_rotator.handlers.entry import entry_point
from credentials_rotator.model.errors import cut
from credentials_rotator.model.shapes import IterationResult, RollBackEvent
from credentials_rotator.run.events import parse_roll_back_event
from credentials_rotator.settings import config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)
# How much of the handler's own message the user's outcome keeps.
REASON_LIMIT = 500


@entry_point
def handler(event: Any, context: object) -> IterationResult:
    return roll_back(
        clients.iam_client(),
        clients.secretsmanager_client(),
        parse_roll_back_event(event),
        config.load(),
    )


def roll_back(
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    event: RollBackEvent,
    settings: config.Config,
) -> IterationResult:
    """Undo one user's refused handoff, unless the key may be held; report the user as failed.
    ``iam`` is the function's own client; a member user's key is deleted in its account."""
    username, new_key_id = event["username"], event["accessKeyId"]
    error_name = str(event["error"].get("Error") or "HandoffFailed")
    # The handler's reason is cut first, so that what was done always fits the message.
    reason = cut(cause_message(event["error"].get("Cause")) or error_name, REASON_LIMIT)
    if event["resumed"]:
        done = (
            f"access key {new_key_id} was handed off before without confirmation and may be "
            "held, so nothing was deleted; both keys stay active and the next run hands it off "
            "again"
        )
    else:
        done = _undo(iam, secretsmanager, event, settings)
    LOGGER.warning(
        "rotation rolled back",
        extra={"username": username, "access_key_id": new_key_id, "error": error_name},
    )
    what = "not handed off" if error_name == NEW_KEY_NOT_USABLE else "handoff failed"
    return {
        "username": username,
        "outcome": "failed",
        "error": error_name,
        "message": cut(f"{what}: {reason}; {done}"),
    }


def _undo(
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    event: RollBackEvent,
    settings: config.Config,
) -> str:
    """AWSCURRENT back to the delivered version first, then the key: a crash in between (or a
    member account unreachable by then) leaves the refused key as a retired one, which the next
    run deletes."""
    steps = []
    secret_id = str(event["secretArn"] or event["secretName"])
    previous, version = event["previousVersionId"], event["versionId"]
    if previous and version:
        versions.make_current(secretsmanager, secret_id, previous, version)
        steps.append(f"secret version {previous} is current again")
    new_key_id = str(event["accessKeyId"])
    user_iam = accounts.iam_for(event["username"], iam, settings)
    delete_access_key(user_iam, event["username"], new_key_id, reason="the handoff failed")
    steps.insert(0, f"deleted the new access key {new_key_id}")
    return "rolled back: " + ", ".join(steps)
