"""Configuration: the settings document of docs/design.md, read once, each setting checked for its
type and a bad one failing fast with its name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
from credentials_rotator.model.errors import ConfigError
from credentials_rotator.settings import config, settings_document
from credentials_rotator.settings.config import DOCUMENT_KEYS, Account, Config
from package_scan import dotted, entry_points

from testkit.engine_environment import MODULE_SETTINGS, TEST_SETTINGS

REPO = Path(__file__).resolve().parents[2]


def read(**changes: Any) -> Config:
    return Config.from_document({**TEST_SETTINGS, **changes})


def test_the_documented_settings_are_the_documents() -> None:
    """GIVEN docs/design.md WHEN its settings tables are read THEN they list the document's keys,
    which are those the module renders (tests/fixtures/settings.json), and an account's keys."""
    design = (REPO / "docs" / "design.md").read_text()
    section = design.split("## Settings", 1)[1].split("\n## ", 1)[0]
    tables = [
        {line.split("|")[1].strip().strip("`") for line in lines if line.startswith("| `")}
        for lines in (block.splitlines() for block in section.split("\n\n"))
    ]
    settings, account = [table for table in tables if table]
    assert settings == DOCUMENT_KEYS == set(MODULE_SETTINGS)
    assert account == settings_document.ACCOUNT_KEYS


def test_given_the_modules_document_when_read_then_every_setting_is_typed() -> None:
    """GIVEN the document Terraform renders with the module's defaults WHEN read THEN each
    setting has its type, the module's own account apart from the members."""
    settings = Config.from_document(MODULE_SETTINGS)
    assert settings == Config(
        users_parameter_name="/ci-keys/users",
        secret_name_prefix="ci-keys/",
        secret_kms_key_id=None,
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:ci-keys",
        run_data_bucket="ci-keys-123456789012-us-east-1-runs",
        batch_size=60,
        max_concurrency=100,
        secret_tags={"team": "platform"},
        verify_new_key_seconds=60,
        grace_wait_seconds=300,
        last_use_delay_seconds=14400,
        previous_keys_judged_later=True,
        rotator_name="ci-keys",
        event_bus_name="default",
        event_source="credentials-rotator.ci-keys",
        hub=Account(),
    )
    assert settings.hub_account_id == "123456789012"
    assert settings.secret_name("homer") == "ci-keys/homer"


def test_given_values_when_read_then_each_keeps_its_type() -> None:
    settings = read(
        secret_kms_key_id="arn:aws:kms:us-east-1:123456789012:key/1234",
        old_key_action="deactivate",
        in_use_key_action="retire",
        max_key_age_days=90,
        verify_new_key_seconds=None,
        event_bus_name=None,
        member_external_id="platform-7f3c",
    )
    assert (settings.old_key_action, settings.in_use_key_action) == ("deactivate", "retire")
    assert (settings.max_key_age_days, settings.verify_new_key_seconds) == (90, None)
    assert (settings.event_bus_name, settings.member_external_id) == (None, "platform-7f3c")
    assert settings.secret_kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/1234"


@pytest.mark.parametrize("missing", sorted(DOCUMENT_KEYS))
def test_given_a_missing_setting_when_read_then_the_error_names_it(missing: str) -> None:
    document = {k: v for k, v in TEST_SETTINGS.items() if k != missing}
    with pytest.raises(ConfigError) as raised:
        Config.from_document(document)
    assert str(raised.value) == f"the settings document has no setting {missing}"


def test_given_an_unknown_setting_when_read_then_the_error_names_it() -> None:
    with pytest.raises(ConfigError) as raised:
        read(batchsize=20)
    assert str(raised.value) == "the settings document has an unknown setting batchsize"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("old_key_action", "shred", "'delete' or 'deactivate'"),
        ("in_use_key_action", "keep", "'defer' or 'deactivate' or 'retire'"),
        ("max_key_age_days", "90", "a whole number, 0 or more"),
        ("verify_new_key_seconds", True, "a whole number, 0 or more"),
        ("verify_new_key_seconds", 1.5, "a whole number, 0 or more"),
        ("batch_size", -5, "a whole number, 0 or more"),
        ("batch_size", None, "a whole number, 0 or more"),
        ("max_concurrency", "five", "a whole number, 0 or more"),
        ("grace_wait_seconds", "300", "a whole number, 0 or more"),
        ("previous_keys_judged_later", "true", "true or false"),
        ("secret_tags", "team=platform", "an object of texts"),
        ("secret_tags", {"cost-center": 42}, "an object of texts"),
        ("users_parameter_name", "", "a text"),
        ("run_data_bucket", "   ", "a text"),
        ("state_machine_arn", None, "a text"),
        ("event_bus_name", 7, "a text"),
    ],
)
def test_given_a_value_of_the_wrong_type_when_read_then_the_error_names_the_setting(
    name: str, value: object, expected: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        read(**{name: value})
    assert str(raised.value) == f"setting {name} must be {expected}, not {value!r}"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "environment variable SETTINGS is not JSON"),
        ("[]", "environment variable SETTINGS is no JSON object"),
    ],
)
def test_given_no_document_when_read_then_the_error_says_so(raw: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_environ({"SETTINGS": raw})
    assert str(raised.value) == message


def test_given_the_process_environment_when_loaded_twice_then_it_is_read_once(
    engine_env: pytest.MonkeyPatch,
) -> None:
    first = config.load()
    engine_env.setenv("SETTINGS", json.dumps({**TEST_SETTINGS, "old_key_action": "deactivate"}))
    assert config.load() is first
    assert first.old_key_action == "delete"


@pytest.mark.parametrize("kind", [Config, Account])
def test_every_type_of_setting_has_a_reader(kind: type) -> None:
    """GIVEN the types Config and Account declare THEN each, optional or not, is one of a few
    texts or has a reader: a setting of a new type fails here, not in a function."""
    for name, declared in typing.get_type_hints(kind).items():
        inner = [arg for arg in typing.get_args(declared) if arg is not type(None)]
        optional = (
            typing.get_origin(declared) in (typing.Union, types.UnionType) and len(inner) == 1
        )
        hint = inner[0] if optional else declared
        known = typing.get_origin(hint) is Literal or hint in settings_document.READERS
        assert known or hint is Account, name


def test_every_entry_point_is_found() -> None:
    """GIVEN the package WHEN its entry points are derived THEN the six ASL Tasks' modules."""
    assert set(entry_points()) == {
        "plan",
        "read_records",
        "rotate",
        "roll_back",
        "record_outcomes",
        "finish",
    }


def _import_fails(module: str, environ: dict[str, str]) -> str:
    """The error output of importing ``module`` in a fresh process with ``environ``; it must
    fail."""
    completed = subprocess.run(
        [sys.executable, "-c", f"import {dotted(module)}"],
        env={**environ, "PYTHONPATH": str(REPO / "lambda_src")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    return completed.stderr


@pytest.mark.parametrize("module", entry_points())
def test_given_no_settings_when_a_handler_is_imported_then_it_fails_naming_them(
    module: str,
) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "SETTINGS"}
    assert "ConfigError: missing environment variable SETTINGS" in _import_fails(module, environ)


def test_given_a_bad_setting_when_a_handler_is_imported_then_it_fails_naming_it() -> None:
    environ = {**os.environ, "SETTINGS": json.dumps({**TEST_SETTINGS, "batch_size": "20"})}
    error = _import_fails("plan", environ)
    assert "ConfigError: setting batch_size must be a whole number" in error
