"""The selection settings of an account in the settings document: user_path_prefix, user_tag,
exclude_users and user_listing, the module's own account's read as every member's."""

from __future__ import annotations

from typing import Any

import pytest
from credentials_rotator.model.errors import ConfigError
from credentials_rotator.settings.config import Account, Config, UserTag

from testkit.engine_environment import TEST_SETTINGS

HUB = "123456789012"


def read(**hub: Any) -> Config:
    return Config.from_document({**TEST_SETTINGS, "accounts": {HUB: hub}})


def test_given_the_defaults_the_module_passes_then_nothing_is_selected_or_excluded() -> None:
    settings = read()
    assert settings.hub == Account()
    assert settings.user_path_prefix is None
    assert settings.user_tag is None
    assert settings.exclude_users == frozenset()
    assert not settings.selects_users
    assert settings.accounts == {}


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ({"key": "rotate", "value": "yes"}, UserTag("rotate", "yes")),
        ({"key": "rotate", "value": None}, UserTag("rotate")),
        ({"key": "rotate"}, UserTag("rotate")),
        ({"key": "team:ci", "value": ""}, UserTag("team:ci", "")),
    ],
)
def test_given_a_user_tag_when_read_then_key_and_optional_value(
    raw: dict[str, Any], tag: UserTag
) -> None:
    settings = read(user_tag=raw, user_listing="GetAccountAuthorizationDetails")
    assert settings.user_tag == tag
    assert settings.selects_users


def test_given_a_path_and_exclusions_when_read_then_they_are_kept() -> None:
    settings = read(
        user_path_prefix="/ci/deploy/",
        exclude_users=["break-glass", "smith,john"],
        user_listing="ListUsers",
    )
    assert settings.user_path_prefix == "/ci/deploy/"
    assert settings.selects_users
    assert settings.exclude_users == {"break-glass", "smith,john"}
    assert settings.is_excluded("Break-Glass")
    assert not settings.is_excluded("homer")


def test_given_no_listing_then_the_account_selects_no_one_whatever_else_it_says() -> None:
    """The module says whether and how an account's users are listed (settings.tf): a path
    without a listing selects no one."""
    assert not read(user_path_prefix="/ci/").selects_users


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("user_path_prefix", 7, "a text"),
        ("user_path_prefix", "", "a text"),
        ("user_tag", "rotate=yes", '{"key": "...", "value": "..." or null}'),
        ("user_tag", ["rotate"], '{"key": "...", "value": "..." or null}'),
        ("user_tag", {"key": ""}, '{"key": "...", "value": "..." or null}'),
        ("user_tag", {"key": "rotate", "value": 1}, '{"key": "...", "value": "..." or null}'),
        ("user_tag", {"key": "rotate", "values": "yes"}, '{"key": "...", "value": "..." or null}'),
        ("exclude_users", "break-glass", "a list of user names"),
        ("exclude_users", ["break-glass", 7], "a list of user names"),
        ("exclude_users", [""], "a list of user names"),
        ("user_listing", "ListUserTags", "'ListUsers' or 'GetAccountAuthorizationDetails'"),
    ],
)
def test_given_an_invalid_selection_value_then_the_error_names_the_setting(
    name: str, value: object, expected: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        read(**{name: value})
    assert str(raised.value) == f"setting accounts.{HUB}.{name} must be {expected}, not {value!r}"
