"""Entry point ``record_outcomes``: write how each user of a batch ended to the run's data.

Called once per batch, at the end of its child execution; ``finish`` reads the file after the
grace wait. A user that was not handed a new key keeps the key its record named when the batch
was read (``deliveredKey``): the run's oldest key in use is found among those. Needs no IAM
permission: only the run's prefix in the run-data bucket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from credentials_rotator.aws import clients
from credentials_rotator.handlers.entry import entry_point
from credentials_rotator.model.shapes import (
    BatchEntry,
    DeliveredKey,
    IterationResult,
    RecordedBatch,
    RecordOutcomesEvent,
)
from credentials_rotator.run import outcomes, run_data
from credentials_rotator.run.events import parse_record_outcomes_event
from credentials_rotator.settings import config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@entry_point
def handler(event: Any, context: object) -> RecordedBatch:
    return record_outcomes(clients.s3_client(), config.load(), parse_record_outcomes_event(event))


def record_outcomes(
    s3: S3Client, settings: config.Config, event: RecordOutcomesEvent
) -> RecordedBatch:
    held = _delivered_keys(event["entries"])
    recorded = [_with_delivered_key(outcomes.normalise(r), held) for r in event["results"]]
    key = run_data.outcomes_key(event["prefix"], event["batch"])
    run_data.put_json(s3, settings.run_data_bucket, key, recorded)
    return {"batch": event["batch"], "count": len(recorded)}


def _delivered_keys(entries: list[BatchEntry]) -> dict[str, DeliveredKey]:
    """Username -> the delivered key its record named, where the record was read and settled (a
    pending record's delivered key is its AWSPREVIOUS version's, which the batch did not read)."""
    held: dict[str, DeliveredKey] = {}
    for entry in entries:
        hint = entry["record"]
        if hint is not None and not hint["pending"] and hint["createDate"]:
            held[entry["user"]["username"]] = {
                "accessKeyId": hint["accessKeyId"],
                "createDate": hint["createDate"],
            }
    return held


def _with_delivered_key(outcome: IterationResult, held: dict[str, DeliveredKey]) -> IterationResult:
    if outcome.get("outcome") == "handed_off":
        return outcome
    return {**outcome, "deliveredKey": held.get(str(outcome.get("username", "")))}
