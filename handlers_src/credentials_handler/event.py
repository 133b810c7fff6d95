"""The rotator's handoff event, checked: names and ids only, never a secret."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from credentials_handler.errors import InvalidHandoffEvent


class HandoffEvent(TypedDict):
    """What the rotator's state machine sends (README, "Handler contract")."""

    username: str
    secretName: str
    metadata: str | None
    secretArn: str | None
    accessKeyId: str
    versionId: str
    accountId: NotRequired[str | None]


REQUIRED = ("username", "secretName", "accessKeyId", "versionId")


@dataclass(frozen=True)
class Handoff:
    """One user's new key to hand off.

    ``rotator_name`` is the user's name in the rotator, which the targets map: the IAM user name
    for a user of the rotator's own account, ``<account_id>/<username>`` for a member account's.
    """

    username: str
    account_id: str | None
    rotator_name: str
    secret_id: str
    access_key_id: str
    version_id: str


def parse_event(event: Any, own_account_id: str) -> Handoff:
    """The handoff ``event`` describes; ``own_account_id`` is the account this function (and the
    rotator) runs in."""
    if not isinstance(event, dict):
        raise InvalidHandoffEvent(f"the event must be a JSON object, not {type(event).__name__}")
    missing = [name for name in REQUIRED if not isinstance(event.get(name), str) or not event[name]]
    if missing:
        raise InvalidHandoffEvent(
            f"the event lacks {', '.join(missing)} (or they are not strings): it is not the "
            "credentials rotator's handoff event"
        )
    account_id = event.get("accountId")
    if account_id is not None and not isinstance(account_id, str):
        raise InvalidHandoffEvent("the event's accountId must be a string or null")
    username = event["username"]
    member = account_id is not None and account_id != own_account_id
    return Handoff(
        username=username,
        account_id=account_id,
        rotator_name=f"{account_id}/{username}" if member else username,
        secret_id=event.get("secretArn") or event["secretName"],
        access_key_id=event["accessKeyId"],
        version_id=event["versionId"],
    )
