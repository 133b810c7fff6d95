"""Configuration of every entry point, read once from the environment."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from credentials_rotator.errors import ConfigError

OldKeyAction = Literal["delete", "deactivate"]
InUseKeyAction = Literal["defer", "deactivate", "retire"]

REQUIRED_VARIABLES = (
    "USERS_PARAMETER_NAME",
    "SECRET_NAME_PREFIX",
    "SECRET_KMS_KEY_ID",
    "SECRET_TAGS",
    "OLD_KEY_ACTION",
    "MAX_KEY_AGE_DAYS",
    "USER_PATH_PREFIX",
    "USER_TAG",
    "EXCLUDE_USERS",
    "RUN_DATA_BUCKET",
    "BATCH_SIZE",
    "MAX_CONCURRENCY",
    "STATE_MACHINE_ARN",
    "VERIFY_NEW_KEY_SECONDS",
    "IN_USE_KEY_ACTION",
    "MAX_DEFERRALS",
    "ROTATOR_NAME",
    "EVENT_BUS_NAME",
    "EVENT_SOURCE",
    "METRICS_NAMESPACE",
)

# An IAM path: "/" or "/" + printable ASCII + "/", at most 512 characters.
IAM_PATH = re.compile(r"/([!-~]{1,510}/)?", re.ASCII)


@dataclass(frozen=True)
class UserTag:
    """Users carrying the tag ``key`` (any value when ``value`` is None) are selected."""

    key: str
    value: str | None = None


@dataclass(frozen=True)
class Config:
    """The settings the Terraform module passes to every function."""

    users_parameter_name: str
    secret_name_prefix: str
    secret_kms_key_id: str | None
    # The module's state machine, and its run-data bucket (docs/design.md, "Run data").
    state_machine_arn: str
    run_data_bucket: str
    # Users per batch (one child execution, one outcomes file), and how many retirements finish
    # makes at once.
    batch_size: int
    max_concurrency: int
    secret_tags: Mapping[str, str] = field(default_factory=dict)
    old_key_action: OldKeyAction = "delete"
    max_key_age_days: int | None = None
    user_path_prefix: str | None = None
    user_tag: UserTag | None = None
    exclude_users: frozenset[str] = frozenset()
    # How long a new key may take to prove it works before its handoff; None: not checked.
    verify_new_key_seconds: int | None = None
    # What happens to a previous key still used after its successor's handoff (``in_use``).
    in_use_key_action: InUseKeyAction = "defer"
    max_deferrals: int = 3
    # How the run tells people (``notifications``, ``metrics``): the module's name, the bus of
    # the per-user events (None: no events) and their source, the metrics' namespace.
    rotator_name: str = "credentials-rotator"
    event_bus_name: str | None = None
    event_source: str = "credentials-rotator"
    metrics_namespace: str = "CredentialsRotator"

    @property
    def selects_users(self) -> bool:
        """Whether runs select users from IAM besides the configured ones."""
        return self.user_path_prefix is not None or self.user_tag is not None

    def is_excluded(self, username: str) -> bool:
        """Whether ``username`` is in EXCLUDE_USERS (IAM user names ignore case)."""
        return username.lower() in {name.lower() for name in self.exclude_users}

    def secret_name(self, username: str) -> str:
        """The name of the secret that holds ``username``'s key."""
        return f"{self.secret_name_prefix}{username}"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        """Build the configuration; raise ``ConfigError`` naming the first bad variable."""
        missing = [name for name in REQUIRED_VARIABLES if name not in environ]
        if missing:
            raise ConfigError(f"missing environment variable {missing[0]}")
        return cls(
            users_parameter_name=_parse_required(
                "USERS_PARAMETER_NAME", environ["USERS_PARAMETER_NAME"]
            ),
            secret_name_prefix=environ["SECRET_NAME_PREFIX"],
            secret_kms_key_id=environ["SECRET_KMS_KEY_ID"].strip() or None,
            secret_tags=_parse_tags(environ["SECRET_TAGS"]),
            old_key_action=_parse_old_key_action(environ["OLD_KEY_ACTION"]),
            max_key_age_days=_parse_optional_count(
                "MAX_KEY_AGE_DAYS", environ["MAX_KEY_AGE_DAYS"], "days"
            ),
            user_path_prefix=_parse_path_prefix(environ["USER_PATH_PREFIX"]),
            user_tag=_parse_user_tag(environ["USER_TAG"]),
            exclude_users=_parse_exclude_users(environ["EXCLUDE_USERS"]),
            run_data_bucket=_parse_required("RUN_DATA_BUCKET", environ["RUN_DATA_BUCKET"]),
            batch_size=_parse_count("BATCH_SIZE", environ["BATCH_SIZE"]),
            max_concurrency=_parse_count("MAX_CONCURRENCY", environ["MAX_CONCURRENCY"]),
            state_machine_arn=_parse_required("STATE_MACHINE_ARN", environ["STATE_MACHINE_ARN"]),
            verify_new_key_seconds=_parse_optional_count(
                "VERIFY_NEW_KEY_SECONDS", environ["VERIFY_NEW_KEY_SECONDS"], "seconds"
            ),
            in_use_key_action=_parse_in_use_key_action(environ["IN_USE_KEY_ACTION"]),
            max_deferrals=_parse_count("MAX_DEFERRALS", environ["MAX_DEFERRALS"]),
            rotator_name=_parse_required("ROTATOR_NAME", environ["ROTATOR_NAME"]),
            event_bus_name=environ["EVENT_BUS_NAME"].strip() or None,
            event_source=_parse_required("EVENT_SOURCE", environ["EVENT_SOURCE"]),
            metrics_namespace=_parse_required("METRICS_NAMESPACE", environ["METRICS_NAMESPACE"]),
        )


