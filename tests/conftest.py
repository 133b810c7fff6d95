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
    "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:ci-keys",
    "RUN_DATA_BUCKET": "ci-keys-123456789012-us-east-1-runs",
    "BATCH_SIZE": "20",
    "MAX_CONCURRENCY": "5",
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
    """Make moto move staging labels the way Secrets Manager does; moto differs from AWS twice.

    1. UpdateSecretVersionStage: in AWS, GetSecretValue without a stage returns the AWSCURRENT
       version and PutSecretValue moves AWSPREVIOUS to the version that was AWSCURRENT. moto tracks
       a separate default version that UpdateSecretVersionStage leaves behind, so after AWSCURRENT
       moves back (a roll back) both calls would use the wrong version. The patch moves the
       default with the stage.
    2. PutSecretValue with a custom staging label in VersionStages (``PENDING_HANDOFF``): AWS
       moves that label off the version that had it, so one version at most carries it, and the
       version that loses AWSCURRENT keeps its other labels (it gains AWSPREVIOUS). moto leaves
       the custom label on the other version too, unless that version was AWSCURRENT, whose
       labels it then replaces with AWSPREVIOUS alone (so a pending version overwritten by hand
       would lose PENDING_HANDOFF). The patch gives every older version AWS's labels.

    ``tests/unit/test_moto_patches.py`` proves both.
    """
    import json

    from moto.secretsmanager.models import SecretsManagerBackend

    original_update = SecretsManagerBackend.update_secret_version_stage
    original_put = SecretsManagerBackend.put_secret_value

    def update_secret_version_stage(
        self: SecretsManagerBackend,
        secret_id: str,
        version_stage: str,
        remove_from_version_id: str,
        move_to_version_id: str,
    ) -> tuple[str, str]:
        result = original_update(
            self, secret_id, version_stage, remove_from_version_id, move_to_version_id
        )
        if version_stage == "AWSCURRENT" and move_to_version_id:
            self.secrets[secret_id].default_version_id = move_to_version_id
        return result

    def put_secret_value(
        self: SecretsManagerBackend,
        secret_id: str,
        secret_string: str,
        secret_binary: str,
        client_request_token: str,
        version_stages: list[str],
    ) -> str:
        # moto keeps the list it is given as the new version's labels: read it before the call.
        taken = set(version_stages)
        before = (
            {v: list(s["version_stages"]) for v, s in self.secrets[secret_id].versions.items()}
            if self._is_valid_identifier(secret_id)
            else {}
        )
        result: str = original_put(
            self, secret_id, secret_string, secret_binary, client_request_token, version_stages
        )
        new_version = json.loads(result)["VersionId"]
        if new_version in before:  # a repeated request (same token): AWS changes nothing
            return result
        versions = self.secrets[secret_id].versions
        for version_id, labels in before.items():
            kept = [label for label in labels if label not in taken]
            if "AWSCURRENT" in taken:  # AWSPREVIOUS goes to the version that was AWSCURRENT
                kept = [label for label in kept if label != "AWSPREVIOUS"]
                kept += ["AWSPREVIOUS"] if "AWSCURRENT" in labels else []
            versions[version_id]["version_stages"] = kept
        return result

    monkeypatch.setattr(
        SecretsManagerBackend, "update_secret_version_stage", update_secret_version_stage
    )
    monkeypatch.setattr(SecretsManagerBackend, "put_secret_value", put_secret_value)
