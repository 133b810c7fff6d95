"""The run's summary: one entry per user, in the order of the users, and its size rule.

A failed run's cause holds at most 32,768 characters, so the summary the run returns is at most
``SUMMARY_LIMIT`` characters of JSON: complete when it fits; otherwise the rotated, skipped,
planned and deferred lists keep their first K entries (K the largest of ``LIST_CUTS`` that fits)
and every failure stays, and only if the failures alone do not fit are they cut the same way.
``counts`` are always complete, and the full summary is in the run's data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from credentials_rotator.shapes import (
    Counts,
    DeferredEntry,
    Entries,
    FailedEntry,
    IterationResult,
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
    return {"rotated": [], "skipped": [], "planned": [], "deferred": [], "failed": []}


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


def _failed(username: str, error: str, message: str) -> FailedEntry:
    return {"username": username, "error": error, "message": message}


def merge(parts: list[Entries], dry_run: bool) -> Summary:
    """The whole run from its parts, in order."""
    summary: Summary = {**empty(), "dryRun": dry_run}
    for part in parts:
        for name in PARTS:
            summary[name].extend(part[name])  # type: ignore[literal-required]
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
