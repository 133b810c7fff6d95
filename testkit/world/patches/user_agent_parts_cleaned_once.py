"""botocore cleans each part of a User-Agent header once, not at every request.

botocore builds the header of every request anew and cleans each of its parts character by
character (a fiftieth of a fault row's CPU: moto answers in this process, so the client's costs
count, where on AWS the network hides them). The parts repeat from one request to the next and
their cleaning depends on nothing else, so the patch caches it by the part; no header changes.
"""

from __future__ import annotations

import functools

import pytest
from botocore import useragent

CHECKED_AGAINST = ("botocore", "1.43.11")


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    sanitize = functools.lru_cache(maxsize=4096)(useragent.sanitize_user_agent_string_component)
    monkeypatch.setattr(useragent, "sanitize_user_agent_string_component", sanitize)
