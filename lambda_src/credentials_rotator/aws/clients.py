"""AWS clients, created once per process with standard retries.

The entry points pass these clients to plain functions, so tests can pass their own. Every client
also retries throttling errors for as long as the invocation's time allows (``throttling``).
"""

from __future__ import annotations

import datetime
import functools
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import boto3
import botocore.loaders
import botocore.regions
import botocore.session
from botocore.config import Config

from credentials_rotator.aws import throttling
from credentials_rotator.settings import clock

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_sts import STSClient

# Transient errors are retried by botocore, throttling by ``throttling`` (with jittered backoff).
# Not botocore's adaptive mode: its client-side pacing learns a rate from throttles, which a
# function making a few calls per invocation never gets to learn, and it slowed throttled runs
# (docs/design.md, "Throttling").
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8})
# A boto3 session is not thread-safe while it creates clients.
_CREATING = threading.Lock()

_Client = TypeVar("_Client")


def with_throttling_retries(client: _Client) -> _Client:
    """Register ``throttling.retry_throttling`` ahead of botocore's own retry handler."""
    meta = cast(Any, client).meta
    service = meta.service_model.service_id.hyphenize()
    meta.events.register_first(f"needs-retry.{service}", throttling.retry_throttling)
    return client


@functools.cache
def client(service: str) -> Any:
    """The process's one client of ``service``."""
    endpoint_url = sts_endpoint_url() if service == "sts" else None
    with _CREATING:
        return with_throttling_retries(
            boto3.client(service, config=CLIENT_CONFIG, endpoint_url=endpoint_url)  # type: ignore[call-overload]
        )


def sts_endpoint_url() -> str | None:
    """STS's endpoint in the function's own region, given to every STS client of the engine.

    botocore sends STS calls to the global endpoint (served from us-east-1) by default before
    1.40 (the boto3 of older Lambda runtimes), so a new key's proof and the member roles'
    ``AssumeRole`` would leave the region, and fail with it. None when the process names an
    endpoint of its own (``AWS_ENDPOINT_URL_STS``, ``AWS_ENDPOINT_URL``: an emulator's), which
    botocore then uses, as for every other client, or when botocore knows no STS endpoint there.
    """
    if os.environ.get("AWS_ENDPOINT_URL_STS") or os.environ.get("AWS_ENDPOINT_URL"):
        return None
    region = _configuration().get_config_variable("region")
    hostname = _sts_hostname(region) if isinstance(region, str) and region else None
    return None if hostname is None else f"https://{hostname}"


@functools.cache
def _configuration() -> botocore.session.Session:
    """A session that only reads the process's configuration (the region): made once, since
    making one costs more than the proof it serves; it reads the environment at each call."""
    return botocore.session.get_session()


@functools.cache
def _sts_hostname(region: str) -> str | None:
    """``sts.<region>.<the partition's domain>``, from botocore's own endpoint data."""
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    resolved = botocore.regions.EndpointResolver(endpoints).construct_endpoint("sts", region)
    hostname = None if resolved is None else resolved.get("hostname")
    return hostname if isinstance(hostname, str) else None


def iam_client() -> IAMClient:
    return cast("IAMClient", client("iam"))


def secretsmanager_client() -> SecretsManagerClient:
    return cast("SecretsManagerClient", client("secretsmanager"))


def ssm_client() -> SSMClient:
    return cast("SSMClient", client("ssm"))


def sfn_client() -> SFNClient:
    return cast("SFNClient", client("stepfunctions"))


def s3_client() -> S3Client:
    return cast("S3Client", client("s3"))


def eventbridge_client() -> EventBridgeClient:
    return cast("EventBridgeClient", client("events"))


def sts_client() -> STSClient:
    return cast("STSClient", client("sts"))


# Credentials of an assumed role are used until this long before they expire.
CREDENTIALS_MARGIN = datetime.timedelta(minutes=5)
_assumed: dict[tuple[str, str], tuple[Any, datetime.datetime]] = {}
_ASSUMING = threading.Lock()


def assumed_role_client(
    service: str, role_arn: str, assume: Callable[[], Mapping[str, Any]]
) -> Any:
    """The process's client of ``service`` signing as ``role_arn``; ``assume`` returns fresh
    credentials (STS's ``Credentials``) when there are none, or they are about to expire. One
    ``AssumeRole`` per role and process serves every user of that role's account."""
    with _ASSUMING:  # the threads of one function assume a role once
        cached = _assumed.get((service, role_arn))
        now = clock.now()
        if cached is not None and cached[1] - CREDENTIALS_MARGIN > now:
            return cached[0]
        credentials = assume()
        with _CREATING:
            made = with_throttling_retries(
                boto3.client(  # type: ignore[call-overload]
                    service,
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    aws_session_token=credentials["SessionToken"],
                    config=CLIENT_CONFIG,
                )
            )
        _assumed[(service, role_arn)] = (made, credentials["Expiration"])
        return made


def sts_client_signed_with(access_key_id: str, secret_access_key: str) -> STSClient:
    """A client of the region's STS endpoint that signs with the given key, not the function's
    role (``verification``); one per key, so never cached."""
    endpoint_url = sts_endpoint_url()
    with _CREATING:
        return boto3.client(
            "sts",
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            aws_session_token=None,
            config=CLIENT_CONFIG,
            endpoint_url=endpoint_url,
        )


def clear_cache() -> None:
    """Forget the clients (tests create new ones inside each mock)."""
    client.cache_clear()
    _assumed.clear()
