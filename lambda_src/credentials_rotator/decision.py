"""The decision table: what to do with a user's existing keys before creating a new one.

Pure functions, no AWS calls. ``docs/design.md`` holds the table this module implements.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from credentials_rotator.errors import AmbiguousAccessKeys, UnknownAccessKey

ACTIVE = "Active"


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    status: str
    create_date: datetime.datetime


class KeyRole(enum.Enum):
    DELIVERED = "delivered"
    ROTATORS = "created by this rotator and not delivered"
    INACTIVE = "inactive"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class KeyDeletion:
    access_key_id: str
    role: KeyRole


@dataclass(frozen=True)
class KeyPlan:
    """Keys to delete before the new key is created, and the key to retire after the handoff."""

    delete: tuple[KeyDeletion, ...]
    retire: AccessKey | None
    adopted: bool

    def describe(self) -> str:
        steps = [f"delete {d.role.value} access key {d.access_key_id}" for d in self.delete]
        steps.append("create a new access key and hand it off")
        if self.retire is not None:
            adopted = " (adopted as the delivered key)" if self.adopted else ""
            steps.append(f"then retire access key {self.retire.access_key_id}{adopted}")
        else:
            steps.append("retire nothing")
        return "; ".join(steps)


def classify(key: AccessKey, delivered_id: str | None, rotator_ids: Collection[str]) -> KeyRole:
    if key.access_key_id == delivered_id:
        return KeyRole.DELIVERED
    if key.access_key_id in rotator_ids:
        return KeyRole.ROTATORS
    if key.status != ACTIVE:
        return KeyRole.INACTIVE
    return KeyRole.UNKNOWN


def decide(
    username: str,
    keys: Iterable[AccessKey],
    delivered_id: str | None,
    rotator_ids: Collection[str],
) -> KeyPlan:
    """Apply the decision table; raise ``UnknownAccessKey`` or ``AmbiguousAccessKeys``.

    ``delivered_id`` is the key the credentials handler holds according to the delivery record;
    ``rotator_ids`` are keys recorded in the secret that were never delivered or are superseded.
    A recorded delivered key that no longer exists counts as no delivery recorded.
    """
    roles = [(key, classify(key, delivered_id, rotator_ids)) for key in keys]
    delivered = next((key for key, role in roles if role is KeyRole.DELIVERED), None)
    unknown = [key for key, role in roles if role is KeyRole.UNKNOWN]
    deletions = tuple(
        KeyDeletion(key.access_key_id, role)
        for key, role in roles
        if role in (KeyRole.ROTATORS, KeyRole.INACTIVE)
    )
    if delivered is not None:
        if unknown:
            raise UnknownAccessKey(
                f"user {username} has active access key {unknown[0].access_key_id} that this "
                f"rotator did not create; delete or deactivate it, nothing was changed"
            )
        return KeyPlan(delete=deletions, retire=delivered, adopted=False)
    if len(unknown) > 1:
        ids = " and ".join(key.access_key_id for key in unknown)
        raise AmbiguousAccessKeys(
            f"user {username} has two active access keys ({ids}) and no delivery is recorded; "
            f"delete or deactivate one of them, nothing was changed"
        )
    if unknown:
        return KeyPlan(delete=deletions, retire=unknown[0], adopted=True)
    return KeyPlan(delete=deletions, retire=None, adopted=False)


def key_age_days(create_date: datetime.datetime, now: datetime.datetime) -> int:
    return max(0, (now - create_date).days)


def rotation_due(
    delivered_create_date: datetime.datetime | None,
    now: datetime.datetime,
    max_key_age_days: int | None,
    force: bool,
) -> bool:
    """The key-age policy: rotate unless the delivered key is younger than the limit."""
    if force or max_key_age_days is None or delivered_create_date is None:
        return True
    return key_age_days(delivered_create_date, now) >= max_key_age_days
