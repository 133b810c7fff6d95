"""The per-user events of a batch (``notifications``): which, with what detail, ten a call, and
what happens when EventBridge refuses some or all of them."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from credentials_rotator import notifications, summary
from credentials_rotator.config import Config

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:ci-keys:scheduled-1"


def batch(rotated: int = 0, failed: int = 0, deferred: int = 0) -> Any:
    entries = summary.empty()
    entries["rotated"] = [
        {"username": f"r{n:02d}", "accessKeyId": f"AKIANEW{n:013d}", "previousKeyId": None}
        for n in range(rotated)
    ]
    entries["failed"] = [
        {"username": f"f{n:02d}", "error": "UserNotFound", "message": "gone"} for n in range(failed)
    ]
    entries["deferred"] = [
        {"username": f"d{n:02d}", "accessKeyId": f"AKIAOLD{n:013d}", "lastUsed": None, "runs": 1,
         "action": "kept"}
        for n in range(deferred)
    ]  # fmt: skip
    return entries


def stubbed() -> tuple[Any, Stubber]:
    """An EventBridge client whose answers the test gives: moto accepts every entry, and a
    partial refusal (an entry-level ErrorCode) is what no emulator produces."""
    client = boto3.client("events", region_name="us-east-1")
    return client, Stubber(client)


def test_given_a_batch_then_one_event_per_rotated_failed_and_deferred_user(
    settings: Config,
) -> None:
    entries = notifications.batch_events(settings, EXECUTION, batch(2, 1, 1))

    assert [(e["DetailType"], json.loads(e["Detail"])["username"]) for e in entries] == [
        (notifications.ROTATED, "r00"),
        (notifications.ROTATED, "r01"),
        (notifications.FAILED, "f00"),
        (notifications.DEFERRED, "d00"),
    ]
    failed = json.loads(entries[2]["Detail"])
    assert failed == {
        "username": "f00", "error": "UserNotFound", "message": "gone", "accountId": "123456789012",
        "secretName": "ci-keys/f00", "rotator": "ci-keys", "executionArn": EXECUTION,
    }  # fmt: skip
    assert {e["Source"] for e in entries} == {"credentials-rotator.ci-keys"}
    assert {e["EventBusName"] for e in entries} == {"default"}
    assert all(e["Resources"] == [EXECUTION] for e in entries)


def test_given_a_member_user_then_its_event_names_its_account(settings: Config) -> None:
    entries = notifications.batch_events(
        settings, EXECUTION, {**batch(0), "rotated": [{"username": "111122223333/alice"}]}
    )
    detail = json.loads(entries[0]["Detail"])
    assert (detail["username"], detail["accountId"], detail["secretName"]) == (
        "111122223333/alice",
        "111122223333",
        "ci-keys/111122223333/alice",
    )


@pytest.mark.parametrize(("users", "calls"), [(0, 0), (1, 1), (10, 1), (11, 2), (60, 6)])
def test_given_n_users_then_ten_entries_a_call(settings: Config, users: int, calls: int) -> None:
    client, stubber = stubbed()
    sizes = [min(10, users - start) for start in range(0, users, 10)]
    for size in sizes:
        stubber.add_response("put_events", {"FailedEntryCount": 0, "Entries": [{}] * size})
    with stubber:
        assert notifications.publish(client, settings, EXECUTION, batch(users)) == 0
    stubber.assert_no_pending_responses()
    assert len(sizes) == calls


def test_given_entries_refused_then_only_those_are_sent_again_and_those_never_sent_counted(
    settings: Config, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN PutEvents refuses 2 of 3 entries, then 1 of those 2, then that one again WHEN the batch
    is published THEN each resend carries only the refused entries, and 1 is counted not sent."""
    client, stubber = stubbed()
    throttled = {"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}
    for answers in ([{"EventId": "1"}, throttled, throttled], [{"EventId": "2"}, throttled],
                    [throttled]):  # fmt: skip
        failures = sum(1 for answer in answers if "ErrorCode" in answer)
        stubber.add_response("put_events", {"FailedEntryCount": failures, "Entries": answers})
    with stubber:
        not_sent = notifications.publish(client, settings, EXECUTION, batch(3))
    assert not_sent == 1
    (record,) = [r for r in caplog.records if r.getMessage() == "events not sent"]
    assert (record.events, record.error) == (1, "ThrottlingException")  # type: ignore[attr-defined]


def test_given_put_events_fails_then_the_batch_is_counted_not_sent_and_nothing_raises(
    settings: Config,
) -> None:
    client, stubber = stubbed()
    stubber.add_client_error("put_events", "AccessDeniedException", "not allowed")
    with stubber:
        assert notifications.publish(client, settings, EXECUTION, batch(4)) == 4


def test_given_events_off_then_nothing_is_sent(settings: Config) -> None:
    client, stubber = stubbed()
    off = dataclasses.replace(settings, event_bus_name=None)
    with stubber:  # no response queued: any call would fail
        assert notifications.publish(client, off, EXECUTION, batch(3, 1)) == 0
