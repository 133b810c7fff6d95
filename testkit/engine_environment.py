"""The engine's environment as the tests, the benchmark and the harness deploy it in moto: the
settings document Terraform renders with the module's defaults (tests/fixtures/settings.json,
which tests/settings.tftest.hcl holds to settings.tf), with the few settings the tests run
differently.

The fixture's values match tests/fixtures/state_machine_variables.json and testkit/authz/fixture:
name ``ci-keys``, account 123456789012, us-east-1. A test changes a setting with
``Harness.set_settings`` (or ``settings_with``); the module derives some settings from others
(``previous_keys_judged_later``, each account's ``user_listing``), and a test that changes what
they derive from sets them too, as settings.tf would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "settings.json"

# Fake credentials and a fixed region: nothing may reach a real account.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}

SETTINGS_VARIABLE = "SETTINGS"
# The module's settings with its defaults, as settings.tf renders them.
MODULE_SETTINGS: dict[str, Any] = json.loads(FIXTURE.read_text())
# The settings the tests run with.
TEST_SETTINGS: dict[str, Any] = {
    **MODULE_SETTINGS,
    # The harness's runs wait no grace period unless a test asks for one; moto publishes a key's
    # use at once, and a test that models AWS's delay sets its own.
    "grace_wait_seconds": 0,
    "last_use_delay_seconds": 0,
    "previous_keys_judged_later": False,
    # Smaller than the module's 60: the tests reach several batches with few users.
    "batch_size": 20,
    "max_concurrency": 5,
}

# The functions' environment variables.
ENGINE_ENVIRONMENT = {SETTINGS_VARIABLE: json.dumps(TEST_SETTINGS)}


def settings_with(document: str, **changes: Any) -> str:
    """The settings document ``document`` with these settings changed; ``accounts`` is merged
    account by account (an account given replaces that account's entry)."""
    settings = json.loads(document)
    if "accounts" in changes:
        changes["accounts"] = {**settings["accounts"], **changes["accounts"]}
    return json.dumps({**settings, **changes})
