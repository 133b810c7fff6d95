"""``events``: what each entry point accepts from the state machine; a malformed event fails with
``InvalidRunInput`` naming the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from aws_state import load_event
from credentials_rotator.model.errors import InvalidRunInput
from credentials_rotator.run import events

DROP = object()  # remove the field instead of setting it

HINT = {
    "secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/homer-AbCdEf",
    "versionId": "v-1",
    "accessKeyId": "AKIAAAAAAAAAAAAAAAAA",
    "createDate": "2026-01-01T00:00:00+00:00",
    "pending": False,
}

PARSERS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "read_records": (events.parse_read_records_event, "read_records.json"),
    "rotate": (events.parse_rotate_event, "rotate.json"),
    "roll_back": (events.parse_roll_back_event, "roll_back.json"),
    "record_outcomes": (events.parse_record_outcomes_event, "record_outcomes.json"),
    "finish": (events.parse_finish_event, "finish.json"),
}


def changed(event: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``event`` with the field at ``path`` set to ``value`` (or removed: DROP)."""
    result = copy.deepcopy(event)
    target = result
    for step in path[:-1]:
        target = target[step]
    if value is DROP:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


@pytest.mark.parametrize("entry_point", PARSERS)
def test_given_the_sample_event_when_parsed_then_it_is_accepted_unchanged(
    entry_point: str,
) -> None:
    parse, sample = PARSERS[entry_point]
    event = load_event(sample)
    assert parse(copy.deepcopy(event)) == event


def test_given_a_record_hint_when_parsed_then_it_is_kept_field_by_field() -> None:
    event = {**load_event("rotate.json"), "record": {**HINT, "extra": "dropped"}}
    assert events.parse_rotate_event(event)["record"] == HINT
    entries = {"entries": [{"user": {"username": "homer", "metadata": None}, "record": HINT}]}
    assert events.parse_read_records_event(entries) == entries


def test_given_a_finish_event_resuming_when_parsed_then_where_to_resume_is_kept() -> None:
    event = {**load_event("finish.json"), "resume": {"next": 3, "parts": 2}}
    assert events.parse_finish_event(event)["resume"] == {"next": 3, "parts": 2}


MALFORMED: list[tuple[str, tuple[Any, ...], Any, str]] = [
    # entry point, field path, value, what the message names
    ("read_records", ("entries",), DROP, "'entries'"),
    ("read_records", ("entries",), {"homer": None}, "'entries'"),
    ("read_records", ("entries", 0), "homer", "'user'"),
    ("read_records", ("entries", 0, "user"), DROP, "'user'"),
    ("read_records", ("entries", 0, "user"), "homer", "'user'"),
    ("read_records", ("entries", 0, "user", "username"), 7, "'username'"),
    ("read_records", ("entries", 0, "user", "metadata"), {"team": "ci"}, "'metadata'"),
    ("read_records", ("entries", 0, "record"), ["not", "a", "hint"], "'secretArn'"),
    ("read_records", ("entries", 0, "record"), {**HINT, "versionId": 3}, "'versionId'"),
    ("rotate", ("user",), DROP, "'user'"),
    ("rotate", ("user",), None, "'user'"),
    ("rotate", ("user", "username"), None, "'username'"),
    ("rotate", ("user", "metadata"), 3, "'metadata'"),
    ("rotate", ("record",), "settled", "'record'"),
    ("rotate", ("record",), {**HINT, "secretArn": 3}, "'secretArn'"),
    ("rotate", ("record",), {**HINT, "accessKeyId": ["AKIA"]}, "'accessKeyId'"),
    ("rotate", ("record",), {**HINT, "createDate": 20260101}, "'createDate'"),
    ("rotate", ("record",), {**HINT, "pending": "no"}, "'pending'"),
    ("rotate", ("record",), {**HINT, "pending": None}, "'pending'"),
    ("rotate", ("dryRun",), "yes", "'dryRun'"),
    ("rotate", ("dryRun",), DROP, "'dryRun'"),
    ("rotate", ("force",), 1, "'force'"),
    ("rotate", ("prefix",), DROP, "'prefix'"),
    ("rotate", ("prefix",), "other/scheduled-1/", "a prefix outside the runs' data"),
    ("rotate", ("attempt",), "0", "'attempt'"),
    ("rotate", ("attempt",), DROP, "'attempt'"),
    ("roll_back", ("username",), None, "'username'"),
    ("roll_back", ("accessKeyId",), 3, "'accessKeyId'"),
    ("roll_back", ("secretName",), DROP, "'secretName'"),
    ("roll_back", ("secretArn",), 3, "'secretArn'"),
    ("roll_back", ("versionId",), ["v-1"], "'versionId'"),
    ("roll_back", ("previousVersionId",), 3, "'previousVersionId'"),
    ("roll_back", ("resumed",), "false", "'resumed'"),
    ("roll_back", ("resumed",), DROP, "'resumed'"),
    ("roll_back", ("error",), "ConsumerError", "'error'"),
    ("roll_back", ("error",), DROP, "'error'"),
    ("record_outcomes", ("prefix",), None, "'prefix'"),
    ("record_outcomes", ("prefix",), "/runs/scheduled-1/", "a prefix outside the runs' data"),
    ("record_outcomes", ("batch",), 0, "'batch'"),
    ("record_outcomes", ("results",), {"homer": "handed_off"}, "'results'"),
    ("record_outcomes", ("results",), DROP, "'results'"),
    ("finish", ("run",), DROP, "'run'"),
    ("finish", ("run",), "runs/scheduled-1/", "'run'"),
    ("finish", ("run", "dryRun"), None, "'dryRun'"),
    ("finish", ("run", "force"), "no", "'force'"),
    ("finish", ("run", "count"), "4", "'count'"),
    ("finish", ("run", "count"), -1, "a negative 'count'"),
    ("finish", ("run", "batches"), DROP, "'batches'"),
    ("finish", ("run", "batches"), -1, "a negative 'batches'"),
    ("finish", ("run", "prefix"), "summaries/scheduled-1/", "a prefix outside the runs' data"),
    ("finish", ("run", "itemsKey"), None, "'itemsKey'"),
    ("finish", ("run", "itemsKey"), "runs/scheduled-0/items.json", "items outside the run's"),
    ("finish", ("resume",), 3, "'resume'"),
    ("finish", ("resume",), {"next": 1}, "'parts'"),
    ("finish", ("resume",), {"next": "1", "parts": 0}, "'next'"),
    ("finish", ("resume",), {"next": -1, "parts": 0}, "a negative 'next' to resume from"),
    ("finish", ("resume",), {"next": 0, "parts": -1}, "a negative 'parts' to resume from"),
]


