"""AWS quotas and behaviours the emulator does not have by itself, met by whole runs.

moto is patched toward AWS in tests/conftest.py (``moto_secret_stages``): a secret keeps at most
100 versions, and a secret scheduled for deletion refuses reads and writes.
"""

from __future__ import annotations

import json

import pytest

from testkit.harness import Harness
from testkit.member_accounts import HUB_ACCOUNT
from testkit.stories import delivered_once

pytestmark = pytest.mark.workflow


def test_given_a_secret_at_its_version_quota_when_run_then_that_user_fails_clearly(
    harness: Harness,
) -> None:
    """GIVEN homer's secret already holds the 100 versions Secrets Manager keeps (all younger
    than 24 hours) WHEN a run rotates homer and bart THEN homer fails with SecretVersionLimit,
    saying why and when it will pass, his new key is deleted again and his delivered key is still
    current; bart rotates."""
    delivered = delivered_once(harness, "homer", "bart")
    for count in range(99):  # a label moved from version to version leaves each one unlabelled
        harness.secretsmanager.put_secret_value(
            SecretId="ci-keys/homer",
            SecretString=json.dumps({"filler": count}),
            VersionStages=["FILLER"],
        )

    run = harness.run()

    (failed,) = run.summary["failed"]
    assert (failed["username"], failed["error"]) == ("homer", "SecretVersionLimit")
    assert "24 hours" in failed["message"] and "the new key was deleted again" in failed["message"]
    assert harness.keys("homer") == {delivered["homer"]: "Active"}
    assert harness.secret_key_id("homer") == delivered["homer"]
    assert [entry["username"] for entry in run.summary["rotated"]] == ["bart"]


def test_given_a_secret_deleted_by_hand_when_run_then_it_is_restored_and_the_user_rotates(
    harness: Harness,
) -> None:
    """GIVEN someone scheduled homer's secret for deletion (AWS then refuses to read or write it)
    WHEN a run comes THEN the rotator restores the secret, which still records the delivered key,
    and rotates homer as usual: the delivered key is retired after the handoff."""
    delivered = delivered_once(harness, "homer")["homer"]
    harness.secretsmanager.delete_secret(SecretId="ci-keys/homer", RecoveryWindowInDays=7)

    run = harness.run()

    assert run.status == "SUCCEEDED"
    (entry,) = run.summary["rotated"]
    assert entry["previousKeyId"] == delivered
    assert "DeletedDate" not in harness.secretsmanager.describe_secret(SecretId="ci-keys/homer")
    assert harness.keys("homer") == {entry["accessKeyId"]: "Active"}


def test_given_a_user_dropped_from_the_list_but_still_selected_when_run_then_it_rotates(
    harness: Harness,
) -> None:
    """GIVEN homer was listed and rotated, then left the list but is still selected by path
    WHEN a run comes THEN his secret (which nothing deleted) serves as before: he rotates."""
    harness.iam.create_user(UserName="homer", Path="/ci/")
    harness.configure_users("homer", create=False)
    assert harness.run().status == "SUCCEEDED"
    delivered = harness.secret_key_id("homer")
    harness.configure_users(create=False)
    harness.set_settings(
        accounts={HUB_ACCOUNT: {"user_path_prefix": "/ci/", "user_listing": "ListUsers"}}
    )

    run = harness.run()

    (entry,) = run.summary["rotated"]
    assert (entry["username"], entry["previousKeyId"]) == ("homer", delivered)
