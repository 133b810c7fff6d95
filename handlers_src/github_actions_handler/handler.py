"""The Lambda entry point: ``github_actions_handler.handler.handler``."""

from __future__ import annotations

import functools

from credentials_handler.entry import entry_point

from github_actions_handler.deliver import deliver
from github_actions_handler.settings import load_settings
from github_actions_handler.targets import parse_target

handler = entry_point(
    functools.partial(deliver, load_settings()), parse_target, "github_actions_handler"
)
