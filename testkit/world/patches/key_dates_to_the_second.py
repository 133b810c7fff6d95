"""An access key's CreateDate to the second.

AWS answers a key's ``CreateDate`` to the second (as S3 an object's ``LastModified``); moto to
the microsecond. The engine compares such times (``strays``), so the patch drops the
microseconds when moto creates a key.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.iam.models import AccessKey

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    original = AccessKey.__init__

    def init(key: Any, *args: Any, **kwargs: Any) -> None:
        original(key, *args, **kwargs)
        key.create_date = key.create_date.replace(microsecond=0)

    monkeypatch.setattr(AccessKey, "__init__", init)
