"""How one user's iteration ended, reduced to the fields of its outcome (docs/design.md).

The per-user Map ends every iteration with a small object: ``handed_off`` (with the new and the
previous key), ``skipped`` or ``planned`` (with a detail), ``unconfirmed`` (the handoff's outcome
is unknown, with the error's name) or ``failed`` (with an error and a message).
Every message is cut here, where it enters the run's data.
"""

from __future__ import annotations

from credentials_rotator.errors import HandoffUnconfirmed, cut
from credentials_rotator.failures import cause_message
from credentials_rotator.shapes import IterationResult


def normalise(result: object) -> IterationResult:
    """One iteration's result as the batch records it; anything unexpected is a failure."""
    if not isinstance(result, dict):
        return _failed("", "Unknown", f"unexpected result {cut(repr(result), 200)}")
    username = str(result.get("username", ""))
    outcome = result.get("outcome")
    if outcome == "handed_off":
        return {
            "username": username,
            "outcome": "handed_off",
            "accessKeyId": _optional_str(result.get("accessKeyId")),
            "previousKeyId": _optional_str(result.get("previousKeyId")),
        }
    if outcome in ("skipped", "planned"):
        return {"username": username, "outcome": outcome, "detail": str(result.get("detail", ""))}
    if outcome == "unconfirmed":
        return _failed(username, HandoffUnconfirmed.__name__, _unconfirmed_message(result))
    if outcome == "failed":
        message = cause_message(result.get("message"))
        return _failed(username, str(result.get("error") or "Unknown"), message)
    return _failed(username, "Unknown", f"unexpected outcome {cut(repr(outcome), 200)}")


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
