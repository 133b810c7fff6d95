"""The run's summary as ``finish`` builds it, part by part, and the run returns it (``summary``).

Names, key ids, error names and messages; never a secret value.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class DeferredEntry(TypedDict):
    """A previous key found in use after its successor's handoff: kept Active (``kept``) or
    deactivated instead of deleted (``deactivated``); ``runs``: runs in a row that found it so."""

    username: str
    accessKeyId: str
    lastUsed: str | None
    runs: int
    action: Literal["kept", "deactivated"]


class RotatedEntry(TypedDict):
    username: str
    accessKeyId: str
    previousKeyId: str | None


class NotedEntry(TypedDict):
    username: str
    detail: str


class FailedEntry(TypedDict):
    username: str
    error: str
    message: str


class OldestKey(TypedDict):
    """The oldest key a handler holds among the run's users; ``ageDays`` when the run ends."""

    username: str
    accessKeyId: str | None
    createDate: str
    ageDays: NotRequired[float]


class Entries(TypedDict):
    rotated: list[RotatedEntry]
    skipped: list[NotedEntry]
    planned: list[NotedEntry]
    deferred: list[DeferredEntry]
    failed: list[FailedEntry]
    oldestKey: OldestKey | None


class Summary(Entries):
    dryRun: bool


class Counts(TypedDict):
    rotated: int
    skipped: int
    planned: int
    deferred: int
    failed: int


class RunSummary(Summary):
    """The run's output (or failed run's cause): the summary, cut to fit when it is large.

    ``counts`` are always complete; ``truncated`` says whether the lists are; the full summary is
    at ``summaryLocation`` (``s3://bucket/key``).
    """

    counts: Counts
    truncated: bool
    summaryLocation: str
