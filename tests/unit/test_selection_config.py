"""The selection settings in the environment: USER_PATH_PREFIX, USER_TAG and EXCLUDE_USERS."""

from __future__ import annotations

import os

import pytest
from credentials_rotator.model.errors import ConfigError
from credentials_rotator.settings.config import REQUIRED_VARIABLES, Config, UserTag

ENGINE_ENVIRONMENT = {name: os.environ[name] for name in REQUIRED_VARIABLES}


def read(**values: str) -> Config:
    return Config.from_environ({**ENGINE_ENVIRONMENT, **values})


def test_given_the_defaults_the_module_passes_then_nothing_is_selected_or_excluded() -> None:
    settings = read(USER_PATH_PREFIX="", USER_TAG="", EXCLUDE_USERS="[]")
    assert settings.user_path_prefix is None
    assert settings.user_tag is None
    assert settings.exclude_users == frozenset()
    assert not settings.selects_users


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ('{"key": "rotate", "value": "yes"}', UserTag("rotate", "yes")),
        ('{"key": "rotate", "value": null}', UserTag("rotate")),
        ('{"key": "rotate"}', UserTag("rotate")),
        ('{"key": "team:ci", "value": ""}', UserTag("team:ci", "")),
    ],
)
def test_given_a_user_tag_when_read_then_key_and_optional_value(raw: str, tag: UserTag) -> None:
    settings = read(USER_TAG=raw)
    assert settings.user_tag == tag
    assert settings.selects_users


def test_given_a_path_and_exclusions_when_read_then_they_are_kept() -> None:
    settings = read(USER_PATH_PREFIX="/ci/deploy/", EXCLUDE_USERS='["break-glass", "smith,john"]')
    assert settings.user_path_prefix == "/ci/deploy/"
    assert settings.selects_users
    assert settings.exclude_users == {"break-glass", "smith,john"}
    assert settings.is_excluded("Break-Glass")
    assert not settings.is_excluded("homer")


def test_given_the_root_path_when_read_then_every_user_is_selected() -> None:
    assert read(USER_PATH_PREFIX="/").user_path_prefix == "/"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("USER_PATH_PREFIX", "ci/"),
        ("USER_PATH_PREFIX", "/ci"),
        ("USER_PATH_PREFIX", "/c i/"),
        ("USER_TAG", "rotate=yes"),
        ("USER_TAG", '["rotate"]'),
        ("USER_TAG", '{"key": ""}'),
        ("USER_TAG", '{"key": "rotate", "value": 1}'),
        ("USER_TAG", '{"key": "rotate", "values": "yes"}'),
        ("EXCLUDE_USERS", "break-glass"),
        ("EXCLUDE_USERS", '"break-glass"'),
        ("EXCLUDE_USERS", '["break-glass", 7]'),
    ],
)
def test_given_an_invalid_selection_value_then_the_error_names_the_variable(
    name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=name):
        read(**{name: value})
