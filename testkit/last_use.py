"""IAM's record of an access key's last use, as AWS publishes it.

moto records every call signed with a key at once and to the microsecond (``LastUsedDate``). AWS
documents no precision for it, and its examples show whole minutes (docs/aws-limits.md).
``LastUse`` records each use on the world clock (testkit/world_clock.py); a test that sets
``Harness.last_use.to_the_minute`` gets IAM's answers to the minute, as AWS gives them. Without
it moto answers as it does.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from moto.iam import models as iam_models
from moto.iam.models import AccessKeyLastUsed, IAMBackend


@dataclass
class LastUse:
    """IAM's record of each key's last use; published to the minute when ``to_the_minute``."""

    to_the_minute: bool = False
    # access key id -> the last use's time (the world clock's), service and region
    last: dict[str, tuple[datetime.datetime, str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, access_key_id: str, service: str, region: str) -> None:
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        with self.lock:
            self.last[access_key_id] = (now, service, region)

    def published(self, access_key_id: str) -> AccessKeyLastUsed | None:
        """What IAM answers to the minute: the last use, its seconds dropped."""
        with self.lock:
            found = self.last.get(access_key_id)
        if found is None:
            return None
        when, service, region = found
        return AccessKeyLastUsed(when.replace(second=0, microsecond=0), service, region)


def last_use_as_aws(monkeypatch: pytest.MonkeyPatch, last_use: Callable[[], LastUse]) -> None:
    """Patch moto: every use of a key is recorded in ``last_use()``, and GetAccessKeyLastUsed
    answers what it publishes when it answers to the minute."""
    mark = iam_models.mark_account_as_visited
    answer = IAMBackend.get_access_key_last_used

    def mark_account_as_visited(
        account_id: str, access_key: str, service: str, region: str
    ) -> None:
        mark(account_id, access_key, service, region)
        last_use().record(access_key, service, region)

    def get_access_key_last_used(backend: IAMBackend, access_key_id: str) -> dict[str, Any]:
        found = answer(backend, access_key_id)
        if not last_use().to_the_minute:
            return found
        return {**found, "last_used": last_use().published(access_key_id)}

    monkeypatch.setattr(iam_models, "mark_account_as_visited", mark_account_as_visited)
    monkeypatch.setattr(IAMBackend, "get_access_key_last_used", get_access_key_last_used)
