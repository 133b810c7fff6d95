"""Fixtures of the unit tests: moto for AWS and the engine's settings."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from credentials_rotator.settings.config import Config
from moto import mock_aws

from testkit.key_propagation import Propagation
from testkit.world.patches import caller_identity_as_aws
from testkit.world_clock import WorldClock, engine_waits, travelling


@pytest.fixture
def propagation() -> Propagation:
    """How long IAM refuses new keys in this test; by default not at all."""
    return Propagation()


@pytest.fixture
def world_clock() -> Iterator[WorldClock]:
    """The clock moto and the engine read in this test (testkit/world_clock.py)."""
    with travelling() as world:
        yield world


@pytest.fixture
def aws(
    engine_env: pytest.MonkeyPatch,
    moto_secret_stages: None,
    propagation: Propagation,
    world_clock: WorldClock,
) -> Iterator[None]:
    """moto on the world clock, with STS answering new access keys as AWS does and the engine's
    waits virtual."""
    with mock_aws():
        caller_identity_as_aws.patch(engine_env, lambda: propagation)
        engine_waits(engine_env)
        yield


@pytest.fixture
def iam(aws: None) -> Any:
    return boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def secretsmanager(aws: None) -> Any:
    return boto3.client("secretsmanager", region_name="us-east-1")


@pytest.fixture
def ssm(aws: None) -> Any:
    return boto3.client("ssm", region_name="us-east-1")


RUN_DATA_BUCKET = "ci-keys-123456789012-us-east-1-runs"


@pytest.fixture
def s3(aws: None) -> Any:
    """An S3 client, with the run-data bucket created."""
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=RUN_DATA_BUCKET)
    return client


@pytest.fixture
def settings(engine_env: pytest.MonkeyPatch) -> Config:
    return Config.from_environ(os.environ)


@pytest.fixture
def dated(s3: Any) -> dict[str, datetime.datetime]:
    """Object key -> the LastModified that ``s3`` reports for it, set by the test (moto dates
    objects when they are written)."""
    dates: dict[str, datetime.datetime] = {}

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["object_key"] = params.get("Key")

    def redate(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if context.get("object_key") in dates and "LastModified" in parsed:
            parsed["LastModified"] = dates[context["object_key"]]

    s3.meta.events.register("before-parameter-build.s3.GetObject", remember)
    s3.meta.events.register("after-call.s3.GetObject", redate)
    return dates
