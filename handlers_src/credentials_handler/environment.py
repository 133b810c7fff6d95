"""The function's environment variables, read once at import; a missing one fails at once."""

from __future__ import annotations

import os

from credentials_handler.errors import ConfigError


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is missing or empty")
    return value


def optional(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None
