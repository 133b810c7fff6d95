"""The AWS client the handlers use, created once per process; tests replace it."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@functools.cache
def secretsmanager_client() -> SecretsManagerClient:
    return boto3.client("secretsmanager", config=CLIENT_CONFIG)
