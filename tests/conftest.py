"""Shared test setup: import paths, the engine's environment, an AWS that is never reached."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lambda_src"))
sys.path.insert(0, str(REPO / "tests"))

# Fake credentials and a fixed region for tests of the engine (see ``engine_env``).
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}

# The engine's environment (docs/design.md); tests that need other values patch them.
ENGINE_ENVIRONMENT = {
    "USERS_PARAMETER_NAME": "/ci-keys/users",
    "SECRET_NAME_PREFIX": "ci-keys/",
    "SECRET_KMS_KEY_ID": "",
    "SECRET_TAGS": '{"team": "platform"}',
    "OLD_KEY_ACTION": "delete",
    "MAX_KEY_AGE_DAYS": "",
    "USER_PATH_PREFIX": "",
    "USER_TAG": "",
    "EXCLUDE_USERS": "[]",
}
os.environ.update(ENGINE_ENVIRONMENT)  # the handlers read it when they are imported


@pytest.fixture
def engine_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The engine's environment, fake AWS credentials and no endpoint override, with fresh
    configuration and clients for each test.

    Change a variable with ``engine_env.setenv(...)`` and then ``config.load.cache_clear()``.
    """
    from credentials_rotator import clients, config

    for name, value in {**ENGINE_ENVIRONMENT, **FAKE_AWS}.items():
        monkeypatch.setenv(name, value)
    for name in list(os.environ):
        if name == "AWS_PROFILE" or name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    config.load.cache_clear()
    clients.clear_cache()
    yield monkeypatch
    config.load.cache_clear()
    clients.clear_cache()


@pytest.fixture
def moto_secret_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's UpdateSecretVersionStage move the default version along with AWSCURRENT.

    In AWS, GetSecretValue without a stage returns the AWSCURRENT version and PutSecretValue moves
    AWSPREVIOUS to the version that was AWSCURRENT. moto tracks a separate default version that
    UpdateSecretVersionStage leaves behind, so after AWSCURRENT moves back (a roll back) both calls
    would use the wrong version. Moving the default with the stage restores AWS's behaviour.
    """
    from moto.secretsmanager.models import SecretsManagerBackend

    original = SecretsManagerBackend.update_secret_version_stage

    def update_secret_version_stage(
        self: SecretsManagerBackend,
        secret_id: str,
        version_stage: str,
        remove_from_version_id: str,
        move_to_version_id: str,
    ) -> tuple[str, str]:
        result = original(
            self, secret_id, version_stage, remove_from_version_id, move_to_version_id
        )
        if version_stage == "AWSCURRENT" and move_to_version_id:
            self.secrets[secret_id].default_version_id = move_to_version_id
        return result

    monkeypatch.setattr(
        SecretsManagerBackend, "update_secret_version_stage", update_secret_version_stage
    )
