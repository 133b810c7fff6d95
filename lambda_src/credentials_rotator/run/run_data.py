"""A run's files in the run-data bucket: where they are and how they are read and written.

Under ``runs/<execution name>/`` (docs/design.md, "Run data"):

- ``items.json``: the batches ``plan`` wrote; the Distributed Map reads them.
- ``outcomes/<batch>.json``: how each user of a batch ended, written by ``record_outcomes``.
- ``summary-parts/<n>.json``: what a ``finish`` invocation that ran short of time did so far.
- ``summary.json``: the complete summary.

and ``last-summary.json``, a copy of the last finished run's summary, outside ``runs/``.

Every file is JSON and holds names, metadata, ids and outcomes, never a secret value. ``finish``
reads them back, and ``rotate`` reads a past run's items when it must prove a key its stray.
"""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RUNS = "runs/"
LAST_SUMMARY = "last-summary.json"


def run_prefix(execution_arn: str) -> str:
    """``runs/<execution name>/``: execution names are unique per state machine."""
    return f"{RUNS}{execution_arn.rsplit(':', 1)[-1]}/"


def execution_arn(state_machine_arn: str, prefix: str) -> str:
    """The ARN of the execution whose run's data is under ``prefix`` (``run_prefix``'s inverse)."""
    machine = state_machine_arn.replace(":stateMachine:", ":execution:", 1)
    return f"{machine}:{prefix.removeprefix(RUNS).rstrip('/')}"


def items_key(prefix: str) -> str:
    return f"{prefix}items.json"


def outcomes_key(prefix: str, batch: str) -> str:
    return f"{prefix}outcomes/{batch}.json"


def part_key(prefix: str, part: int) -> str:
    return f"{prefix}summary-parts/{part:05d}.json"


def unreachable_key(prefix: str) -> str:
    """The member accounts whose users plan could not list (``member_selection``)."""
    return f"{prefix}unreachable-accounts.json"


def summary_key(prefix: str) -> str:
    return f"{prefix}summary.json"


def batch_id(index: int) -> str:
    """A batch's id: its index, zero-padded so that the files sort in run order."""
    return f"{index:05d}"


def get_json(s3: S3Client, bucket: str, key: str) -> Any:
    """One of the run's files, parsed."""
    return get_json_dated(s3, bucket, key)[0]


def get_json_dated(s3: S3Client, bucket: str, key: str) -> tuple[Any, datetime.datetime]:
    """One of the run's files, parsed, and when it was written."""
    got = s3.get_object(Bucket=bucket, Key=key)
    return parse_json(got["Body"].read()), got["LastModified"]


def parse_json(body: bytes) -> Any:
    return json.loads(body)


def batch_of(batches: Any, username: str) -> str | None:
    """The id of the batch of ``items.json`` that holds ``username`` (names ignore case)."""
    wanted = username.lower()
    for batch in batches:
        if any(str(entry["user"]["username"]).lower() == wanted for entry in batch["entries"]):
            return str(batch["batch"])
    return None


def put_json(s3: S3Client, bucket: str, key: str, value: Any) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(value, separators=(",", ":")).encode(),
        ContentType="application/json",
    )
