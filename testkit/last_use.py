"""IAM's answer for an access key's last use, at AWS's precision and after AWS's delay.

moto records a key's use on every call signed with it, at once and to the microsecond, on the
world clock (testkit/world_clock.py). AWS documents neither a precision nor a delay for
``LastUsedDate`` (docs/aws-limits.md): its examples show whole minutes, and a use is published a
while after it happened. A test that sets ``Harness.last_use`` gets that AWS: ``to_the_minute``
drops the seconds of the answer, ``published_after`` answers the latest use at least that old
(none when there is none yet; uses are kept from the moment a delay is set). Without them moto
answers as it does.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import moto.iam.models
import pytest
from moto.core.utils import utcnow
from moto.iam.models import AccessKeyLastUsed, IAMBackend


@dataclass
class LastUse:
    """How IAM answers a key's last use in the test world, and every use it saw (moto keeps only
    the last one)."""

    to_the_minute: bool = False
    published_after: datetime.timedelta = datetime.timedelta(0)
    uses: dict[str, list[datetime.datetime]] = field(default_factory=dict)

    def answer(self, access_key_id: str, last: AccessKeyLastUsed) -> AccessKeyLastUsed | None:
        """What AWS would answer where moto recorded ``last``."""
        timestamp = last.timestamp
        if self.published_after:
            published_by = utcnow() - self.published_after
            published = [use for use in self.uses.get(access_key_id, []) if use <= published_by]
            if not published:
                return None
            timestamp = max(published)
        if self.to_the_minute:
            timestamp = timestamp.replace(second=0, microsecond=0)
        return AccessKeyLastUsed(timestamp, last.service, last.region)


def last_use_as_aws(monkeypatch: pytest.MonkeyPatch, model: LastUse) -> None:
    """Patch moto: every use of a key is kept in ``model``, and GetAccessKeyLastUsed answers as
    ``model`` says."""
    visited = moto.iam.models.mark_account_as_visited
    answer = IAMBackend.get_access_key_last_used

    def mark_account_as_visited(
        account_id: str, access_key: str, service: str, region: str
    ) -> None:
        visited(account_id, access_key, service, region)
        if model.published_after:  # kept only while a delay is modelled: moto signs every call
            model.uses.setdefault(access_key, []).append(utcnow())

    def get_access_key_last_used(backend: IAMBackend, access_key_id: str) -> dict[str, Any]:
        found = answer(backend, access_key_id)
        used: AccessKeyLastUsed | None = found["last_used"]
        if used is None or not (model.to_the_minute or model.published_after):
            return found
        return {**found, "last_used": model.answer(access_key_id, used)}

    # moto's responses import it from moto.iam.models on every call signed with a key.
    monkeypatch.setattr(moto.iam.models, "mark_account_as_visited", mark_account_as_visited)
    monkeypatch.setattr(IAMBackend, "get_access_key_last_used", get_access_key_last_used)
