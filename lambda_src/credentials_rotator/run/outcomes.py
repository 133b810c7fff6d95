"""How one user's iteration ended, reduced to the fields of its outcome (docs/design.md).

The per-user Map ends every iteration with a small object: ``handed_off`` (with the new and the
previous key), ``skipped`` or ``planned`` (with a detail), ``deferred`` (the previous key is still
in use, with its deferral), ``unconfirmed`` (the handoff's outcome is unknown, with the error's
name) or ``failed`` (with an error and a message).
Every message is cut here, where it enters the run's data.
"""

from __future__ import annotations

from collections.abc import Callable

from credentials_rotator.aws.failures import cause_message
from credentials_rotator.model.errors import HandoffUnconfirmed, cut
from credentials_rotator.model.shapes import IterationResult


def normalise(result: object) -> IterationResult:
    """One iteration's result as the batch records it; anything unexpected is a failure."""
    if not isinstance(result, dict):
        return _failed("", "Unknown", f"unexpected result {cut(repr(result), 200)}")
    username = str(result.get("username", ""))
    outcome = result.get("outcome")
    build = _BUILDERS.get(outcome) if isinstance(outcome, str) else None
    if build is None:
        return _failed(username, "Unknown", f"unexpected outcome {cut(repr(outcome), 200)}")
    return build(username, result)


def _handed_off(username: str, result: dict[str, object]) -> IterationResult:
    return {
        "username": username,
        "outcome": "handed_off",
        "accessKeyId": _optional_str(result.get("accessKeyId")),
        "previousKeyId": _optional_str(result.get("previousKeyId")),
    }


def _noted(username: str, result: dict[str, object]) -> IterationResult:
    detail = str(result.get("detail", ""))
    if result.get("outcome") == "skipped":
        return {"username": username, "outcome": "skipped", "detail": detail}
    return {"username": username, "outcome": "planned", "detail": detail}


def _deferred(username: str, result: dict[str, object]) -> IterationResult:
    deferral = result.get("deferral")
    if not isinstance(deferral, dict):
        return _failed(username, "Unknown", "a deferred outcome without its deferral")
    runs = deferral.get("runs")
    return {
        "username": username,
        "outcome": "deferred",
        "detail": cut(str(result.get("detail", ""))),
        "deferral": {
            "username": username,
            "accessKeyId": str(deferral.get("accessKeyId")),
            "lastUsed": _optional_str(deferral.get("lastUsed")),
            "runs": runs if isinstance(runs, int) else 0,
            "action": "deactivated" if deferral.get("action") == "deactivated" else "kept",
        },
    }


def _unconfirmed(username: str, result: dict[str, object]) -> IterationResult:
    return _failed(username, HandoffUnconfirmed.__name__, _unconfirmed_message(result))


def _failed_outcome(username: str, result: dict[str, object]) -> IterationResult:
    message = cause_message(result.get("message"))
    return _failed(username, str(result.get("error") or "Unknown"), message)


_BUILDERS: dict[str, Callable[[str, dict[str, object]], IterationResult]] = {
    "handed_off": _handed_off,
    "skipped": _noted,
    "planned": _noted,
    "deferred": _deferred,
    "unconfirmed": _unconfirmed,
    "failed": _failed_outcome,
}


def _unconfirmed_message(result: dict[str, object]) -> str:
    key, error = result.get("accessKeyId"), result.get("error")
    return (
        f"the handoff of access key {key} could not be confirmed ({error}), so the handler may "
        "hold it; both keys stay active and the next run hands it off again"
    )


def _failed(username: str, error: str, message: str) -> IterationResult:
    return {"username": username, "outcome": "failed", "error": error, "message": cut(message)}


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
