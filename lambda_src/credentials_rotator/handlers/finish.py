"""Entry point ``finish``: after the grace wait, retire the previously delivered key of every
user whose handoff was confirmed, unless it is still in use (``in_use``), and summarise the run.

It reads the run's outcomes batch by batch (a planned user without one failed, ``OutcomeUnknown``,
and none of its keys is retired) and retires with at most ``max_concurrency`` calls at a time.
When its time runs short it saves what it did as a summary part and returns where to resume; the
state machine invokes it again from there. Once a batch's keys are retired it sends the batch's
per-user events (``notifications``). The last invocation writes ``summary.json`` (and a copy as the
bucket's ``last-summary.json``), writes the run's metrics to its log (``metrics``) and returns the
summary, with a failure (error and cause) when any user failed: the run then ends FAILED.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from credentials_rotator.aws import accounts, clients, last_use, metrics, notifications
from credentials_rotator.aws.failures import describe_error
from credentials_rotator.handlers.entry import entry_point
from credentials_rotator.model import summary
from credentials_rotator.model.errors import (
    AccountUnreachable,
    KeyStillInUse,
    RetireFailed,
    RotationFailed,
)
from credentials_rotator.model.shapes import (
    Entries,
    Failure,
    FinishEvent,
    FinishResult,
    IterationResult,
    Resume,
    RunData,
)
from credentials_rotator.model.summary import Retirement
from credentials_rotator.run import in_use, run_data, run_outcomes
from credentials_rotator.run.events import parse_finish_event
from credentials_rotator.settings import clock, config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)

# No new batch is started with less time than this left; the next invocation goes on.
SLICE_RESERVE_SECONDS = 120.0


@entry_point
def handler(event: Any, context: object) -> FinishResult:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return finish_run(
        iam=clients.iam_client(),
        secretsmanager=clients.secretsmanager_client(),
        s3=clients.s3_client(),
        eventbridge=clients.eventbridge_client(),
        settings=config.load(),
        event=parse_finish_event(event),
        time_left=(lambda: float(remaining()) / 1000) if callable(remaining) else _no_limit,
    )


def _no_limit() -> float:
    return math.inf


def finish_run(
    *,
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    s3: S3Client,
    eventbridge: EventBridgeClient,
    settings: config.Config,
    event: FinishEvent,
    time_left: Callable[[], float] = _no_limit,
) -> FinishResult:
    """Retire the old key of every confirmed handoff; summarise, or return where to resume."""
    run = event["run"]
    resume: Resume = event["resume"] or {"next": 0, "parts": 0}
    entries = summary.empty()
    planned, planned_at = run_outcomes.planned_users(s3, settings, run["itemsKey"])
    execution_arn = run_data.execution_arn(settings.state_machine_arn, run["prefix"])
    with ThreadPoolExecutor(max_workers=settings.max_concurrency) as pool:
        for index in range(resume["next"], run["batches"]):
            if index > resume["next"] and time_left() < SLICE_RESERVE_SECONDS:
                return _pause(s3, settings, run, resume, entries=entries, index=index)
            batch = run_data.batch_id(index)
            outcomes, recorded = run_outcomes.batch_outcomes(
                s3, settings, run, batch, planned.get(batch, [])
            )
            retiring = Retiring(iam, secretsmanager, settings, run, recorded)
            futures = [
                pool.submit(contextvars.copy_context().run, _retire, retiring, o) for o in outcomes
            ]
            done = summary.empty()
            for outcome, future in zip(outcomes, futures, strict=True):
                summary.add(done, outcome, future.result())
                summary.note_held_key(done, outcome, recorded)
            if not run["dryRun"]:
                _tell(eventbridge, settings, execution_arn, done)
            summary.extend(entries, done)
    unreachable = run_outcomes.unreachable_accounts(s3, settings, run)
    if not run["dryRun"]:
        _tell(eventbridge, settings, execution_arn, unreachable)
    return _conclude(s3, settings, run, resume, [entries, unreachable], planned_at=planned_at)


def _tell(
    eventbridge: EventBridgeClient, settings: config.Config, execution_arn: str, done: Entries
) -> None:
    """Send the batch's per-user events; count in the metrics those that could not be sent."""
    not_sent = notifications.publish(eventbridge, settings, execution_arn, done)
    if not_sent:
        metrics.write([metrics.events_not_sent_record(settings, not_sent, clock.now())])


