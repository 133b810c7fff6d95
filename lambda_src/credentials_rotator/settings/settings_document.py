"""Reading the settings document (settings.tf) into typed values, by the type ``Config`` declares
for each setting: Terraform validated every value, so only its JSON type is checked here, and a
setting that is missing, unknown or of the wrong type raises ``ConfigError`` naming it."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal

from credentials_rotator.model.errors import ConfigError
from credentials_rotator.settings.config_values import ACCOUNT_ID, Account, UserTag

# The keys of one account in ``accounts``; the module leaves out those without a value.
ACCOUNT_KEYS = frozenset(typing.get_type_hints(Account))


def settings(document: Mapping[str, Any], hints: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting of ``hints`` (name -> type), read from ``document``; no other key."""
    unknown = sorted(set(document) - set(hints))
    if unknown:
        raise ConfigError(f"the settings document has an unknown setting {unknown[0]}")
    missing = sorted(set(hints) - set(document))
    if missing:
        raise ConfigError(f"the settings document has no setting {missing[0]}")
    return {name: value(name, document[name], hint) for name, hint in hints.items()}


def value(name: str, raw: object, hint: Any) -> Any:
    """``raw`` as the setting ``name`` of type ``hint``, or ``ConfigError``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        return None if raw is None else value(name, raw, inner)
    if origin is Literal:
        if raw in args:
            return raw
        return _refuse(name, " or ".join(repr(arg) for arg in args), raw)
    return READERS[hint](name, raw)


def _flag(name: str, raw: object) -> bool:
    return raw if isinstance(raw, bool) else _refuse(name, "true or false", raw)


def _whole(name: str, raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return raw
    return _refuse(name, "a whole number, 0 or more", raw)


def _text(name: str, raw: object) -> str:
    return raw if isinstance(raw, str) and raw.strip() else _refuse(name, "a text", raw)


def _accounts(name: str, raw: object) -> dict[str, Account]:
    if not isinstance(raw, dict):
        return _refuse(name, "an object by account id", raw)
    return {
        account_id: _account(f"{name}.{account_id}", account_id, entry)
        for account_id, entry in raw.items()
    }


def _account(name: str, account_id: str, raw: object) -> Account:
    if not ACCOUNT_ID.fullmatch(account_id):
        raise ConfigError(f"setting {name} is named by no 12-digit account id")
    if not isinstance(raw, dict):
        return _refuse(name, f"a JSON object of {', '.join(sorted(ACCOUNT_KEYS))}", raw)
    unknown = sorted(set(raw) - ACCOUNT_KEYS)
    if unknown:
        raise ConfigError(f"setting {name} has an unknown key {unknown[0]}")
    hints = typing.get_type_hints(Account)
    return Account(**{key: value(f"{name}.{key}", item, hints[key]) for key, item in raw.items()})


def _user_tag(name: str, raw: object) -> UserTag:
    if (
        isinstance(raw, dict)
        and not set(raw) - {"key", "value"}
        and isinstance(raw.get("key"), str)
        and raw["key"]
        and isinstance(raw.get("value"), str | None)
    ):
        return UserTag(key=raw["key"], value=raw.get("value"))
    return _refuse(name, '{"key": "...", "value": "..." or null}', raw)


def _names(name: str, raw: object) -> frozenset[str]:
    if isinstance(raw, list) and all(isinstance(item, str) and item for item in raw):
        return frozenset(raw)
    return _refuse(name, "a list of user names", raw)


def _text_map(name: str, raw: object) -> dict[str, str]:
    if isinstance(raw, dict) and all(isinstance(item, str) for item in raw.values()):
        return raw
    return _refuse(name, "an object of texts", raw)


# The reader of each type a setting may have (an optional one, or one of a few texts, aside).
READERS: dict[Any, Callable[[str, object], Any]] = {
    bool: _flag,
    int: _whole,
    str: _text,
    UserTag: _user_tag,
    frozenset[str]: _names,
    Mapping[str, str]: _text_map,
    Mapping[str, Account]: _accounts,
}


def _refuse(name: str, expected: str, raw: object) -> typing.NoReturn:
    raise ConfigError(f"setting {name} must be {expected}, not {_shown(raw)}")


def _shown(raw: object) -> str:
    shown = repr(raw)
    return shown if len(shown) <= 80 else shown[:77] + "..."
