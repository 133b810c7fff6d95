"""Each JSONPath of the state machine is parsed once, not at every evaluation.

moto parses a state's paths (``InputPath``, ``ResultPath``, a Choice's variables, ...) each time
it evaluates them, and jsonpath-ng builds a new parser for every parse: about a tenth of the CPU
a run takes here, where AWS's evaluation costs the test nothing. A parsed path is only read when
it is applied, so the patch caches the parse by the path's text and no answer changes.
"""

from __future__ import annotations

import functools

import pytest
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (json_path, result_path):
        monkeypatch.setattr(module, "parse", functools.lru_cache(maxsize=1024)(module.parse))
