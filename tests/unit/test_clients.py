"""Which STS endpoint proves a new key and assumes the member roles (``clients``).

boto3 before 1.40 (the runtime of older Lambda functions) sends STS calls to the global endpoint,
served from us-east-1, unless told otherwise (``AWS_STS_REGIONAL_ENDPOINTS=legacy`` is that
default); boto3 1.40 changed it to the regional one (boto/boto3#4583). The engine names the
function's own region's endpoint, whatever the runtime's default: these tests set the old default
and check the URL each STS client is built with, and where a proof's requests go.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from credentials_rotator.aws import clients
from credentials_rotator.aws.verification import REQUIRED_SUCCESSES, prove_usable

# Each region's STS endpoint: regions the global endpoint served by default (eu-west-1,
# us-east-1), an opt-in region (ap-east-1), the China and GovCloud partitions.
REGIONAL_ENDPOINTS = {
    "eu-west-1": "https://sts.eu-west-1.amazonaws.com",
    "us-east-1": "https://sts.us-east-1.amazonaws.com",
    "ap-east-1": "https://sts.ap-east-1.amazonaws.com",
    "cn-north-1": "https://sts.cn-north-1.amazonaws.com.cn",
    "us-gov-west-1": "https://sts.us-gov-west-1.amazonaws.com",
}


def in_region(environment: pytest.MonkeyPatch, region: str) -> None:
    """The function runs in ``region`` (Lambda sets both variables) on a runtime whose boto3
    defaults to the global STS endpoint."""
    environment.setenv("AWS_REGION", region)
    environment.setenv("AWS_DEFAULT_REGION", region)
    environment.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")
    clients.clear_cache()


@pytest.mark.parametrize(("region", "endpoint"), sorted(REGIONAL_ENDPOINTS.items()))
def test_given_a_runtime_defaulting_to_the_global_endpoint_then_sts_clients_use_the_region(
    engine_env: pytest.MonkeyPatch, region: str, endpoint: str
) -> None:
    """GIVEN a function in ``region`` whose boto3 defaults to STS's global endpoint WHEN the
    engine builds the client that proves a new key and the one that assumes member roles THEN
    both are built with the region's own STS endpoint."""
    in_region(engine_env, region)

    proving = clients.sts_client_signed_with("AKIAEXAMPLEKEY000001", "not-a-real-secret")

    assert proving.meta.endpoint_url == endpoint
    assert clients.sts_client().meta.endpoint_url == endpoint


def test_given_an_endpoint_named_for_the_process_then_sts_clients_keep_it(
    engine_env: pytest.MonkeyPatch,
) -> None:
    """GIVEN the process names an endpoint (an emulator's: LocalStack's Lambda sets
    AWS_ENDPOINT_URL) WHEN the engine builds its STS clients THEN they use that endpoint, as every
    other client does."""
    in_region(engine_env, "eu-west-1")
    engine_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")

    proving = clients.sts_client_signed_with("AKIAEXAMPLEKEY000001", "not-a-real-secret")

    assert proving.meta.endpoint_url == "http://127.0.0.1:4566"
    assert clients.sts_client().meta.endpoint_url == "http://127.0.0.1:4566"
    assert clients.iam_client().meta.endpoint_url == "http://127.0.0.1:4566"


def test_given_a_function_in_eu_west_1_when_a_new_key_is_proved_then_it_is_proved_there(
    engine_env: pytest.MonkeyPatch, iam: Any
) -> None:
    """GIVEN a function in eu-west-1 on a runtime defaulting to the global endpoint WHEN a new
    key proves it works THEN every GetCallerIdentity signed with it goes to eu-west-1's STS."""
    in_region(engine_env, "eu-west-1")
    iam.create_user(UserName="homer")
    key = iam.create_access_key(UserName="homer")["AccessKey"]
    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        sent.append(request.url)

    events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
    events.register("before-send.sts.GetCallerIdentity", record)
    try:
        assert prove_usable(key, 60, hub_account_id="123456789012", just_created=False) is None
    finally:
        events.unregister("before-send.sts.GetCallerIdentity", record)
    assert sent == ["https://sts.eu-west-1.amazonaws.com/"] * REQUIRED_SUCCESSES
