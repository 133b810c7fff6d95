"""Configuration of every entry point, read once from the environment."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from credentials_rotator.errors import ConfigError

OldKeyAction = Literal["delete", "deactivate"]

REQUIRED_VARIABLES = (
    "USERS_PARAMETER_NAME",
    "SECRET_NAME_PREFIX",
    "SECRET_KMS_KEY_ID",
    "SECRET_TAGS",
    "OLD_KEY_ACTION",
    "MAX_KEY_AGE_DAYS",
)


@dataclass(frozen=True)
class Config:
    """The settings the Terraform module passes to every function."""

    users_parameter_name: str
    secret_name_prefix: str
    secret_kms_key_id: str | None
    secret_tags: Mapping[str, str] = field(default_factory=dict)
    old_key_action: OldKeyAction = "delete"
    max_key_age_days: int | None = None

    def secret_name(self, username: str) -> str:
        """The name of the secret that holds ``username``'s key."""
        return f"{self.secret_name_prefix}{username}"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        """Build the configuration; raise ``ConfigError`` naming the first bad variable."""
        missing = [name for name in REQUIRED_VARIABLES if name not in environ]
        if missing:
            raise ConfigError(f"missing environment variable {missing[0]}")
        users_parameter_name = environ["USERS_PARAMETER_NAME"].strip()
        if not users_parameter_name:
            raise ConfigError("environment variable USERS_PARAMETER_NAME is empty")
        return cls(
            users_parameter_name=users_parameter_name,
            secret_name_prefix=environ["SECRET_NAME_PREFIX"],
            secret_kms_key_id=environ["SECRET_KMS_KEY_ID"].strip() or None,
            secret_tags=_parse_tags(environ["SECRET_TAGS"]),
            old_key_action=_parse_old_key_action(environ["OLD_KEY_ACTION"]),
            max_key_age_days=_parse_max_key_age(environ["MAX_KEY_AGE_DAYS"]),
        )


@functools.cache
def load() -> Config:
    """The configuration of this process, read from ``os.environ`` on first use."""
    return Config.from_environ(os.environ)


def _parse_tags(raw: str) -> dict[str, str]:
    if not raw.strip():
        return {}
    try:
        tags = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError("environment variable SECRET_TAGS is not valid JSON") from exc
    if not isinstance(tags, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in tags.items()
    ):
        raise ConfigError("environment variable SECRET_TAGS must be a JSON object of strings")
    return tags


def _parse_old_key_action(raw: str) -> OldKeyAction:
    value = raw.strip()
    if value == "delete":
        return "delete"
    if value == "deactivate":
        return "deactivate"
    raise ConfigError(
        f"environment variable OLD_KEY_ACTION must be 'delete' or 'deactivate', not {raw!r}"
    )


def _parse_max_key_age(raw: str) -> int | None:
    value = raw.strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(
            f"environment variable MAX_KEY_AGE_DAYS must be empty or a positive number of days, "
            f"not {raw!r}"
        )
    return int(value)
