"""Throttled calls are retried until they go through; a quota or a real error is not retried.

No emulator throttles: ``throttle_faults.Throttler`` makes moto answer every n-th request with the
service's throttling error, before moto sees it, as AWS does.
"""

from __future__ import annotations

import importlib
import time
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from credentials_rotator.aws import clients, throttling
from credentials_rotator.handlers import entry
from package_scan import dotted, entry_points

from testkit.throttle_faults import Throttler


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff in milliseconds instead of seconds."""
    monkeypatch.setattr(throttling, "BASE_DELAY_SECONDS", 0.001)
    monkeypatch.setattr(throttling, "MAX_DELAY_SECONDS", 0.004)


@pytest.mark.parametrize(
    ("code", "message", "throttled"),
    [
        ("Throttling", "Rate exceeded", True),
        ("ThrottlingException", "Rate exceeded", True),
        ("TooManyRequestsException", "Rate exceeded", True),
        ("SlowDown", "Please reduce your request rate.", True),
        ("LimitExceeded", "Rate exceeded", True),
        ("LimitExceededException", "Too many requests; try again later", True),
        ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", False),
        ("LimitExceededException", "You have exceeded the quota of versions", False),
        ("AccessDenied", "rate limits do not apply to denied calls", False),
        ("NoSuchEntity", "The user with name ghost cannot be found.", False),
    ],
)
def test_what_counts_as_throttling(code: str, message: str, throttled: bool) -> None:
    assert throttling.is_throttling(code, message) is throttled


def error(code: str, message: str = "Rate exceeded") -> tuple[Any, dict[str, Any]]:
    return None, {"Error": {"Code": code, "Message": message}}


def test_a_throttled_call_waits_with_growing_jittered_backoff_up_to_the_cap() -> None:
    throttling.set_deadline(object())  # no deadline outside Lambda
    delays = [throttling.retry_throttling(error("Throttling"), attempts=n) for n in range(1, 12)]
    assert all(delay is not None for delay in delays)
    caps = [
        min(throttling.MAX_DELAY_SECONDS, throttling.BASE_DELAY_SECONDS * 2 ** (n - 1))
        for n in range(1, 12)
    ]
    assert all(0 <= delay <= cap for delay, cap in zip(delays, caps, strict=True))  # type: ignore[operator]
    assert (
        throttling.retry_throttling(error("Throttling"), attempts=throttling.MAX_ATTEMPTS) is None
    )


def test_other_errors_and_answers_are_left_to_botocore() -> None:
    assert throttling.retry_throttling(error("AccessDenied", "no"), attempts=1) is None
    assert throttling.retry_throttling(None, attempts=1) is None
    assert throttling.retry_throttling((None, {"ResponseMetadata": {}}), attempts=1) is None


def test_no_retry_would_end_after_the_invocations_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return int((throttling.RESERVE_SECONDS + 0.5) * 1000)

    throttling.set_deadline(Context())
    # Each wait half its jitter's range: 0.25 s at the first retry, 2.5 s at the twelfth.
    monkeypatch.setattr(throttling, "_random", SimpleNamespace(uniform=lambda low, high: high / 2))
    try:
        # 0.5 s are left before the reserve: the first retry fits, the twelfth does not.
        assert throttling.retry_throttling(error("Throttling"), attempts=1) is not None
        assert throttling.retry_throttling(error("Throttling"), attempts=12) is None
    finally:
        throttling.set_deadline(object())


def test_given_iam_throttling_every_other_request_when_called_then_every_call_goes_through(
    aws: None, quick: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN IAM answering every second request with Throttling WHEN the engine's client creates
    ten keys for five users THEN all ten exist, no call failed and none was made twice."""
    throttler = Throttler(every=2, services={"iam"}, spare_agent="test-checks")
    throttler.install(monkeypatch)
    iam = clients.iam_client()
    users = [f"user{n}" for n in range(5)]
    for user in users:
        iam.create_user(UserName=user)
    created = [iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"] for user in users]
    created += [iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"] for user in users]

    plain = boto3.client(
        "iam", region_name="us-east-1", config=Config(user_agent_extra="test-checks")
    )
    listed = {
        key["AccessKeyId"]
        for user in users
        for key in plain.list_access_keys(UserName=user)["AccessKeyMetadata"]
    }
    assert listed == set(created)
    assert throttler.throttled["iam"] >= 7


def test_given_a_user_at_two_keys_when_a_third_is_created_then_the_quota_error_comes_at_once(
    aws: None, quick: None
) -> None:
    iam = clients.iam_client()
    iam.create_user(UserName="homer")
    iam.create_access_key(UserName="homer")
    iam.create_access_key(UserName="homer")
    sent: list[str] = []
    iam.meta.events.register_first("before-send", lambda **_: sent.append("request"))

    with pytest.raises(ClientError) as raised:
        iam.create_access_key(UserName="homer")

    assert raised.value.response["Error"]["Code"] == "LimitExceeded"
    assert sent == ["request"]  # asked once, not retried


def test_given_a_secret_at_its_version_quota_when_written_then_the_error_comes_at_once(
    aws: None,
) -> None:
    """GIVEN a secret holding the 100 versions Secrets Manager keeps (moto patched to enforce the
    quota, tests/conftest.py) WHEN one more is written THEN LimitExceededException comes at once:
    botocore would retry it as throttling for a minute, and nothing would change."""
    secretsmanager = clients.secretsmanager_client()
    secretsmanager.create_secret(Name="ci-keys/homer", SecretString="{}")
    for count in range(99):
        secretsmanager.put_secret_value(
            SecretId="ci-keys/homer", SecretString=str(count), VersionStages=["FILLER"]
        )

    sent: list[str] = []
    secretsmanager.meta.events.register_first("before-send", lambda **_: sent.append("request"))

    with pytest.raises(ClientError) as raised:
        secretsmanager.put_secret_value(SecretId="ci-keys/homer", SecretString="one more")

    assert raised.value.response["Error"]["Code"] == "LimitExceededException"
    assert sent == ["request"]


def test_given_an_entry_point_when_invoked_then_the_deadline_follows_each_calls_context(
    engine_env: pytest.MonkeyPatch,
) -> None:
    """GIVEN a function wrapped by ``entry_point`` WHEN it is invoked with a Lambda context, then
    without one THEN each call sets its own deadline: the context's time minus the reserve, or
    none."""

    @entry.entry_point
    def work(event: object, context: object) -> float | None:
        return throttling._DEADLINE.at

    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 60_000)
    before = time.monotonic()
    with_context = work({}, context)
    without = work({}, object())

    assert with_context is not None
    assert before + 60 - throttling.RESERVE_SECONDS <= with_context
    assert with_context <= time.monotonic() + 60 - throttling.RESERVE_SECONDS
    assert without is None
    assert work.__name__ == "work"


@pytest.mark.parametrize("module", entry_points())
def test_every_handler_is_the_entry_points_wrapper(
    engine_env: pytest.MonkeyPatch, module: str
) -> None:
    """GIVEN an entry point's handler THEN it is the wrapper proven above around its own work."""
    handler = importlib.import_module(dotted(module)).handler
    wrapper = entry.entry_point(lambda event, context: None)
    assert handler.__code__ is wrapper.__code__
    assert handler.__wrapped__.__module__ == dotted(module)
