"""Configuration: every variable of docs/design.md, read once, failing fast with its name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from credentials_rotator import config
from credentials_rotator.config import REQUIRED_VARIABLES, Config
from credentials_rotator.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
# The engine's environment as tests/conftest.py sets it.
ENGINE_ENVIRONMENT = {name: os.environ[name] for name in REQUIRED_VARIABLES}


def test_the_documented_variables_are_the_required_ones() -> None:
    """GIVEN docs/design.md WHEN its environment table is read THEN it lists the same names."""
    design = (REPO / "docs" / "design.md").read_text()
    table = design.split("## Environment", 1)[1].split("\n## ", 1)[0]
    documented = {
        line.split("|")[1].strip().strip("`")
        for line in table.splitlines()
        if line.startswith("| `")
    }
    assert documented == set(REQUIRED_VARIABLES)


def test_given_the_module_environment_when_read_then_every_setting_is_typed() -> None:
    environ = {
        **ENGINE_ENVIRONMENT,
        "SECRET_KMS_KEY_ID": "arn:aws:kms:us-east-1:123456789012:key/1234",
        "OLD_KEY_ACTION": "deactivate",
        "MAX_KEY_AGE_DAYS": "90",
    }
    settings = Config.from_environ(environ)
    assert settings == Config(
        users_parameter_name="/ci-keys/users",
        secret_name_prefix="ci-keys/",
        secret_kms_key_id="arn:aws:kms:us-east-1:123456789012:key/1234",
        secret_tags={"team": "platform"},
        old_key_action="deactivate",
        max_key_age_days=90,
    )
    assert settings.secret_name("homer") == "ci-keys/homer"


def test_given_empty_optional_values_when_read_then_defaults_apply() -> None:
    environ = {**ENGINE_ENVIRONMENT, "SECRET_TAGS": "", "MAX_KEY_AGE_DAYS": " "}
    settings = Config.from_environ(environ)
    assert settings.secret_kms_key_id is None
    assert settings.secret_tags == {}
    assert settings.max_key_age_days is None


@pytest.mark.parametrize("missing", REQUIRED_VARIABLES)
def test_given_a_missing_variable_when_read_then_the_error_names_it(missing: str) -> None:
    environ = {k: v for k, v in ENGINE_ENVIRONMENT.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        Config.from_environ(environ)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OLD_KEY_ACTION", "shred"),
        ("MAX_KEY_AGE_DAYS", "0"),
        ("MAX_KEY_AGE_DAYS", "ninety"),
        ("SECRET_TAGS", "team=platform"),
        ("SECRET_TAGS", '{"cost-center": 42}'),
        ("USERS_PARAMETER_NAME", ""),
    ],
)
def test_given_an_invalid_value_when_read_then_the_error_names_the_variable(
    name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=name):
        Config.from_environ({**ENGINE_ENVIRONMENT, name: value})


def test_given_the_process_environment_when_loaded_twice_then_it_is_read_once(
    engine_env: pytest.MonkeyPatch,
) -> None:
    first = config.load()
    engine_env.setenv("OLD_KEY_ACTION", "deactivate")
    assert config.load() is first
    assert first.old_key_action == "delete"


@pytest.mark.parametrize("module", ["plan", "rotate", "roll_back", "finish"])
def test_given_a_missing_variable_when_a_handler_is_imported_then_it_fails_naming_it(
    module: str,
) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "SECRET_NAME_PREFIX"}
    environ["PYTHONPATH"] = str(REPO / "lambda_src")
    completed = subprocess.run(
        [sys.executable, "-c", f"import credentials_rotator.{module}"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    assert "ConfigError: missing environment variable SECRET_NAME_PREFIX" in completed.stderr