@functools.cache
def load() -> Config:
    """The configuration of this process, read from ``os.environ`` on first use."""
    return Config.from_environ(os.environ)


def _parse_required(name: str, raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ConfigError(f"environment variable {name} is empty")
    return value


def _parse_count(name: str, raw: str) -> int:
    value = raw.strip()
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"environment variable {name} must be a positive number, not {raw!r}")
    return int(value)


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


def _parse_in_use_key_action(raw: str) -> InUseKeyAction:
    value = raw.strip()
    for action in ("defer", "deactivate", "retire"):
        if value == action:
            return action
    raise ConfigError(
        "environment variable IN_USE_KEY_ACTION must be 'defer', 'deactivate' or 'retire', "
        f"not {raw!r}"
    )


def _parse_optional_count(name: str, raw: str, unit: str) -> int | None:
    value = raw.strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(
            f"environment variable {name} must be empty or a positive number of {unit}, not {raw!r}"
        )
    return int(value)


def _parse_path_prefix(raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    if not IAM_PATH.fullmatch(value):
        raise ConfigError(
            "environment variable USER_PATH_PREFIX must be empty or an IAM path that starts and "
            f"ends with '/', not {raw!r}"
        )
    return value


def _parse_user_tag(raw: str) -> UserTag | None:
    if not raw.strip():
        return None
    try:
        tag = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError("environment variable USER_TAG is not valid JSON") from exc
    if (
        not isinstance(tag, dict)
        or set(tag) - {"key", "value"}
        or not isinstance(tag.get("key"), str)
        or not tag["key"]
        or not isinstance(tag.get("value"), str | None)
    ):
        raise ConfigError(
            'environment variable USER_TAG must be empty or a JSON object {"key": "...", '
            '"value": "..." or null}'
        )
    return UserTag(key=tag["key"], value=tag.get("value"))


def _parse_exclude_users(raw: str) -> frozenset[str]:
    if not raw.strip():
        return frozenset()
    try:
        names = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError("environment variable EXCLUDE_USERS is not valid JSON") from exc
    if not isinstance(names, list) or not all(isinstance(name, str) and name for name in names):
        raise ConfigError("environment variable EXCLUDE_USERS must be a JSON list of user names")
    return frozenset(names)
