"""Entry point ``finish``: record each batch's outcomes; after the grace wait, retire the
previously delivered keys and summarise the run.

Two kinds of invocation (docs/design.md, "Finish"):

- ``{"record": {...}}``, once per batch at the end of its child execution: writes how each user of
  the batch ended to ``outcomes/<batch>.json`` in the run-data bucket.
- ``{"run": {...}, "maxConcurrency": n}``, after the grace wait: reads the outcomes batch by batch,
  retires the handed-off users' previous keys with at most ``n`` calls at a time, writes
  ``summary.json`` and returns the run summary, cut to fit Step Functions' limits. When the
  function's time runs short it writes what it did so far as a summary part and returns where to
  resume; the state machine invokes it again from there. With any failure the last
  invocation raises ``RotationFailed`` whose message is the summary as JSON, so the execution ends
  FAILED after every other user finished.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypedDict

from botocore.exceptions import BotoCoreError, ClientError

from credentials_rotator import clients, config, log, run_data, throttling
from credentials_rotator.access_keys import delete_access_key
from credentials_rotator.errors import InvalidRunInput, RetireFailed, RotationFailed
from credentials_rotator.failures import cause_message, describe_client_error, error_code
from credentials_rotator.shapes import (
    Counts,
    FailedEntry,
    FinishResult,
    IterationResult,
    NotedEntry,
    Resume,
    RotatedEntry,
    RunSummary,
    Summary,
)

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client

log.configure()
config.load()  # a missing variable fails the function at import, naming it
LOGGER = log.get_logger(__name__)

PARTS = ("rotated", "skipped", "planned", "failed")
# A failed run's cause holds at most 32,768 characters; the returned summary stays below this.
SUMMARY_LIMIT = 30_000
# How many entries each list keeps when the whole summary does not fit, tried in this order.
LIST_CUTS = (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1, 0)
# A failure message is cut to this many characters in the outcomes (a handler's error can be long).
MESSAGE_LIMIT = 1000
# No new batch is started with less time than this left; the next invocation goes on.
SLICE_RESERVE_SECONDS = 120.0


class RecordedBatch(TypedDict):
    batch: str
    count: int


class Entries(TypedDict):
    rotated: list[RotatedEntry]
    skipped: list[NotedEntry]
    planned: list[NotedEntry]
    failed: list[FailedEntry]


def handler(event: dict[str, Any], context: object) -> RecordedBatch | FinishResult:
    throttling.set_deadline(context)
    if "record" in event:
        return record_outcomes(clients.s3_client(), event["record"])
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return finish_run(
        iam=clients.iam_client(),
        s3=clients.s3_client(),
        config=config.load(),
        run=event.get("run"),
        max_concurrency=event.get("maxConcurrency"),
        time_left=(lambda: float(remaining()) / 1000) if callable(remaining) else _no_limit,
    )


def _no_limit() -> float:
    return math.inf


# --- one batch's outcomes --------------------------------------------------------------------


def record_outcomes(s3: S3Client, record: object) -> RecordedBatch:
    """Write how each user of a batch ended (the per-user iterations' results)."""
    if not isinstance(record, dict) or not isinstance(record.get("results"), list):
        raise InvalidRunInput("finish expects {'record': {'bucket', 'prefix', 'batch', 'results'}}")
    bucket, prefix, batch = (str(record.get(key, "")) for key in ("bucket", "prefix", "batch"))
    if not bucket or not prefix.startswith(run_data.RUNS) or not batch:
        raise InvalidRunInput("finish received a record without bucket, run prefix or batch")
    outcomes = [_outcome(result) for result in record["results"]]
    run_data.put_json(s3, bucket, run_data.outcomes_key(prefix, batch), outcomes)
    return {"batch": batch, "count": len(outcomes)}


def _outcome(result: object) -> IterationResult:
    """One iteration's result, reduced to the fields of its outcome (docs/design.md)."""
    if not isinstance(result, dict):
        return {"username": "", "outcome": "failed", "error": "Unknown", "message": repr(result)}
    username = str(result.get("username", ""))
    outcome = result.get("outcome")
    if outcome == "handed_off":
        return {
            "username": username,
            "outcome": "handed_off",
            "accessKeyId": _optional_str(result.get("accessKeyId")),
            "retireKeyId": _optional_str(result.get("retireKeyId")),
        }
    if outcome in ("skipped", "planned"):
        return {"username": username, "outcome": outcome, "detail": str(result.get("detail", ""))}
    if outcome == "failed":
        message = cause_message(_optional_str(result.get("message")))
        return {
            "username": username,
            "outcome": "failed",
            "error": str(result.get("error") or "Unknown"),
            "message": message[:MESSAGE_LIMIT],
        }
    return {
        "username": username,
        "outcome": "failed",
        "error": "Unknown",
        "message": f"unexpected result {outcome}",
    }


def get_json(s3: S3Client, bucket: str, key: str) -> Any:
    """One of the run's files, parsed."""
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


# --- the run ---------------------------------------------------------------------------------


def finish_run(
    *,
    iam: IAMClient,
    s3: S3Client,
    config: config.Config,
    run: object,
    max_concurrency: object,
    time_left: Callable[[], float] = _no_limit,
) -> FinishResult:
    """Retire the old key of every handed-off user; raise ``RotationFailed`` if any user failed.

    Returns ``{"resume": None, "summary": ...}``, or ``{"resume": ..., "summary": None}`` when less
    than ``SLICE_RESERVE_SECONDS`` were left before a batch; what was done so far is then in a
    summary part.
    """
    bucket, prefix, items_key, batches, dry_run, resume = _parse_run(run)
    if not isinstance(max_concurrency, int) or max_concurrency < 1:
        raise InvalidRunInput("finish expects a positive maxConcurrency")
    entries: Entries = {"rotated": [], "skipped": [], "planned": [], "failed": []}
    planned_users = _planned_users(s3, bucket, items_key)
    with ThreadPoolExecutor(max_workers=max_concurrency) as pool:
        for index in range(resume["next"], batches):
            if index > resume["next"] and time_left() < SLICE_RESERVE_SECONDS:
                run_data.put_json(s3, bucket, run_data.part_key(prefix, resume["parts"]), entries)
                LOGGER.info(
                    "finish continues in a new invocation",
                    extra={"next_batch": index, "batches": batches},
                )
                return {"resume": {"next": index, "parts": resume["parts"] + 1}, "summary": None}
            batch = run_data.batch_id(index)
            outcomes = _batch_outcomes(s3, bucket, prefix, batch, planned_users.get(batch, []))
            retired = pool.map(
                lambda outcome: _retire(iam, config, outcome, dry_run), list(outcomes)
            )
            for outcome, retire_error in zip(outcomes, retired, strict=True):
                _add(entries, outcome, retire_error)
    summary = _complete(s3, bucket, prefix, resume["parts"], entries)
    summary["dry_run"] = dry_run
    location = f"s3://{bucket}/{run_data.summary_key(prefix)}"
    run_data.put_json(
        s3, bucket, run_data.summary_key(prefix), {**summary, "counts": _counts(summary)}
    )
    LOGGER.info("run finished", extra={**_counts(summary), "dry_run": dry_run})
    result = fit(summary, location)
    if summary["failed"]:
        raise RotationFailed(json.dumps(result))
    return {"resume": None, "summary": result}


def _parse_run(run: object) -> tuple[str, str, str, int, bool, Resume]:
    if not isinstance(run, dict):
        raise InvalidRunInput("finish expects {'run': {...}, 'maxConcurrency': n}")
    bucket, prefix, items_key = (run.get(key) for key in ("bucket", "prefix", "itemsKey"))
    batches, dry_run, resume = run.get("batches"), run.get("dry_run"), run.get("resume")
    if not (isinstance(bucket, str) and isinstance(prefix, str) and isinstance(items_key, str)):
        raise InvalidRunInput("finish received a run without bucket, prefix or itemsKey")
    if not prefix.startswith(run_data.RUNS) or not items_key.startswith(prefix):
        raise InvalidRunInput("finish received run data outside the run's prefix")
    if not isinstance(batches, int) or batches < 0 or not isinstance(dry_run, bool):
        raise InvalidRunInput("finish received a run without batches or dry_run")
    if resume is None:
        return bucket, prefix, items_key, batches, dry_run, {"next": 0, "parts": 0}
    if not isinstance(resume, dict) or not all(
        isinstance(resume.get(key), int) and resume[key] >= 0 for key in ("next", "parts")
    ):
        raise InvalidRunInput("finish received a malformed resume")
    return bucket, prefix, items_key, batches, dry_run, {**resume}  # type: ignore[typeddict-item]


def _planned_users(s3: S3Client, bucket: str, items_key: str) -> dict[str, list[str]]:
    """Batch id -> the usernames plan put in it, to account for every user of the run."""
    planned: dict[str, list[str]] = {}
    for batch in get_json(s3, bucket, items_key):
        planned[str(batch["batch"])] = [
            str(entry["user"]["username"]) for entry in batch["entries"]
        ]
    return planned


def _batch_outcomes(
    s3: S3Client, bucket: str, prefix: str, batch: str, planned: list[str]
) -> list[IterationResult]:
    """The batch's outcomes, with a failed one for each planned user that has none."""
    try:
        outcomes: list[IterationResult] = get_json(s3, bucket, run_data.outcomes_key(prefix, batch))
        reason = "its batch recorded no outcome for it"
    except (ClientError, BotoCoreError, ValueError) as exc:
        outcomes = []
        detail = describe_client_error(exc) if isinstance(exc, ClientError) else str(exc)
        reason = f"the outcomes of its batch {batch} could not be read ({detail})"
    seen = {outcome.get("username") for outcome in outcomes}
    for username in planned:
        if username not in seen:
            outcomes.append(
                {
                    "username": username,
                    "outcome": "failed",
                    "error": "OutcomeUnknown",
                    "message": (
                        f"{reason}; no key of this user was retired, so it may hold two keys "
                        f"until the next run"
                    ),
                }
            )
    return outcomes


def _retire(
    iam: IAMClient, config: config.Config, outcome: IterationResult, dry_run: bool
) -> RetireFailed | None:
    if dry_run or outcome.get("outcome") != "handed_off":
        return None
    try:
        retire(
            iam,
            config,
            str(outcome.get("username", "")),
            outcome.get("retireKeyId"),
            str(outcome.get("accessKeyId")),
        )
    except RetireFailed as exc:
        return exc
    return None


def _add(entries: Entries, outcome: IterationResult, retire_error: RetireFailed | None) -> None:
    username = str(outcome.get("username", ""))
    kind = outcome.get("outcome")
    if kind == "handed_off" and retire_error is not None:
        entries["failed"].append(
            {"username": username, "error": "RetireFailed", "message": str(retire_error)}
        )
    elif kind == "handed_off":
        entries["rotated"].append(
            {
                "username": username,
                "accessKeyId": str(outcome.get("accessKeyId")),
                "retiredKeyId": outcome.get("retireKeyId"),
            }
        )
    elif kind in ("skipped", "planned"):
        noted: NotedEntry = {"username": username, "detail": str(outcome.get("detail", ""))}
        entries["skipped" if kind == "skipped" else "planned"].append(noted)
    else:
        entries["failed"].append(
            {
                "username": username,
                "error": str(outcome.get("error") or "Unknown"),
                "message": str(outcome.get("message") or ""),
            }
        )


def _complete(s3: S3Client, bucket: str, prefix: str, parts: int, last: Entries) -> Summary:
    """The whole run: the parts earlier invocations wrote, in order, then this one's entries."""
    summary: Summary = {"rotated": [], "skipped": [], "planned": [], "failed": [], "dry_run": False}
    for part in [
        *(get_json(s3, bucket, run_data.part_key(prefix, n)) for n in range(parts)),
        last,
    ]:
        for name in PARTS:
            summary[name].extend(part[name])  # type: ignore[literal-required]
    return summary


def _counts(summary: Summary) -> Counts:
    return {
        "rotated": len(summary["rotated"]),
        "skipped": len(summary["skipped"]),
        "planned": len(summary["planned"]),
        "failed": len(summary["failed"]),
    }


def fit(summary: Summary, location: str) -> RunSummary:
    """The summary as the run returns it, at most ``SUMMARY_LIMIT`` characters of JSON.

    Complete when it fits. Otherwise the rotated, skipped and planned lists keep their first K
    entries, K the largest of ``LIST_CUTS`` that fits, and every failure stays; only if the
    failures alone do not fit are they cut the same way. ``counts`` are always complete and the
    full summary is at ``location``.
    """
    counts = _counts(summary)

    def cut(keep: int | None, keep_failed: int | None) -> RunSummary:
        return {
            "rotated": summary["rotated"][:keep],
            "skipped": summary["skipped"][:keep],
            "planned": summary["planned"][:keep],
            "failed": summary["failed"][:keep_failed],
            "dry_run": summary["dry_run"],
            "counts": counts,
            "truncated": keep is not None or keep_failed is not None,
            "summaryLocation": location,
        }

    candidates = [
        cut(None, None),
        *(cut(keep, None) for keep in LIST_CUTS),
        *(cut(0, keep) for keep in LIST_CUTS),
    ]
    for candidate in candidates:
        candidate["truncated"] = any(
            len(candidate[name]) < counts[name]  # type: ignore[literal-required]
            for name in PARTS
        )
        if len(json.dumps(candidate)) <= SUMMARY_LIMIT:
            return candidate
    return candidates[-1]


def retire(
    iam: IAMClient,
    config: config.Config,
    username: str,
    old_key_id: str | None,
    new_key_id: str,
) -> None:
    """Delete or deactivate the previously delivered key; never the key just handed off."""
    if not old_key_id:
        return
    if old_key_id == new_key_id:
        raise RetireFailed(f"refused to retire access key {old_key_id}: it is the new key")
    try:
        if config.old_key_action == "delete":
            delete_access_key(iam, username, old_key_id, reason="superseded by a delivered key")
            return
        iam.update_access_key(UserName=username, AccessKeyId=old_key_id, Status="Inactive")
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return
        raise RetireFailed(
            f"handed off access key {new_key_id} but could not {config.old_key_action} access key "
            f"{old_key_id} ({describe_client_error(exc)}); the user keeps both keys until the "
            f"next run"
        ) from exc
    LOGGER.info("deactivated access key", extra={"username": username, "access_key_id": old_key_id})
