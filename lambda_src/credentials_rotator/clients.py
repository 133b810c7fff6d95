"""AWS clients, created once per process with adaptive retries.

The entry points pass these clients to plain functions, so tests can pass their own.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient

# Throttling and transient errors are retried with client-side rate limiting.
CLIENT_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8})
# A boto3 session is not thread-safe while it creates clients.
_CREATING = threading.Lock()


@functools.cache
def iam_client() -> IAMClient:
    with _CREATING:
        return boto3.client("iam", config=CLIENT_CONFIG)


@functools.cache
def secretsmanager_client() -> SecretsManagerClient:
    with _CREATING:
        return boto3.client("secretsmanager", config=CLIENT_CONFIG)


@functools.cache
def ssm_client() -> SSMClient:
    with _CREATING:
        return boto3.client("ssm", config=CLIENT_CONFIG)


@functools.cache
def sfn_client() -> SFNClient:
    with _CREATING:
        return boto3.client("stepfunctions", config=CLIENT_CONFIG)


def clear_cache() -> None:
    """Forget the clients (tests create new ones inside each mock)."""
    for factory in (iam_client, secretsmanager_client, ssm_client, sfn_client):
        factory.cache_clear()
