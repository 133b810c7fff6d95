"""The events and results the entry points exchange through the state machine (docs/design.md).

Field names are camelCase in every state payload. None of them ever holds a secret value.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from credentials_rotator.model.summary_shapes import (
    Counts,
    DeferredEntry,
    Entries,
    FailedEntry,
    NotedEntry,
    OldestKey,
    RotatedEntry,
    RunSummary,
    Summary,
)

__all__ = [
    "Counts",
    "DeferredEntry",
    "Entries",
    "FailedEntry",
    "NotedEntry",
    "OldestKey",
    "RotatedEntry",
    "RunSummary",
    "Summary",
]

# The staging label of a secret version whose handoff is not confirmed (docs/design.md).
PENDING_STAGE = "PENDING_HANDOFF"
# The staging label of the delivered version while its predecessor is kept because a consumer
# still uses it (``in_use``): the batch's read of the current version then tells ``rotate`` to
# check that key before anything else, the key-age policy included.
DEFERRED_STAGE = "RETIREMENT_DEFERRED"


class User(TypedDict):
    username: str
    metadata: str | None


# --- plan ------------------------------------------------------------------------------------


class PlanEvent(TypedDict):
    """What the state machine passes to ``plan``: the run input and the execution's identity."""

    input: object
    executionArn: str
    startTime: NotRequired[str]


class RunData(TypedDict):
    """Where the run's files are, and how the run goes; plan's result, passed whole to finish."""

    dryRun: bool
    force: bool
    prefix: str
    itemsKey: str
    count: int
    batches: int
    # Member accounts whose users could not be listed (``unreachable_key``); absent from a run
    # an earlier template started.
    unreachableAccounts: NotRequired[int]


# --- a batch: read_records, record_outcomes ---------------------------------------------------


class RecordHint(TypedDict):
    """A user's delivery record as read for its batch: its AWSCURRENT version, ids only.

    ``secretArn`` is None when the secret (or its current version) does not exist.
    """

    secretArn: str | None
    versionId: str | None
    accessKeyId: str | None
    createDate: str | None
    pending: bool
    # The version carries DEFERRED_STAGE; absent from a hint an earlier release read.
    deferred: NotRequired[bool]


class BatchEntry(TypedDict):
    """One user in a batch; ``record`` is None until the batch's records are read."""

    user: User
    record: RecordHint | None


class Batch(TypedDict):
    """One item of the Distributed Map: one child execution."""

    batch: str
    entries: list[BatchEntry]


class ReadRecordsEvent(TypedDict):
    entries: list[BatchEntry]


class ReadRecordsResult(TypedDict):
    entries: list[BatchEntry]


IterationOutcome = Literal["handed_off", "skipped", "planned", "deferred", "unconfirmed", "failed"]


class DeliveredKey(TypedDict):
    """The key a user's handler held when its batch was read, by its record (``record_outcomes``
    adds it to a user that was not handed a new key: its age is the age of a key in use)."""

    accessKeyId: str | None
    createDate: str


class IterationResult(TypedDict, total=False):
    """How one user's iteration of the batch ended (the per-user Map's results)."""

    username: str
    outcome: IterationOutcome
    accessKeyId: str | None
    previousKeyId: str | None
    detail: str
    error: str
    message: str
    deferral: DeferredEntry | None
    deliveredKey: DeliveredKey | None


class RecordOutcomesEvent(TypedDict):
    prefix: str
    batch: str
    entries: list[BatchEntry]
    results: list[object]


class RecordedBatch(TypedDict):
    batch: str
    count: int


# --- one user: rotate, roll_back --------------------------------------------------------------


class RotateEvent(TypedDict):
    """What ``rotate`` gets for one user: the batch's read of its record, how the run goes, the
    run's ``prefix`` and the Task's retry count ``attempt`` (0 at first)."""

    user: User
    record: RecordHint | None
    dryRun: bool
    force: bool
    prefix: str
    attempt: int


RotateOutcome = Literal["ready", "unusable", "skipped", "planned", "deferred"]


class HandoffNames(TypedDict):
    """The user's account and IAM user name, as the handler gets them (a rotator's user name is
    ``<account_id>/<username>`` for a member user: ``accounts``)."""

    accountId: str
    iamUsername: str


class RotateResult(HandoffNames):
    """What ``rotate`` returns for one user: names and ids only.

    ``ready``: hand off ``accessKeyId`` (secret version ``versionId``); after a confirmed handoff
    ``previousKeyId`` is retired, and a refused handoff makes ``previousVersionId`` current again.
    ``resumed``: the key was handed off before without confirmation, so the handler may hold it
    and a refusal deletes nothing. ``unusable``: the new key never proved it works (``detail``
    says how it was refused); it is rolled back as a refused handoff is. ``deferred``: the previous
    key is still in use (``deferral``), so nothing was created.
    """

    username: str
    metadata: str | None
    outcome: RotateOutcome
    secretName: str
    secretArn: str | None
    versionId: str | None
    accessKeyId: str | None
    previousKeyId: str | None
    previousVersionId: str | None
    resumed: bool
    pendingStage: str
    detail: str
    deferral: DeferredEntry | None


class ErrorInfo(TypedDict):
    """A Step Functions Catch's error output."""

    Error: str
    Cause: NotRequired[str]


class RollBackEvent(RotateResult):
    """A ``ready`` rotate result whose handoff the handler refused, with the handoff's error."""

    error: ErrorInfo


# --- the run's end: finish --------------------------------------------------------------------


class Resume(TypedDict):
    """Where the next ``finish`` invocation goes on: the next batch, the summary parts so far."""

    next: int
    parts: int


class FinishEvent(TypedDict):
    run: RunData
    resume: Resume | None


class Failure(TypedDict):
    """How the run ends FAILED: the Fail state's error and cause."""

    error: str
    cause: str


class FinishResult(TypedDict):
    """Where to go on (``resume``), or the run summary and, when any user failed, the failure."""

    resume: Resume | None
    summary: RunSummary | None
    failure: Failure | None