@pytest.mark.parametrize(
    ("entry_point", "path", "value", "named"),
    MALFORMED,
    ids=[
        f"{e}:{'.'.join(map(str, p))}={v if v is not DROP else 'missing'}"
        for e, p, v, _ in MALFORMED
    ],
)
def test_given_a_malformed_field_when_parsed_then_invalid_run_input_names_it(
    entry_point: str, path: tuple[Any, ...], value: Any, named: str
) -> None:
    parse, sample = PARSERS[entry_point]
    with pytest.raises(InvalidRunInput) as raised:
        parse(changed(load_event(sample), path, value))
    assert str(raised.value).startswith(f"{entry_point} received ")
    assert named in str(raised.value)


@pytest.mark.parametrize("entry_point", PARSERS)
@pytest.mark.parametrize("event", [None, [], "{}"], ids=["null", "list", "string"])
def test_given_an_event_that_is_no_object_when_parsed_then_invalid_run_input(
    entry_point: str, event: Any
) -> None:
    parse, _ = PARSERS[entry_point]
    with pytest.raises(InvalidRunInput, match=f"^{entry_point} received "):
        parse(event)


NULLABLE_MISSING: list[tuple[str, tuple[Any, ...]]] = [
    ("read_records", ("entries", 0, "user", "metadata")),
    ("rotate", ("user", "metadata")),
    ("roll_back", ("secretArn",)),
    ("roll_back", ("previousVersionId",)),
    ("finish", ("resume",)),
]


@pytest.mark.parametrize(
    ("entry_point", "path"),
    NULLABLE_MISSING,
    ids=[f"{e}:{'.'.join(map(str, p))}" for e, p in NULLABLE_MISSING],
)
def test_given_a_missing_nullable_field_when_parsed_then_invalid_run_input_names_it(
    entry_point: str, path: tuple[Any, ...]
) -> None:
    parse, sample = PARSERS[entry_point]
    with pytest.raises(InvalidRunInput, match=repr(path[-1])):
        parse(changed(load_event(sample), path, DROP))


@pytest.mark.parametrize(
    ("entry_point", "path"),
    [("rotate", ("attempt",)), ("finish", ("run", "count")), ("finish", ("run", "batches"))],
)
def test_given_true_for_a_number_when_parsed_then_invalid_run_input_names_it(
    entry_point: str, path: tuple[Any, ...]
) -> None:
    parse, sample = PARSERS[entry_point]
    with pytest.raises(InvalidRunInput, match=repr(path[-1])):
        parse(changed(load_event(sample), path, True))
