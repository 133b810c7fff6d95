"""The run's summary: one entry per user, in the order of the users, and its size rule.

A failed run's cause holds at most 32,768 characters, so the summary the run returns is at most
``SUMMARY_LIMIT`` characters of JSON: complete when it fits; otherwise the rotated, skipped and
planned lists keep their first K entries (K the largest of ``LIST_CUTS`` that fits) and every
failure stays, and only if the failures alone do not fit are they cut the same way. ``counts``
are always complete, and the full summary is in the run's data.
"""

from __future__ import annotations

import json

from credentials_rotator.shapes import Counts, Entries, IterationResult, RunSummary, Summary

PARTS = ("rotated", "skipped", "planned", "failed")
SUMMARY_LIMIT = 30_000
LIST_CUTS = (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1, 0)


def empty() -> Entries:
    return {"rotated": [], "skipped": [], "planned": [], "failed": []}


def add(entries: Entries, outcome: IterationResult, retire_error: str | None) -> None:
    """Add one user's outcome; a handed-off user whose old key could not be retired failed."""
    username = str(outcome.get("username", ""))
    kind = outcome.get("outcome")
    if kind == "handed_off" and retire_error is not None:
        entries["failed"].append(
            {"username": username, "error": "RetireFailed", "message": retire_error}
        )
    elif kind == "handed_off":
        entries["rotated"].append(
            {
                "username": username,
                "accessKeyId": str(outcome.get("accessKeyId")),
                "previousKeyId": outcome.get("previousKeyId"),
            }
        )
    elif kind in ("skipped", "planned"):
        target = entries["skipped"] if kind == "skipped" else entries["planned"]
        target.append({"username": username, "detail": str(outcome.get("detail", ""))})
    else:
        entries["failed"].append(
            {
                "username": username,
                "error": str(outcome.get("error") or "Unknown"),
                "message": str(outcome.get("message") or ""),
            }
        )


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
