"""Recognising the rotator's strays: keys a run created but died before recording.

A run records its intent before it creates any key: ``plan`` writes the run's users, in batches,
to ``runs/<execution>/items.json`` before the Map starts; a batch writes its users' outcomes when
it ends; and Step Functions records when each run started and ended. So the rotator created a key
for a user only between the moment its run's items were written and the moment the user's batch
wrote its outcomes (or, when it never did, the run's end; ``run_guard.LONGEST_INVOCATION`` after a
run that was stopped or timed out, since a function it had invoked runs on). An Active key that no
version of the user's secret names is the rotator's stray when

1. it was created inside that window of a recent run that planned the user (the current run
   counts only when ``rotate`` is being retried: on its first attempt no key of it exists yet);
2. IAM records no use of it: nobody ever held its secret.

IAM and S3 give their times to the second, so the window holds only the whole seconds strictly
between the items' and the outcomes' seconds: a key created in the same second as either (by a
person, or by a rotate that fast) is never taken for a stray. A run takes more than a second from
its items to its first key (the Map Run, a child execution and two invocations start in between).
Any other unexplained Active key is someone else's: the user fails with ``UnknownAccessKey``.
Only ``rotate`` calls this, and only when a key is unexplained.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from credentials_rotator.aws.access_keys import never_used
from credentials_rotator.aws.failures import error_code
from credentials_rotator.model.key_plan import AccessKey
from credentials_rotator.run import run_data, run_guard
from credentials_rotator.settings.config import Config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

LOGGER = get_logger(__name__)
MISSING = ("NoSuchKey", "404")


@dataclass(frozen=True)
class Run:
    prefix: str
    start: datetime.datetime
    stop: datetime.datetime | None
    abrupt: bool  # stopped or timed out: functions it invoked may have run on

    def acting_until(self, now: datetime.datetime) -> datetime.datetime:
        """Until when a function of this run may have created a key."""
        if self.stop is None:
            return now
        return self.stop + run_guard.LONGEST_INVOCATION if self.abrupt else self.stop

    def may_have_created(self, created: datetime.datetime, now: datetime.datetime) -> bool:
        """Whether a key created at ``created`` can lie in this run's window. The window opens
        when the run's items are written, after the run started (S3 dates them to the second, so
        no earlier than the start's second), and closes by the time its functions stopped: what
        Step Functions lists rules a run out before any file of it is read, so a key made by hand
        long ago costs the reads of one run, not of every run since."""
        return self.start.replace(microsecond=0) < created < self.acting_until(now)


@dataclass(frozen=True)
class Attempt:
    """The rotate invocation asking: its run's prefix and the Task's retry count."""

    prefix: str
    retry: int
    now: datetime.datetime


def prove(
    *,
    clients: tuple[IAMClient, SFNClient, S3Client],
    config: Config,
    username: str,
    candidates: Collection[AccessKey],
    attempt: Attempt,
) -> set[str]:
    """The ids among ``candidates`` (unexplained Active keys) proven to be the rotator's strays."""
    if not candidates:
        return set()
    iam, sfn, s3 = clients
    created = [key.create_date for key in candidates]
    windows = [
        window
        for run in _runs(sfn, config, attempt, created)
        if (window := _window(s3, config, run, username, attempt.now)) is not None
    ]
    strays = set()
    for key in candidates:
        inside = any(opened < key.create_date < closed for opened, closed in windows)
        if inside and never_used(iam, username, key.access_key_id):
            LOGGER.info(
                "access key is a stray of a run that died",
                extra={"username": username, "access_key_id": key.access_key_id},
            )
            strays.add(key.access_key_id)
    return strays


def _runs(
    sfn: SFNClient, config: Config, attempt: Attempt, created: list[datetime.datetime]
) -> list[Run]:
    """The runs that may have created a key at one of the moments ``created``."""
    runs = []
    for listed in run_guard.runs_since(sfn, config.state_machine_arn, min(created)):
        prefix = run_data.run_prefix(listed["executionArn"])
        if prefix == attempt.prefix and attempt.retry == 0:
            continue
        abrupt = listed["status"] in run_guard.ABRUPT_ENDS
        run = Run(prefix, listed["startDate"], listed.get("stopDate"), abrupt)
        if any(run.may_have_created(moment, attempt.now) for moment in created):
            runs.append(run)
    return runs


def _window(
    s3: S3Client, config: Config, run: Run, username: str, now: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime] | None:
    """When ``run`` may have created a key for the user: None when it did not plan the user."""
    try:
        items = s3.get_object(Bucket=config.run_data_bucket, Key=run_data.items_key(run.prefix))
    except ClientError as exc:
        if error_code(exc) in MISSING:
            return None  # the run planned nothing, or its items expired
        raise
    batch = run_data.batch_of(run_data.parse_json(items["Body"].read()), username)
    if batch is None:
        return None
    outcomes_key = run_data.outcomes_key(run.prefix, batch)
    try:
        closed = s3.get_object(Bucket=config.run_data_bucket, Key=outcomes_key)["LastModified"]
    except ClientError as exc:
        if error_code(exc) not in MISSING:
            raise
        closed = run.acting_until(now)
    return items["LastModified"], closed