def _pause(
    s3: S3Client,
    settings: config.Config,
    run: RunData,
    resume: Resume,
    *,
    entries: Entries,
    index: int,
) -> FinishResult:
    key = run_data.part_key(run["prefix"], resume["parts"])
    run_data.put_json(s3, settings.run_data_bucket, key, entries)
    LOGGER.info(
        "finish continues in a new invocation",
        extra={"next_batch": index, "batches": run["batches"]},
    )
    return {
        "resume": {"next": index, "parts": resume["parts"] + 1},
        "summary": None,
        "failure": None,
    }


def _conclude(
    s3: S3Client,
    settings: config.Config,
    run: RunData,
    resume: Resume,
    last: list[Entries],
    *,
    planned_at: datetime.datetime,
) -> FinishResult:
    """Merge the saved parts with ``last`` (this invocation's entries); write and return the
    summary."""
    bucket, prefix = settings.run_data_bucket, run["prefix"]
    parts = [
        run_data.get_json(s3, bucket, run_data.part_key(prefix, n)) for n in range(resume["parts"])
    ]
    now = clock.now()
    whole = summary.merge([*parts, *last], run["dryRun"])
    whole["oldestKey"] = summary.aged(whole["oldestKey"], now)
    counts = summary.counts(whole)
    written = {**whole, "counts": counts}
    run_data.put_json(s3, bucket, run_data.summary_key(prefix), written)
    run_data.put_json(s3, bucket, run_data.LAST_SUMMARY, written)
    LOGGER.info(
        "run finished",
        extra={
            **counts,
            "dry_run": run["dryRun"],
            "oldest_key_age_days": summary.oldest_age_days(whole),
        },
    )
    if not run["dryRun"]:
        duration = (now - planned_at).total_seconds()
        metrics.write(metrics.run_records(settings, whole, duration_seconds=duration, now=now))
    fitted = summary.fit(whole, f"s3://{bucket}/{run_data.summary_key(prefix)}")
    failure: Failure | None = None
    if whole["failed"]:
        failure = {"error": RotationFailed.__name__, "cause": json.dumps(fitted)}
    return {"resume": None, "summary": fitted, "failure": failure}


@dataclass(frozen=True)
class Retiring:
    """What retiring a batch's previous keys needs; ``handed_off_by``: when the batch recorded
    its outcomes (a use after it is a use after the handoff)."""

    iam: IAMClient
    secretsmanager: SecretsManagerClient
    settings: config.Config
    run: RunData
    handed_off_by: datetime.datetime | None


def _retire(retiring: Retiring, outcome: IterationResult) -> Retirement | None:
    """Retire one confirmed user's previous key (in its account), unless it is still in use; how
    it ended when it was not simply retired."""
    previous = outcome.get("previousKeyId")
    if retiring.run["dryRun"] or outcome.get("outcome") != "handed_off" or not previous:
        return None
    username, new_key = str(outcome.get("username", "")), str(outcome.get("accessKeyId"))
    try:
        iam = accounts.iam_for(username, retiring.iam, retiring.settings)
        deferred = in_use.retire_unless_in_use(
            iam,
            retiring.secretsmanager,
            retiring.settings,
            username,
            previous,
            new_key=new_key,
            since=retiring.handed_off_by,
            run_prefix=retiring.run["prefix"],
        )
    except RetireFailed as exc:
        return Retirement(RetireFailed.__name__, str(exc))
    except (KeyStillInUse, AccountUnreachable) as exc:
        return Retirement(type(exc).__name__, str(exc))
    except Exception as exc:  # a bug must not cost the other users their retirement
        LOGGER.exception("retire failed", extra={"username": username, "access_key_id": previous})
        failed = RetireFailed(f"could not retire access key {previous} ({describe_error(exc)})")
        return Retirement(RetireFailed.__name__, str(failed))
    if deferred is None or isinstance(deferred, last_use.Awaiting):
        return None  # retired, or left for a later run to judge (logged by in_use)
    return Retirement(deferred=deferred)
