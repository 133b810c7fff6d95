"""The run's summary: one entry per user, in the order of the users, and its size rule.

A failed run's cause holds at most 32,768 characters, so the summary the run returns is at most
``SUMMARY_LIMIT`` characters of JSON: complete when it fits; otherwise the rotated, skipped,
planned and deferred lists keep their first K entries (K the largest of ``LIST_CUTS`` that fits)
and every failure stays, and only if the failures alone do not fit are they cut the same way.
``counts`` are always complete, and the full summary is in the run's data.

``oldestKey`` names the oldest key a handler holds among the run's users once the run ends: a
handed-off user holds a key no older than its batch's outcomes, any other the key its record
named (``DeliveredKey``); a user whose record could not be read is not counted.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from credentials_rotator.model.shapes import (
    Counts,
    DeferredEntry,
    Entries,
    FailedEntry,
    IterationResult,
    OldestKey,
    RunSummary,
    Summary,
)

PARTS = ("rotated", "skipped", "planned", "deferred", "failed")
SUMMARY_LIMIT = 30_000
LIST_CUTS = (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1, 0)


@dataclass(frozen=True)
class Retirement:
    """How a handed-off user's previous key ended, when it was not simply retired: ``error`` and
    ``message`` (it could not be retired, or ``KeyStillInUse``), ``deferred`` (found in use)."""

    error: str | None = None
    message: str = ""
    deferred: DeferredEntry | None = None


def empty() -> Entries:
    return {
        "rotated": [],
        "skipped": [],
        "planned": [],
        "deferred": [],
        "failed": [],
        "oldestKey": None,
    }


def add(entries: Entries, outcome: IterationResult, retirement: Retirement | None) -> None:
    """Add one user's outcome: a handed-off user was rotated, and failed besides when its old key
    could not be retired; a key found in use is listed as deferred."""
    username = str(outcome.get("username", ""))
    kind = outcome.get("outcome")
    deferral = retirement.deferred if retirement else outcome.get("deferral")
    if deferral is not None:
        entries["deferred"].append(deferral)
    if kind == "handed_off" and retirement is not None and retirement.error == "RetireFailed":
        entries["failed"].append(_failed(username, retirement.error, retirement.message))
        return
    if kind == "handed_off":
        entries["rotated"].append(
            {
                "username": username,
                "accessKeyId": str(outcome.get("accessKeyId")),
                "previousKeyId": outcome.get("previousKeyId"),
            }
        )
        if retirement is not None and retirement.error is not None:
            entries["failed"].append(_failed(username, retirement.error, retirement.message))
    elif kind in ("skipped", "planned"):
        target = entries["skipped"] if kind == "skipped" else entries["planned"]
        target.append({"username": username, "detail": str(outcome.get("detail", ""))})
    elif kind != "deferred":
        entries["failed"].append(
            _failed(
                username, str(outcome.get("error") or "Unknown"), str(outcome.get("message") or "")
            )
        )


def note_held_key(
    entries: Entries, outcome: IterationResult, handed_off_by: datetime.datetime | None
) -> None:
    """Keep ``outcome``'s key as the oldest held so far when it is older."""
    held = _held_key(outcome, handed_off_by)
    entries["oldestKey"] = _older(entries["oldestKey"], held)


def _held_key(
    outcome: IterationResult, handed_off_by: datetime.datetime | None
) -> OldestKey | None:
    username = str(outcome.get("username", ""))
    if outcome.get("outcome") == "handed_off":
        if handed_off_by is None:
            return None
        created = handed_off_by.isoformat()
        return {
            "username": username,
            "accessKeyId": outcome.get("accessKeyId"),
            "createDate": created,
        }
    delivered = outcome.get("deliveredKey")
    if not delivered:
        return None
    return {
        "username": username,
        "accessKeyId": delivered["accessKeyId"],
        "createDate": delivered["createDate"],
    }


def _older(first: OldestKey | None, second: OldestKey | None) -> OldestKey | None:
    if first is None or second is None:
        return first or second
    return second if _date(second) < _date(first) else first


def _date(key: OldestKey) -> datetime.datetime:
    parsed = datetime.datetime.fromisoformat(key["createDate"])
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def aged(oldest: OldestKey | None, now: datetime.datetime) -> OldestKey | None:
    """``oldest`` with its age in days at ``now``, to the hundredth."""
    if oldest is None:
        return None
    age = max(0.0, (now - _date(oldest)).total_seconds() / 86_400)
    return {**oldest, "ageDays": round(age, 2)}


def oldest_age_days(whole: Summary) -> float | None:
    """The age in days of the run's oldest key in use, once ``aged``; None when none is known."""
    oldest = whole.get("oldestKey")
    return None if oldest is None else oldest.get("ageDays")


def _failed(username: str, error: str, message: str) -> FailedEntry:
    return {"username": username, "error": error, "message": message}


def extend(entries: Entries, part: Entries) -> None:
    """Add ``part``'s entries after those of ``entries``."""
    for name in PARTS:
        entries[name].extend(part[name])  # type: ignore[literal-required]
    entries["oldestKey"] = _older(entries["oldestKey"], part.get("oldestKey"))


def merge(parts: list[Entries], dry_run: bool) -> Summary:
    """The whole run from its parts, in order."""
    summary: Summary = {**empty(), "dryRun": dry_run}
    for part in parts:
        extend(summary, part)
    return summary


def counts(summary: Entries) -> Counts:
    return {
        "rotated": len(summary["rotated"]),
        "skipped": len(summary["skipped"]),
        "planned": len(summary["planned"]),
        "deferred": len(summary["deferred"]),
        "failed": len(summary["failed"]),
    }


def fit(summary: Summary, location: str) -> RunSummary:
    """The summary as the run returns it, at most ``SUMMARY_LIMIT`` characters of JSON."""
    total = counts(summary)

    def cut(keep: int | None, keep_failed: int | None) -> RunSummary:
        candidate: RunSummary = {
            "rotated": summary["rotated"][:keep],
            "skipped": summary["skipped"][:keep],
            "planned": summary["planned"][:keep],
            "deferred": summary["deferred"][:keep],
            "failed": summary["failed"][:keep_failed],
            "oldestKey": summary.get("oldestKey"),
            "dryRun": summary["dryRun"],
            "counts": total,
            "truncated": False,
            "summaryLocation": location,
        }
        candidate["truncated"] = counts(candidate) != total
        return candidate

    candidates = [
        cut(None, None),
        *(cut(keep, None) for keep in LIST_CUTS),
        *(cut(0, keep) for keep in LIST_CUTS),
    ]
    for candidate in candidates:
        if len(json.dumps(candidate)) <= SUMMARY_LIMIT:
            return candidate
    return candidates[-1]
