"""What ``finish`` reads of a run: the users plan put in each batch, how each batch's users
ended (a planned user without an outcome failed, ``OutcomeUnknown``), and the member accounts
whose users plan could not list."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from credentials_rotator.aws.failures import describe_error
from credentials_rotator.model import summary
from credentials_rotator.model.errors import OutcomeUnknown
from credentials_rotator.model.shapes import Entries, IterationResult, RunData
from credentials_rotator.run import run_data
from credentials_rotator.settings import config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def unreachable_accounts(s3: S3Client, settings: config.Config, run: RunData) -> Entries:
    """The member accounts whose users plan could not list, as failed ``<account_id>/*``."""
    entries = summary.empty()
    if run.get("unreachableAccounts"):
        key = run_data.unreachable_key(run["prefix"])
        entries["failed"] = run_data.get_json(s3, settings.run_data_bucket, key)
    return entries


def planned_users(
    s3: S3Client, settings: config.Config, items_key: str
) -> tuple[dict[str, list[str]], datetime.datetime]:
    """Batch id -> the usernames plan put in it, to account for every user of the run; and when
    plan wrote them, the run's start as its data tells it."""
    batches, written = run_data.get_json_dated(s3, settings.run_data_bucket, items_key)
    return {
        str(batch["batch"]): [str(entry["user"]["username"]) for entry in batch["entries"]]
        for batch in batches
    }, written


def batch_outcomes(
    s3: S3Client, settings: config.Config, run: RunData, batch: str, planned: list[str]
) -> tuple[list[IterationResult], datetime.datetime | None]:
    """The batch's outcomes, with a failed one for each planned user that has none, and when
    they were recorded: after every handoff of the batch."""
    key = run_data.outcomes_key(run["prefix"], batch)
    recorded = None
    try:
        outcomes, recorded = run_data.get_json_dated(s3, settings.run_data_bucket, key)
        reason = "its batch recorded no outcome for it"
    except (ClientError, BotoCoreError, ValueError) as exc:
        outcomes = []
        reason = f"the outcomes of its batch {batch} could not be read ({describe_error(exc)})"
    seen = {outcome.get("username") for outcome in outcomes}
    return outcomes + [
        {
            "username": username,
            "outcome": "failed",
            "error": OutcomeUnknown.__name__,
            "message": f"{reason}; none of its keys was retired, so it may hold two keys until "
            "the next run",
        }
        for username in planned
        if username not in seen
    ], recorded
