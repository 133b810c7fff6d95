"""Checking the events the state machine sends to each entry point (the shapes in ``shapes``).

These events come from the module's own state machine, so a malformed one is a bug or a template
out of step with the code: it fails the invocation with ``InvalidRunInput`` naming the field.
"""

from __future__ import annotations

from typing import Any, cast

from credentials_rotator.model.errors import InvalidRunInput
from credentials_rotator.model.shapes import (
    BatchEntry,
    FinishEvent,
    ReadRecordsEvent,
    RecordHint,
    RecordOutcomesEvent,
    RollBackEvent,
    RotateEvent,
    RunData,
    User,
)
from credentials_rotator.run import run_data

_HINT_STRINGS = ("secretArn", "versionId", "accessKeyId", "createDate")


def _field(event: object, key: str, kind: type | tuple[type, ...], entry_point: str) -> Any:
    """``event[key]``, of one of the types ``kind`` (a JSON true is no number here)."""
    value = event.get(key) if isinstance(event, dict) else None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    valid = isinstance(event, dict) and key in event and isinstance(value, kinds)
    if not valid or (isinstance(value, bool) and bool not in kinds):
        raise InvalidRunInput(f"{entry_point} received an event without a valid {key!r}")
    return value


def _user(value: object, entry_point: str) -> User:
    username = _field(value, "username", str, entry_point)
    metadata = _field(value, "metadata", (str, type(None)), entry_point)
    return {"username": username, "metadata": metadata}


def _hint(value: object, entry_point: str) -> RecordHint | None:
    if value is None:
        return None
    for key in _HINT_STRINGS:
        _field(value, key, (str, type(None)), entry_point)
    _field(value, "pending", bool, entry_point)
    hint = cast(RecordHint, {key: value[key] for key in (*_HINT_STRINGS, "pending")})  # type: ignore[index]
    if "deferred" in value:  # type: ignore[operator]
        hint["deferred"] = _field(value, "deferred", bool, entry_point)
    return hint


def _entries(event: object, entry_point: str) -> list[BatchEntry]:
    entries = _field(event, "entries", list, entry_point)
    return [
        {
            "user": _user(_field(entry, "user", dict, entry_point), entry_point),
            "record": _hint(entry.get("record"), entry_point),
        }
        for entry in entries
    ]


def _prefix(event: object, entry_point: str) -> str:
    prefix = _field(event, "prefix", str, entry_point)
    if not prefix.startswith(run_data.RUNS):
        raise InvalidRunInput(f"{entry_point} received a prefix outside the runs' data")
    return str(prefix)


def parse_read_records_event(event: object) -> ReadRecordsEvent:
    return {"entries": _entries(event, "read_records")}


def parse_rotate_event(event: object) -> RotateEvent:
    name = "rotate"
    return {
        "user": _user(_field(event, "user", dict, name), name),
        "record": _hint(_field(event, "record", (dict, type(None)), name), name),
        "dryRun": _field(event, "dryRun", bool, name),
        "force": _field(event, "force", bool, name),
        "prefix": _prefix(event, name),
        "attempt": _field(event, "attempt", int, name),
    }


def parse_roll_back_event(event: object) -> RollBackEvent:
    name = "roll_back"
    for key in ("username", "accessKeyId", "secretName"):
        _field(event, key, str, name)
    for key in ("secretArn", "versionId", "previousVersionId"):
        _field(event, key, (str, type(None)), name)
    _field(event, "resumed", bool, name)
    _field(event, "error", dict, name)
    return cast(RollBackEvent, event)


def parse_record_outcomes_event(event: object) -> RecordOutcomesEvent:
    name = "record_outcomes"
    return {
        "prefix": _prefix(event, name),
        "batch": _field(event, "batch", str, name),
        # Absent from a run a state machine of an earlier version started: no key is known.
        "entries": _entries(event, name) if isinstance(event, dict) and "entries" in event else [],
        "results": _field(event, "results", list, name),
    }


def parse_finish_event(event: object) -> FinishEvent:
    name = "finish"
    run = _field(event, "run", dict, name)
    for key in ("dryRun", "force"):
        _field(run, key, bool, name)
    for key in ("count", "batches"):
        if _field(run, key, int, name) < 0:
            raise InvalidRunInput(f"{name} received a negative {key!r}")
    if "unreachableAccounts" in run and _field(run, "unreachableAccounts", int, name) < 0:
        raise InvalidRunInput(f"{name} received a negative 'unreachableAccounts'")
    prefix = _prefix(run, name)
    if not _field(run, "itemsKey", str, name).startswith(prefix):
        raise InvalidRunInput(f"{name} received items outside the run's prefix")
    resume = _field(event, "resume", (dict, type(None)), name)
    if resume is not None:
        for key in ("next", "parts"):
            if _field(resume, key, int, name) < 0:
                raise InvalidRunInput(f"{name} received a negative {key!r} to resume from")
    return {"run": cast(RunData, run), "resume": resume}
