"""The event and result shapes the entry points exchange through the state machine.

None of them ever holds a secret value.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

PENDING_STAGE = "PENDING_HANDOFF"


class User(TypedDict):
    username: str
    metadata: str | None


class PlanEvent(TypedDict):
    """What the state machine passes to ``plan``: the run input and the context object."""

    input: Any
    stateMachineArn: str
    executionArn: str
    startTime: NotRequired[str]


class RecordHint(TypedDict):
    """A user's delivery record as read for the whole batch: its AWSCURRENT version, ids only.

    ``secretArn`` is None when the secret (or its current version) does not exist.
    """

    secretArn: str | None
    versionId: str | None
    accessKeyId: str | None
    createDate: str | None
    pending: bool


class BatchEntry(TypedDict):
    """One user in a batch; ``record`` is None until the batch's records are read."""

    user: User
    record: RecordHint | None


class Batch(TypedDict):
    """One item of the Distributed Map: up to ``batchSize`` users, one child execution."""

    batch: str
    entries: list[BatchEntry]


class BatchRecords(TypedDict):
    """What ``rotate`` returns for a batch: its entries with their delivery records."""

    entries: list[BatchEntry]


class MapItem(TypedDict):
    """What ``rotate`` gets for one user."""

    user: User
    dry_run: bool
    force: bool
    record: NotRequired[RecordHint | None]


class PlanResult(TypedDict):
    """Where the run's batches are: ``itemsKey`` in ``bucket``; the run's files share ``prefix``."""

    dry_run: bool
    force: bool
    bucket: str
    prefix: str
    itemsKey: str
    count: int
    batches: int


RotateOutcome = Literal["ready", "skipped", "planned"]


class RotateResult(TypedDict):
    """What ``rotate`` returns for one user: names and ids only."""

    username: str
    metadata: str | None
    outcome: RotateOutcome
    secretName: str
    secretArn: str | None
    versionId: str | None
    accessKeyId: str | None
    retireKeyId: str | None
    deliveredVersionId: str | None
    pendingStage: str
    detail: str


class ErrorInfo(TypedDict):
    Error: str
    Cause: NotRequired[str]


class RollBackEvent(RotateResult):
    """A ``ready`` rotate result whose handoff failed, with the handoff's error."""

    error: ErrorInfo


IterationOutcome = Literal["handed_off", "skipped", "planned", "failed"]


class IterationResult(TypedDict, total=False):
    """How one user's Map iteration ended."""

    username: str
    outcome: IterationOutcome
    accessKeyId: str | None
    retireKeyId: str | None
    detail: str
    error: str
    message: str


class RotatedEntry(TypedDict):
    username: str
    accessKeyId: str
    retiredKeyId: str | None


class NotedEntry(TypedDict):
    username: str
    detail: str


class FailedEntry(TypedDict):
    username: str
    error: str
    message: str


class Summary(TypedDict):
    rotated: list[RotatedEntry]
    skipped: list[NotedEntry]
    planned: list[NotedEntry]
    failed: list[FailedEntry]
    dry_run: bool


class Counts(TypedDict):
    rotated: int
    skipped: int
    planned: int
    failed: int


class RunSummary(Summary):
    """The run's output (or failed run's cause): the summary, cut to fit when it is large.

    ``counts`` are always complete; ``truncated`` says whether the lists are; the full summary is
    at ``summaryLocation`` (``s3://bucket/key``).
    """

    counts: Counts
    truncated: bool
    summaryLocation: str


class Resume(TypedDict):
    """Where the next ``finish`` invocation goes on: the next batch, the parts so far."""

    next: int
    parts: int


class FinishResult(TypedDict):
    """What a ``finish`` invocation for the run returns: where to go on, or the run summary."""

    resume: Resume | None
    summary: RunSummary | None
