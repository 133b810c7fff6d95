"""The Lambda entry point: ``gitlab_ci_handler.handler.handler``."""

from __future__ import annotations

import functools

from credentials_handler.entry import entry_point

from gitlab_ci_handler.deliver import deliver
from gitlab_ci_handler.settings import load_settings
from gitlab_ci_handler.targets import parse_target

handler = entry_point(
    functools.partial(deliver, load_settings()), parse_target, "gitlab_ci_handler"
)
