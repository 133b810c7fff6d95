"""moto lists a response class's methods once, not at every request it dispatches.

To find the method of an action, moto lists the functions of the service's response class with
``inspect.getmembers`` at each request (a fortieth of a fault row's CPU), a cost AWS's answers do
not have. Classes do not gain methods while a test runs, so the patch caches the list by class
and no answer changes.
"""

from __future__ import annotations

import functools

import pytest
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = functools.lru_cache(maxsize=None)(moto_utils.method_names_from_class)
    monkeypatch.setattr(moto_responses, "method_names_from_class", listed)
