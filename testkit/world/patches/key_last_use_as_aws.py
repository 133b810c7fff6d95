"""IAM's GetAccessKeyLastUsed answers at AWS's precision and after AWS's delay, where a test
asks for it.

moto records a key's use on every call signed with it, at once and to the microsecond, and keeps
only the last one. AWS's ``LastUsedDate`` comes in whole minutes in its examples and is published
a while after the use (docs/aws-limits.md). The patch keeps every use of a key in ``model``
(testkit/last_use.py) while a delay is modelled, and answers GetAccessKeyLastUsed as ``model``
says; without a precision or a delay set, moto's answer stands.
"""

from __future__ import annotations

from typing import Any

import moto.iam.models
import pytest
from moto.core.utils import utcnow
from moto.iam.models import AccessKeyLastUsed, IAMBackend

from testkit.last_use import LastUse

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(monkeypatch: pytest.MonkeyPatch, model: LastUse) -> None:
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
