"""A run through throttling: every throttled call is retried, no user fails because of it.

No emulator throttles. ``throttle_faults.Throttler`` makes moto answer every third request to IAM,
Secrets Manager, S3, SSM and Lambda with that service's throttling error, before moto sees it, so
the throttled request changes nothing, as in AWS. It hits the functions' calls and the state
machine's own (its Lambda invokes and the MarkDelivered call); the harness's clients are spared.
"""

from __future__ import annotations

from collections import Counter

import pytest
from credentials_rotator.aws import throttling

from testkit.harness import Harness
from testkit.throttle_faults import Throttler
from testkit.world.setting import HARNESS_AGENT

pytestmark = pytest.mark.workflow


def test_given_aws_throttling_every_third_request_when_25_users_rotate_then_none_fails(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, retry_sleeps: list[float]
) -> None:
    """GIVEN 25 users rotated once and every third request throttled WHEN the next run rotates
    them THEN the run succeeds, each user ends with one Active key its handler read, each handler
    got its user exactly once, and throttles really hit every service."""
    users = [f"user{n:02d}" for n in range(25)]
    harness.configure_users(*users)
    assert harness.run().status == "SUCCEEDED"
    handed_before = len(harness.consumer.deliveries)
    monkeypatch.setattr(throttling, "BASE_DELAY_SECONDS", 0.001)
    monkeypatch.setattr(throttling, "MAX_DELAY_SECONDS", 0.004)
    throttler = Throttler(
        every=3,
        services={"iam", "secretsmanager", "s3", "lambda"},
        spare_agent=HARNESS_AGENT,
    )
    throttler.install(monkeypatch)

    run = harness.run(timeout=120)

    assert run.status == "SUCCEEDED", run.cause
    assert run.summary["failed"] == []
    assert sorted(entry["username"] for entry in run.summary["rotated"]) == users
    handed = Counter(d.username for d in harness.consumer.deliveries[handed_before:])
    assert handed == Counter(users)
    for delivery in harness.consumer.deliveries[handed_before:]:
        assert harness.keys(delivery.username) == {delivery.read_key_id: "Active"}
    assert set(throttler.throttled) == {"iam", "secretsmanager", "s3", "lambda"}
    assert throttler.throttled["lambda"] >= 5  # the state machine's invokes, retried by the ASL
    assert retry_sleeps  # ... with its Retry's backoff
