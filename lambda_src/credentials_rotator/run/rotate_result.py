"""The result of ``rotate`` (docs/design.md, "State machine"): names and ids, never a secret."""

from __future__ import annotations

from typing import Any

from credentials_rotator.aws.accounts import handoff_names
from credentials_rotator.model.shapes import PENDING_STAGE, RotateEvent, RotateOutcome, RotateResult
from credentials_rotator.settings.config import Config


def result(
    event: RotateEvent, config: Config, outcome: RotateOutcome, detail: str, **ids: Any
) -> RotateResult:
    """What ``rotate`` returns for the user of ``event``: names, the outcome and its detail, and
    the ids in ``ids`` (never a secret)."""
    user = event["user"]
    result: RotateResult = {
        "username": user["username"],
        **handoff_names(user["username"], config),
        "metadata": user["metadata"],
        "outcome": outcome,
        "secretName": config.secret_name(user["username"]),
        "secretArn": None,
        "versionId": None,
        "accessKeyId": None,
        "previousKeyId": None,
        "previousVersionId": None,
        "resumed": False,
        "pendingStage": PENDING_STAGE,
        "detail": detail,
        "deferral": None,
    }
    result.update(ids)  # type: ignore[typeddict-item]
    return result
