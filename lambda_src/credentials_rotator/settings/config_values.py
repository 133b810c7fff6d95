"""Parsing the functions' environment variables into settings (``config``); each raises
``ConfigError`` naming the variable."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from credentials_rotator.model.errors import ConfigError

OldKeyAction = Literal["delete", "deactivate"]
InUseKeyAction = Literal["defer", "deactivate", "retire"]

# An IAM path: "/" or "/" + printable ASCII + "/", at most 512 characters.
IAM_PATH = re.compile(r"/([!-~]{1,510}/)?", re.ASCII)
ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


def split_user_name(name: str) -> tuple[str | None, str]:
    """The account (None: the hub's) and the IAM user name of a rotator's user name: a member
    user is ``<account_id>/<username>`` (``accounts``); IAM user names hold no '/'."""
    account_id, slash, username = name.rpartition("/")
    return (account_id, username) if slash else (None, name)


@dataclass(frozen=True)
class UserTag:
    """Users carrying the tag ``key`` (any value when ``value`` is None) are selected."""

    key: str
    value: str | None = None


@dataclass(frozen=True)
class MemberAccount:
    """How runs reach one member account (``accounts``) and which of its users they select."""

    role_name: str | None = None
    user_path_prefix: str | None = None
    user_tag: UserTag | None = None
    exclude_users: frozenset[str] = frozenset()

    @property
    def selects_users(self) -> bool:
        return self.user_path_prefix is not None or self.user_tag is not None


def parse_required(name: str, raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ConfigError(f"environment variable {name} is empty")
    return value


def parse_count(name: str, raw: str) -> int:
    value = raw.strip()
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"environment variable {name} must be a positive number, not {raw!r}")
    return int(value)


def parse_seconds(name: str, raw: str) -> int:
    value = raw.strip()
    if not value.isdigit():
        raise ConfigError(f"environment variable {name} must be a number of seconds, not {raw!r}")
    return int(value)


def parse_tags(raw: str) -> dict[str, str]:
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


def parse_old_key_action(raw: str) -> OldKeyAction:
    value = raw.strip()
    if value == "delete":
        return "delete"
    if value == "deactivate":
        return "deactivate"
    raise ConfigError(
        f"environment variable OLD_KEY_ACTION must be 'delete' or 'deactivate', not {raw!r}"
    )


def parse_in_use_key_action(raw: str) -> InUseKeyAction:
    value = raw.strip()
    for action in ("defer", "deactivate", "retire"):
        if value == action:
            return action
    raise ConfigError(
        "environment variable IN_USE_KEY_ACTION must be 'defer', 'deactivate' or 'retire', "
        f"not {raw!r}"
    )


def parse_optional_count(name: str, raw: str, unit: str) -> int | None:
    value = raw.strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(
            f"environment variable {name} must be empty or a positive number of {unit}, not {raw!r}"
        )
    return int(value)


def parse_path_prefix(raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    if not IAM_PATH.fullmatch(value):
        raise ConfigError(
            "environment variable USER_PATH_PREFIX must be empty or an IAM path that starts and "
            f"ends with '/', not {raw!r}"
        )
    return value


def parse_user_tag(raw: str) -> UserTag | None:
    if not raw.strip():
        return None
    try:
        tag = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError("environment variable USER_TAG is not valid JSON") from exc
    return user_tag_of(tag, "environment variable USER_TAG")


def user_tag_of(tag: object, where: str) -> UserTag | None:
    if tag is None:
        return None
    if (
        not isinstance(tag, dict)
        or set(tag) - {"key", "value"}
        or not isinstance(tag.get("key"), str)
        or not tag["key"]
        or not isinstance(tag.get("value"), str | None)
    ):
        raise ConfigError(
            f'{where} must be empty or a JSON object {{"key": "...", "value": "..." or null}}'
        )
    return UserTag(key=tag["key"], value=tag.get("value"))


def parse_exclude_users(raw: str) -> frozenset[str]:
    if not raw.strip():
        return frozenset()
    try:
        names = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError("environment variable EXCLUDE_USERS is not valid JSON") from exc
    return names_of(names, "environment variable EXCLUDE_USERS")


def names_of(names: object, where: str) -> frozenset[str]:
    if not isinstance(names, list) or not all(isinstance(name, str) and name for name in names):
        raise ConfigError(f"{where} must be a JSON list of user names")
    return frozenset(names)


# The keys of one account of ACCOUNTS; lambda.tf leaves out those without a value.
ACCOUNT_KEYS = {"roleName", "userPathPrefix", "userTag", "excludeUsers"}


def parse_accounts(raw: str) -> dict[str, MemberAccount]:
    """ACCOUNTS: {"<account id>": {"roleName", "userPathPrefix", "userTag", "excludeUsers"}}."""
    if not raw.strip():
        return {}
    try:
        accounts = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError("environment variable ACCOUNTS is not valid JSON") from exc
    if not isinstance(accounts, dict):
        raise ConfigError("environment variable ACCOUNTS must be a JSON object by account id")
    return {account_id: _account(account_id, settings) for account_id, settings in accounts.items()}


def _account(account_id: str, settings: object) -> MemberAccount:
    where = f"account {account_id} of environment variable ACCOUNTS"
    if not ACCOUNT_ID.fullmatch(account_id):
        raise ConfigError(
            f"environment variable ACCOUNTS names {account_id!r}, which is no 12-digit account id"
        )
    if not isinstance(settings, dict) or set(settings) - ACCOUNT_KEYS:
        raise ConfigError(f"{where} must be an object of {', '.join(sorted(ACCOUNT_KEYS))}")
    role_name, path = settings.get("roleName"), settings.get("userPathPrefix")
    if role_name is not None and not (
        isinstance(role_name, str) and ROLE_NAME.fullmatch(role_name)
    ):
        raise ConfigError(f"{where} has no valid role name: {role_name!r}")
    if path is not None and not (isinstance(path, str) and IAM_PATH.fullmatch(path)):
        raise ConfigError(f"{where} has no valid IAM path prefix: {path!r}")
    return MemberAccount(
        role_name=role_name,
        user_path_prefix=path,
        user_tag=user_tag_of(settings.get("userTag"), f"userTag of {where}"),
        exclude_users=names_of(settings.get("excludeUsers", []), f"excludeUsers of {where}"),
    )
