"""The delivery record: which keys the credentials handler holds, or may hold, kept in the stages
of the versions of the user's secret (docs/design.md, "The user's record").

- AWSCURRENT with a key and without PENDING_HANDOFF: its key is the **delivered** key.
- AWSCURRENT with PENDING_HANDOFF: its key is **unconfirmed** (written, maybe handed off, never
  confirmed); the delivered key is the AWSPREVIOUS version's.
- AWSPREVIOUS when AWSCURRENT is delivered: a **retired** key (superseded, or refused and rolled
  back): never needed again.
- AWSCURRENT without a key (a value replaced by hand): the delivered key is the AWSPREVIOUS
  version's, unless that one is pending, in which case the record cannot be trusted.

Secret values are parsed here and reduced to key ids and dates at once. Reading the record from
Secrets Manager is ``record``'s.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from credentials_rotator.model.shapes import DEFERRED_STAGE, PENDING_STAGE, RecordHint


@dataclass(frozen=True)
class Version:
    """One version of the secret, reduced to what the decision needs."""

    version_id: str
    access_key_id: str | None
    create_date: datetime.datetime | None
    pending: bool
    # It carries DEFERRED_STAGE: its predecessor was kept because a consumer still used it.
    deferred: bool = False


@dataclass(frozen=True)
class DeliveryRecord:
    secret_name: str
    secret_arn: str | None
    current: Version | None
    previous: Version | None = None

    @property
    def settled(self) -> bool:
        """Whether the current version's key is delivered: the normal state between runs."""
        return _holds_key(self.current) and not _pending(self.current)

    @property
    def delivered(self) -> Version | None:
        """The version whose key the handler is known to hold."""
        if self.settled:
            return self.current
        if _holds_key(self.previous) and not _pending(self.previous):
            return self.previous
        return None

    @property
    def unconfirmed(self) -> Version | None:
        """The current version, when its key was written but its handoff never confirmed."""
        return self.current if _holds_key(self.current) and _pending(self.current) else None

    @property
    def retired(self) -> Version | None:
        """The previous version when the current one is delivered: never needed again."""
        if self.settled and _holds_key(self.previous):
            return self.previous
        return None

    @property
    def superseded(self) -> Version | None:
        """The retired version when its key was delivered before its successor was confirmed:
        the only retired key a consumer may still use. A retired version still pending holds a
        refused key, which the handler never kept."""
        retired = self.retired
        return retired if retired is not None and not retired.pending else None

    @property
    def retirement_deferred(self) -> bool:
        """Whether the current version says its predecessor was kept for a consumer that still
        used it (``in_use``)."""
        return self.current is not None and self.current.deferred

    @property
    def replaced_while_pending(self) -> bool:
        """The current value was replaced by hand while a key awaited confirmation: which keys
        the handler may hold is unknown."""
        return self.current is not None and not _holds_key(self.current) and _pending(self.previous)


def _holds_key(version: Version | None) -> bool:
    return version is not None and version.access_key_id is not None


def _pending(version: Version | None) -> bool:
    return version is not None and version.pending


def record_from_hint(secret_name: str, hint: RecordHint) -> DeliveryRecord:
    """The record as far as the batch's read knows it: the current version only."""
    if hint["secretArn"] is None or hint["versionId"] is None:
        return DeliveryRecord(secret_name, None, None)
    current = Version(
        hint["versionId"],
        hint["accessKeyId"],
        parse_date(hint["createDate"]),
        hint["pending"],
        hint.get("deferred", False),
    )
    return DeliveryRecord(secret_name, hint["secretArn"], current)


def hint_of(value: dict[str, Any]) -> RecordHint:
    """A batch read's hint from one secret value it returned (ARN, version, stages, string)."""
    access_key_id, create_date = parse_value(value.get("SecretString"))
    stages = value.get("VersionStages", [])
    return {
        "secretArn": value["ARN"],
        "versionId": value["VersionId"],
        "accessKeyId": access_key_id,
        "createDate": create_date.isoformat() if create_date is not None else None,
        "pending": PENDING_STAGE in stages,
        "deferred": DEFERRED_STAGE in stages,
    }


def parse_value(secret_string: str | None) -> tuple[str | None, datetime.datetime | None]:
    """The key id and creation date of a secret value; the rest is dropped at once."""
    if not secret_string:
        return None, None
    try:
        value: Any = json.loads(secret_string)
    except json.JSONDecodeError:
        return None, None
    if not isinstance(value, dict) or not isinstance(value.get("AccessKeyId"), str):
        return None, None
    return value["AccessKeyId"], parse_date(value.get("CreateDate"))


def parse_date(raw: object) -> datetime.datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
