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


class MapItem(TypedDict):
    user: User
    dry_run: bool
    force: bool


class PlanResult(TypedDict):
    dry_run: bool
    force: bool
    items: list[MapItem]


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


class FinishEvent(TypedDict):
    dry_run: bool
    results: list[IterationResult]


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
