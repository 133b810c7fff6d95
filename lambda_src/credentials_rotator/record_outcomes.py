"""Entry point ``record_outcomes``: write how each user of a batch ended to the run's data.

Called once per batch, at the end of its child execution; ``finish`` reads the file after the
grace wait. Needs no IAM permission: only the run's prefix in the run-data bucket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from credentials_rotator import clients, config, outcomes, run_data
from credentials_rotator.entry import entry_point
from credentials_rotator.events import parse_record_outcomes_event
from credentials_rotator.shapes import RecordedBatch, RecordOutcomesEvent

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@entry_point
def handler(event: Any, context: object) -> RecordedBatch:
    return record_outcomes(clients.s3_client(), config.load(), parse_record_outcomes_event(event))


def record_outcomes(
    s3: S3Client, settings: config.Config, event: RecordOutcomesEvent
) -> RecordedBatch:
    recorded = [outcomes.normalise(result) for result in event["results"]]
    key = run_data.outcomes_key(event["prefix"], event["batch"])
    run_data.put_json(s3, settings.run_data_bucket, key, recorded)
    return {"batch": event["batch"], "count": len(recorded)}
