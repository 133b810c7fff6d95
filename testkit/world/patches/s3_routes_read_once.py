"""moto reads its S3 routes once.

moto reloads the module of its S3 routes at every request it routes, in case an environment
variable changed them (none does here); AWS's S3 has no such cost. The patch hands moto the
module as it was loaded, so no route and no answer changes.
"""

from __future__ import annotations

import pytest
from moto.s3 import urls as moto_s3_urls
from moto.s3.models import S3Backend

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(S3Backend, "_url_module", property(lambda backend: moto_s3_urls))
