"""Configuration: every variable of docs/design.md, read once, failing fast with its name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from credentials_rotator.model.errors import ConfigError
from credentials_rotator.settings import config
from credentials_rotator.settings.config import REQUIRED_VARIABLES, Config
from package_scan import dotted, entry_points

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
        "BATCH_SIZE": " 50 ",
        "MAX_CONCURRENCY": "8",
        "VERIFY_NEW_KEY_SECONDS": "45",
    }
    settings = Config.from_environ(environ)
    assert settings == Config(
        users_parameter_name="/ci-keys/users",
        secret_name_prefix="ci-keys/",
        secret_kms_key_id="arn:aws:kms:us-east-1:123456789012:key/1234",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:ci-keys",
        run_data_bucket="ci-keys-123456789012-us-east-1-runs",
        batch_size=50,
        max_concurrency=8,
        secret_tags={"team": "platform"},
        old_key_action="deactivate",
        max_key_age_days=90,
        verify_new_key_seconds=45,
        rotator_name="ci-keys",
        event_bus_name="default",
        event_source="credentials-rotator.ci-keys",
    )
    assert settings.secret_name("homer") == "ci-keys/homer"


def test_the_new_variables_are_required() -> None:
    """GIVEN the restructured engine THEN the run data, batching and the state machine are set
    by the module, never defaulted."""
    assert {"RUN_DATA_BUCKET", "BATCH_SIZE", "MAX_CONCURRENCY", "STATE_MACHINE_ARN"} <= set(
        REQUIRED_VARIABLES
    )


def test_given_empty_optional_values_when_read_then_defaults_apply() -> None:
    environ = {
        **ENGINE_ENVIRONMENT,
        "SECRET_TAGS": "",
        "MAX_KEY_AGE_DAYS": " ",
        "VERIFY_NEW_KEY_SECONDS": "",
    }
    settings = Config.from_environ(environ)
    assert settings.verify_new_key_seconds is None
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
        ("VERIFY_NEW_KEY_SECONDS", "0"),
        ("VERIFY_NEW_KEY_SECONDS", "true"),
        ("VERIFY_NEW_KEY_SECONDS", "1.5"),
        ("SECRET_TAGS", "team=platform"),
        ("SECRET_TAGS", '{"cost-center": 42}'),
        ("USERS_PARAMETER_NAME", ""),
        ("RUN_DATA_BUCKET", ""),
        ("RUN_DATA_BUCKET", "   "),
        ("STATE_MACHINE_ARN", ""),
        ("BATCH_SIZE", "0"),
        ("BATCH_SIZE", "-5"),
        ("BATCH_SIZE", "twenty"),
        ("BATCH_SIZE", ""),
        ("BATCH_SIZE", "2.5"),
        ("MAX_CONCURRENCY", "0"),
        ("MAX_CONCURRENCY", "five"),
        ("MAX_CONCURRENCY", ""),
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


def test_given_a_count_that_is_not_positive_when_read_then_the_error_says_what_it_got() -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_environ({**ENGINE_ENVIRONMENT, "BATCH_SIZE": "0"})
    assert str(raised.value) == "environment variable BATCH_SIZE must be a positive number, not '0'"


def test_given_an_empty_bucket_when_read_then_the_error_says_it_is_empty() -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_environ({**ENGINE_ENVIRONMENT, "RUN_DATA_BUCKET": " "})
    assert str(raised.value) == "environment variable RUN_DATA_BUCKET is empty"


def test_given_padded_names_when_read_then_they_are_stripped() -> None:
    settings = Config.from_environ(
        {
            **ENGINE_ENVIRONMENT,
            "RUN_DATA_BUCKET": " ci-keys-runs\n",
            "STATE_MACHINE_ARN": " arn:aws:states:us-east-1:123456789012:stateMachine:x ",
        }
    )
    assert settings.run_data_bucket == "ci-keys-runs"
    assert settings.state_machine_arn == "arn:aws:states:us-east-1:123456789012:stateMachine:x"


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


@pytest.mark.parametrize("missing", ["SECRET_NAME_PREFIX", "RUN_DATA_BUCKET"])
@pytest.mark.parametrize("module", entry_points())
def test_given_a_missing_variable_when_a_handler_is_imported_then_it_fails_naming_it(
    module: str, missing: str
) -> None:
    environ = {k: v for k, v in os.environ.items() if k != missing}
    environ["PYTHONPATH"] = str(REPO / "lambda_src")
    completed = subprocess.run(
        [sys.executable, "-c", f"import {dotted(module)}"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    assert f"ConfigError: missing environment variable {missing}" in completed.stderr
