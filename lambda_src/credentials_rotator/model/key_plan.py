"""The decision table: what to do with a user's keys before a new one is handed off.

Pure functions, no AWS calls. ``docs/design.md`` ("Deciding on a user's keys") holds the table
this module implements; ``decision`` applies it, among the other rules of ``rotate``. Every key
on the user gets a role from the delivery record; a key may be deleted only when the handler
cannot hold it (retired, stray or inactive), and only the delivered (or adopted) key is retired,
after its successor's handoff is confirmed.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from credentials_rotator.model.delivery_record import DeliveryRecord, Version
from credentials_rotator.model.errors import (
    AmbiguousAccessKeys,
    RecordReplaced,
    UnconfirmedKeyInactive,
    UnknownAccessKey,
)

ACTIVE = "Active"


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    status: str
    create_date: datetime.datetime


class KeyRole(enum.Enum):
    DELIVERED = "delivered"
    RETIRED = "retired"
    STRAY = "stray"
    INACTIVE = "inactive"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class KeyDeletion:
    access_key_id: str
    role: KeyRole


@dataclass(frozen=True)
class KeyPlan:
    """What rotate does for a user.

    ``resume``: hand this unconfirmed version off again and create nothing. Otherwise: move
    AWSCURRENT back to ``restore`` (the delivered version) when the current one is not ours or is
    dead, delete ``delete``, record ``adopt`` as the delivered key, then create a key. Either way
    ``previous`` is the key retired once the handoff is confirmed.
    """

    delete: tuple[KeyDeletion, ...] = ()
    previous: AccessKey | None = None
    previous_version: Version | None = None
    resume: Version | None = None
    restore: Version | None = None
    adopt: AccessKey | None = None

    def describe(self) -> str:
        if self.resume is not None:
            steps = [f"hand off access key {self.resume.access_key_id} again"]
        else:
            steps = [f"delete {d.role.value} access key {d.access_key_id}" for d in self.delete]
            if self.adopt is not None:
                steps.append(f"adopt access key {self.adopt.access_key_id} as the delivered key")
            steps.append("create a new access key and hand it off")
        if self.previous is not None:
            steps.append(f"then retire access key {self.previous.access_key_id}")
        else:
            steps.append("retire nothing")
        return "; ".join(steps)


def unexplained(keys: Iterable[AccessKey], record: DeliveryRecord) -> list[AccessKey]:
    """The Active keys no version of the record names: strays or unknown keys. A key the secret
    ever recorded may have been handed off, so it is never a stray."""
    known = {version.access_key_id for version in (record.current, record.previous) if version}
    return [key for key in keys if key.status == ACTIVE and key.access_key_id not in known]


def check_record(record: DeliveryRecord) -> None:
    """Raise ``RecordReplaced`` when the record cannot tell which key the handler holds."""
    if record.replaced_while_pending:
        raise RecordReplaced(
            f"the current value of secret {record.secret_name} was replaced while access key "
            f"{record.previous.access_key_id if record.previous else None} awaited confirmation, "
            "so which key the handler holds is unknown; make the version that holds that key "
            "current again, or delete the key the handler does not use; nothing was changed"
        )


def plan_keys(
    username: str, keys: Collection[AccessKey], record: DeliveryRecord, strays: Collection[str]
) -> KeyPlan:
    """Apply the decision table; raise when the user's keys cannot be decided on safely.

    ``strays`` are keys proven to be the rotator's own, created by a run that died before it
    recorded them (``strays.prove``). A recorded key that no longer exists counts as not recorded.
    """
    check_record(record)
    present = {key.access_key_id: key for key in keys}
    delivered = record.delivered
    delivered_key = present.get(delivered.access_key_id or "") if delivered else None
    unconfirmed = record.unconfirmed
    if unconfirmed is not None and unconfirmed.access_key_id in present:
        key = present[str(unconfirmed.access_key_id)]
        if key.status != ACTIVE:
            raise UnconfirmedKeyInactive(
                f"access key {key.access_key_id} of user {username} was handed off without "
                f"confirmation and is now {key.status}; activate it to have it handed off again, "
                "or delete it to rotate from the delivered key; nothing was changed"
            )
        return KeyPlan(
            previous=delivered_key,
            previous_version=delivered if delivered_key else None,
            resume=unconfirmed,
        )
    return _plan_new_key(username, keys, record, strays, delivered_key)


def _plan_new_key(
    username: str,
    keys: Collection[AccessKey],
    record: DeliveryRecord,
    strays: Collection[str],
    delivered_key: AccessKey | None,
) -> KeyPlan:
    roles = [(key, _role(key, record, strays, delivered_key)) for key in keys]
    unknown = [key for key, role in roles if role is KeyRole.UNKNOWN]
    deletions = tuple(
        KeyDeletion(key.access_key_id, role)
        for key, role in roles
        if role in (KeyRole.RETIRED, KeyRole.STRAY, KeyRole.INACTIVE)
    )
    if delivered_key is not None:
        if unknown:
            raise UnknownAccessKey(
                f"user {username} has active access key {unknown[0].access_key_id} that this "
                "rotator cannot account for; delete or deactivate it, nothing was changed"
            )
        # AWSCURRENT goes back to the delivered version when it holds no key or a dead one, so
        # that the next write leaves the delivered version as AWSPREVIOUS.
        restore = record.delivered if record.current is not record.delivered else None
        return KeyPlan(deletions, delivered_key, record.delivered, restore=restore)
    if len(unknown) > 1:
        ids = " and ".join(key.access_key_id for key in unknown)
        raise AmbiguousAccessKeys(
            f"user {username} has two active access keys ({ids}) and no delivery is recorded; "
            "delete or deactivate one of them, nothing was changed"
        )
    adopt = unknown[0] if unknown else None
    return KeyPlan(deletions, adopt, adopt=adopt)


def _role(
    key: AccessKey,
    record: DeliveryRecord,
    strays: Collection[str],
    delivered_key: AccessKey | None,
) -> KeyRole:
    if delivered_key is not None and key.access_key_id == delivered_key.access_key_id:
        return KeyRole.DELIVERED
    if record.retired and record.retired.access_key_id == key.access_key_id:
        return KeyRole.RETIRED
    if key.access_key_id in strays:
        return KeyRole.STRAY
    if key.status != ACTIVE:
        return KeyRole.INACTIVE
    return KeyRole.UNKNOWN
