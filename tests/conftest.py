"""Shared test setup: import paths, the engine's environment, an AWS that is never reached."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lambda_src"))
sys.path.insert(0, str(REPO / "tests"))

from testkit.engine_environment import ENGINE_ENVIRONMENT, FAKE_AWS  # noqa: E402

os.environ.update(ENGINE_ENVIRONMENT)  # the handlers read it when they are imported

# How often the garbage collector looks at new objects (its youngest generation, then the older
# two). A test world holds botocore's and moto's service models for its whole life, and every
# AWS call makes thousands of short-lived objects: with Python's defaults (700, 10, 10) the
# collector walks that heap again and again.
COLLECTOR_THRESHOLDS = (100_000, 50, 1_000)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once every test module is imported: what exists now lives as long as the session, so the
    collector leaves it out of its walks (``gc.freeze``) and runs less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


@pytest.fixture
def engine_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The engine's environment, fake AWS credentials and no endpoint override, with fresh
    configuration and clients for each test.

    Change a variable with ``engine_env.setenv(...)`` and then ``config.load.cache_clear()``.
    """
    from credentials_rotator.aws import clients
    from credentials_rotator.settings import config

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


@pytest.fixture(autouse=True)
def moto_assume_role(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto refuses AssumeRole as AWS does: no such role, or an external id its trust requires
    and the caller did not pass (testkit/world/patches/assume_role_as_aws.py)."""
    from testkit.world.patches import assume_role_as_aws

    assume_role_as_aws.patch(monkeypatch)


@pytest.fixture
def moto_secret_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets Manager's versions and stages as AWS keeps them
    (testkit/world/patches/secret_versions_as_aws.py)."""
    from testkit.world.patches import secret_versions_as_aws

    secret_versions_as_aws.patch(monkeypatch)
