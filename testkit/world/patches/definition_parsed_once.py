"""A state machine definition is parsed once, not at every execution.

moto parses the definition with its ANTLR grammar whenever an execution starts (about 0.2 s for
this template); AWS's answers take no such time. The parsed program only declares states: each
execution keeps its own state in its own environment. The patch caches the parse by the
definition's text, which changes no answer and makes a run several times faster.
"""

from __future__ import annotations

import functools

import pytest
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    parse = functools.lru_cache(maxsize=16)(AmazonStateLanguageParser.parse)
    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(parse))
