"""Per-user EventBridge events: one for each user a run rotated, failed or deferred.

``finish`` sends a batch's events once it has retired the batch's previous keys, ten entries a
``PutEvents`` call (the most it takes), on the bus of ``event_bus_name`` with source
``EVENT_SOURCE``. A detail holds names, key ids, error names and messages and the run's execution
ARN, never a secret value. Events are a notice, not the record: the run's summary is. Entries
PutEvents refuses for a reason that passes (throttling, an internal failure) are sent again after
a jittered backoff, as throttled calls are (``throttling``). An event that cannot be sent is
logged and counted (the ``EventsNotSent`` metric); it fails no user. A
``finish`` invocation that is retried after it sent a batch's events sends them again, so a
consumer that must act once keys on the execution ARN, the username and the detail type.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from credentials_rotator.aws import throttling
from credentials_rotator.aws.accounts import handoff_names
from credentials_rotator.aws.failures import describe_error
from credentials_rotator.model.shapes import Entries
from credentials_rotator.settings import clock, config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

LOGGER = get_logger(__name__)

ROTATED = "IAM Access Key Rotated"
FAILED = "IAM Access Key Rotation Failed"
DEFERRED = "IAM Access Key Retirement Deferred"
# The detail types as the module's output ``event_detail_types`` publishes them.
DETAIL_TYPES = {"rotated": ROTATED, "failed": FAILED, "deferred": DEFERRED}

# PutEvents takes at most 10 entries a call (an AWS limit, not a setting).
ENTRIES_PER_CALL = 10
# The codes of an entry PutEvents refused that it may take later (AWS's "retryable errors" of a
# PutEventsResultEntry); any other refusal (a malformed or unauthorized entry) is final.
RETRYABLE_CODES = frozenset({"ThrottlingException", "InternalFailure"})
# Such entries are sent again up to this many times, each after a jittered wait that grows (0.5 s
# doubling, at most 5 s: ``throttling.backoff_seconds``), while the invocation has time.
RESENDS = 5


def batch_events(
    settings: config.Config, execution_arn: str, batch: Entries
) -> list[PutEventsRequestEntryTypeDef]:
    """The events of one batch's users: rotated, failed, deferred, in that order."""
    details: list[tuple[str, dict[str, Any]]] = []
    for rotated in batch["rotated"]:
        details.append((ROTATED, {**rotated}))
    for failed in batch["failed"]:
        details.append((FAILED, {**failed}))
    for deferred in batch["deferred"]:
        details.append((DEFERRED, {**deferred}))
    return [
        {
            "Source": settings.event_source,
            "DetailType": detail_type,
            "Detail": json.dumps(
                {
                    **detail,
                    "accountId": handoff_names(str(detail["username"]), settings)["accountId"],
                    "secretName": settings.secret_name(str(detail["username"])),
                    "rotator": settings.rotator_name,
                    "executionArn": execution_arn,
                }
            ),
            "Resources": [execution_arn],
            "EventBusName": str(settings.event_bus_name),
        }
        for detail_type, detail in details
    ]


def publish(
    eventbridge: EventBridgeClient, settings: config.Config, execution_arn: str, batch: Entries
) -> int:
    """Send the batch's events; the number that could not be sent (0 when events are off)."""
    if settings.event_bus_name is None:
        return 0
    not_sent = 0
    for chunk in _chunks(batch_events(settings, execution_arn, batch)):
        not_sent += _send(eventbridge, chunk)
    return not_sent


def _chunks(
    entries: list[PutEventsRequestEntryTypeDef],
) -> Iterator[list[PutEventsRequestEntryTypeDef]]:
    for start in range(0, len(entries), ENTRIES_PER_CALL):
        yield entries[start : start + ENTRIES_PER_CALL]


def _send(eventbridge: EventBridgeClient, entries: list[PutEventsRequestEntryTypeDef]) -> int:
    """Send up to ten entries, again after a wait those refused for a reason that passes; the
    number never sent."""
    pending, lost, codes = entries, 0, set[str]()
    for attempt in range(1, RESENDS + 2):
        try:
            response = eventbridge.put_events(Entries=pending)
        except (ClientError, BotoCoreError) as exc:
            not_sent = lost + len(pending)
            LOGGER.error(
                "events not sent", extra={"events": not_sent, "error": describe_error(exc)}
            )
            return not_sent
        refused = [
            (entry, str(result["ErrorCode"]))
            for entry, result in zip(pending, response.get("Entries", []), strict=False)
            if result.get("ErrorCode")
        ]
        codes |= {code for _, code in refused}
        pending = [entry for entry, code in refused if code in RETRYABLE_CODES]
        lost += len(refused) - len(pending)
        if not pending or attempt > RESENDS:
            break
        delay = throttling.backoff_seconds(attempt)
        if not throttling.ends_before_deadline(delay):
            break
        clock.sleep(delay)
    not_sent = lost + len(pending)
    if not_sent:
        LOGGER.error(
            "events not sent", extra={"events": not_sent, "error": ", ".join(sorted(codes))}
        )
    return not_sent
