"""Fixtures of the credentials handlers' tests: the clock the tests move, and Secrets Manager in
moto holding the rotator's secrets. The handlers run in-process; their HTTP calls reach the
vendors' stand-ins over the loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from credentials_handler import clock as handler_clock
from credentials_handler.clients import secretsmanager_client
from handler_kit import FakeClock
from moto import mock_aws


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(handler_clock, "now", fake.now)
    monkeypatch.setattr(handler_clock, "monotonic", fake.monotonic)
    monkeypatch.setattr(handler_clock, "sleep", fake.sleep)
    return fake


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Secrets Manager in moto, as the handlers' only AWS service."""
    for name in list(os.environ):
        if name == "AWS_PROFILE" or name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        secretsmanager_client.cache_clear()
        yield
    secretsmanager_client.cache_clear()
