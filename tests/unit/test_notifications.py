"""The per-user events of a batch (``notifications``): which, with what detail, ten a call, and
what happens when EventBridge refuses some or all of them."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from credentials_rotator.aws import clients, notifications, throttling
from credentials_rotator.model import summary
from credentials_rotator.settings import clock
from credentials_rotator.settings.config import Config
from moto.events.models import EventsBackend

from testkit.throttle_faults import Throttler

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
        {
            "username": f"d{n:02d}",
            "accessKeyId": f"AKIAOLD{n:013d}",
            "lastUsed": None,
            "runs": 1,
            "action": "kept",
        }
        for n in range(deferred)
    ]
    return entries


def stubbed() -> tuple[Any, Stubber]:
    """An EventBridge client whose answers the test gives, for the calls' shape (refusals come
    from moto, made to refuse as AWS does: ``RefusingEventBridge``)."""
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
        "username": "f00",
        "error": "UserNotFound",
        "message": "gone",
        "accountId": "123456789012",
        "secretName": "ci-keys/f00",
        "rotator": "ci-keys",
        "executionArn": EXECUTION,
    }
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


class RefusingEventBridge:
    """moto's EventBridge, refusing entries as AWS does under load.

    moto takes every entry it is sent; AWS answers some with an entry-level ``ErrorCode``
    (``FailedEntryCount`` > 0: ``ThrottlingException`` when the bus is throttled,
    ``InternalFailure``, or a final one such as ``MalformedDetail``). The patch refuses the first
    ``refusals[username]`` sends of a user's event with ``codes.get(username,
    "ThrottlingException")`` (``FOREVER``: every send) and passes the others to moto; ``delivered``
    counts each user's events moto took.
    """

    FOREVER = 1_000_000

    def __init__(self, monkeypatch: pytest.MonkeyPatch, refusals: dict[str, int]) -> None:
        self.refusals = refusals
        self.codes: dict[str, str] = {}
        self.sends: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        self.calls = 0
        original = EventsBackend.put_events

        def put_events(backend: EventsBackend, events: list[dict[str, Any]]) -> list[Any]:
            self.calls += 1
            results = []
            for event in events:
                user = json.loads(event["Detail"])["username"]
                self.sends[user] += 1
                if self.sends[user] <= self.refusals.get(user, 0):
                    code = self.codes.get(user, "ThrottlingException")
                    results.append({"ErrorCode": code, "ErrorMessage": "refused"})
                else:
                    results += original(backend, [event])
                    self.delivered[user] += 1
            return results

        monkeypatch.setattr(EventsBackend, "put_events", put_events)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The engine's waits, recorded through its clock instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(clock, "sleep", recorded.append)
    return recorded


def backoff_caps(resends: int) -> list[float]:
    return [
        min(throttling.MAX_DELAY_SECONDS, throttling.BASE_DELAY_SECONDS * 2 ** (n - 1))
        for n in range(1, resends + 1)
    ]


def test_given_entries_refused_three_times_then_they_are_sent_again_after_growing_waits(
    aws: None, settings: Config, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN PutEvents refuses 3 of 10 entries three times in a row (two throttled, one an
    internal failure; FailedEntryCount > 0) WHEN the batch is published THEN only those are sent
    again, each time after a wait with full jitter under a cap that doubles (0.5, 1, 2 s), through
    the engine's clock; every event arrives once and none is counted not sent."""
    eventbridge = RefusingEventBridge(monkeypatch, {"r00": 3, "r04": 3, "r09": 3})
    eventbridge.codes["r09"] = "InternalFailure"

    not_sent = notifications.publish(clients.eventbridge_client(), settings, EXECUTION, batch(10))

    assert not_sent == 0
    assert eventbridge.delivered == {f"r{n:02d}": 1 for n in range(10)}
    assert eventbridge.calls == 4
    assert len(waits) == 3
    assert all(0 <= wait <= cap for wait, cap in zip(waits, backoff_caps(3), strict=True))


def test_given_an_entry_throttled_on_every_send_then_it_is_given_up_and_counted(
    aws: None,
    settings: Config,
    waits: list[float],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN PutEvents throttles one entry on every send WHEN the batch is published THEN it is
    sent again five times, after waits capped at 0.5, 1, 2, 4 and 5 s, then counted not sent and
    logged with its error; the other events arrive once."""
    eventbridge = RefusingEventBridge(monkeypatch, {"r01": RefusingEventBridge.FOREVER})

    not_sent = notifications.publish(clients.eventbridge_client(), settings, EXECUTION, batch(3))

    assert not_sent == 1
    assert eventbridge.delivered == {"r00": 1, "r02": 1}
    assert eventbridge.sends["r01"] == 1 + notifications.RESENDS
    resends = notifications.RESENDS
    assert all(0 <= w <= cap for w, cap in zip(waits, backoff_caps(resends), strict=True))
    (record,) = [r for r in caplog.records if r.getMessage() == "events not sent"]
    assert (record.events, record.error) == (1, "ThrottlingException")  # type: ignore[attr-defined]


def test_given_an_entry_refused_for_good_then_it_is_not_sent_again(
    aws: None, settings: Config, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN PutEvents refuses an entry with a code that does not pass (MalformedDetail) WHEN the
    batch is published THEN it is counted not sent at once: no wait, no second call."""
    eventbridge = RefusingEventBridge(monkeypatch, {"r01": 1})
    eventbridge.codes["r01"] = "MalformedDetail"

    not_sent = notifications.publish(clients.eventbridge_client(), settings, EXECUTION, batch(3))

    assert (not_sent, eventbridge.calls, waits) == (1, 1, [])
    assert eventbridge.delivered == {"r00": 1, "r02": 1}


def test_given_the_invocation_short_of_time_then_refused_entries_are_not_waited_for(
    aws: None, settings: Config, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the invocation has no time left beyond its reserve WHEN PutEvents throttles an entry
    THEN it is counted not sent without a wait: the function keeps its time to report."""

    class ShortOfTime:
        def get_remaining_time_in_millis(self) -> int:
            return int(throttling.RESERVE_SECONDS * 1000)

    RefusingEventBridge(monkeypatch, {"r00": 1})
    throttling.set_deadline(ShortOfTime())
    try:
        not_sent = notifications.publish(
            clients.eventbridge_client(), settings, EXECUTION, batch(2)
        )
    finally:
        throttling.set_deadline(object())

    assert (not_sent, waits) == (1, [])


def test_given_put_events_calls_throttled_then_they_are_retried_and_every_event_arrives(
    aws: None, settings: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN EventBridge throttles every other PutEvents call as a whole (ThrottlingException)
    WHEN 30 users' events are published THEN the client retries each throttled call and every
    event arrives once."""
    monkeypatch.setattr(throttling, "BASE_DELAY_SECONDS", 0.0)  # botocore sleeps these itself
    eventbridge = RefusingEventBridge(monkeypatch, {})
    throttler = Throttler(every=2, services={"events"})
    throttler.install(monkeypatch)

    not_sent = notifications.publish(clients.eventbridge_client(), settings, EXECUTION, batch(30))

    assert not_sent == 0
    assert eventbridge.delivered == {f"r{n:02d}": 1 for n in range(30)}
    assert throttler.throttled["events"] == 2  # the 2nd and 4th of 5 calls


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
