"""The secret guard the harness runs after every workflow test really finds a leak."""

from __future__ import annotations

import json

import pytest

from testkit.harness import Harness

pytestmark = pytest.mark.workflow


def current_secret(harness: Harness, username: str) -> str:
    value = harness.secretsmanager.get_secret_value(SecretId=f"ci-keys/{username}")
    secret: str = json.loads(value["SecretString"])["SecretAccessKey"]
    return secret


def test_given_a_secret_in_the_logs_when_checked_then_the_guard_fails(harness: Harness) -> None:
    harness.configure_users("homer")
    harness.create_key("homer")
    assert harness.run().status == "SUCCEEDED"
    secret = current_secret(harness, "homer")

    with pytest.raises(AssertionError, match="was logged"):
        harness.assert_no_secret_leaked(f'{{"message": "oops", "key": "{secret}"}}')
    assert len(harness.watch) == 2  # the key the test made and the one the run made
    assert harness.watch.leaks_in(secret) == 1


def test_given_a_secret_in_an_execution_when_checked_then_the_guard_fails(
    harness: Harness,
) -> None:
    harness.configure_users("homer")
    assert harness.run().status == "SUCCEEDED"
    secret = current_secret(harness, "homer")
    planted = harness.start({"users": ["homer"], "note": secret})  # plan refuses the extra key
    harness.wait(planted)

    with pytest.raises(AssertionError, match="in the history of"):
        harness.assert_no_secret_leaked("")
    harness.executions.remove(planted)  # keep the teardown check about the real runs


def test_given_a_secret_in_the_run_data_when_checked_then_the_guard_fails(
    harness: Harness,
) -> None:
    harness.configure_users("homer")
    assert harness.run().status == "SUCCEEDED"
    secret = current_secret(harness, "homer")
    planted = "runs/planted/outcomes.json"
    harness.s3.put_object(Bucket=harness.bucket, Key=planted, Body=json.dumps({"key": secret}))

    with pytest.raises(AssertionError, match="in the run-data bucket"):
        harness.assert_no_secret_leaked("")
    harness.s3.delete_object(Bucket=harness.bucket, Key=planted)  # keep the teardown check real
    harness.assert_no_secret_leaked("")
