"""IAM's answer for an access key's last use, to the minute as AWS gives it.

moto answers ``LastUsedDate`` to the microsecond, as it recorded the use on the world clock
(testkit/world_clock.py). AWS documents no precision for it, and its examples show whole minutes
(docs/aws-limits.md). A test that sets ``Harness.last_use_to_the_minute`` gets moto's answers
with their seconds dropped; without it moto answers as it does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from moto.iam.models import AccessKeyLastUsed, IAMBackend


def last_use_to_the_minute(monkeypatch: pytest.MonkeyPatch, asked: Callable[[], bool]) -> None:
    """Patch moto: while ``asked()``, GetAccessKeyLastUsed answers its date to the minute."""
    answer = IAMBackend.get_access_key_last_used

    def get_access_key_last_used(backend: IAMBackend, access_key_id: str) -> dict[str, Any]:
        found = answer(backend, access_key_id)
        used: AccessKeyLastUsed | None = found["last_used"]
        if used is None or not asked():
            return found
        minute = used.timestamp.replace(second=0, microsecond=0)
        return {**found, "last_used": AccessKeyLastUsed(minute, used.service, used.region)}

    monkeypatch.setattr(IAMBackend, "get_access_key_last_used", get_access_key_last_used)
