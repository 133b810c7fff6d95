"""How each user's iteration ended (``outcomes.normalise``), and the batch's file of them
(``record_outcomes``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_state import PREFIX, load_event, stored
from credentials_rotator.handlers import record_outcomes
from credentials_rotator.run import outcomes
from credentials_rotator.run.events import parse_record_outcomes_event
from credentials_rotator.settings.config import Config

KEY = "AKIAEXAMPLEHOMER0002"
OLD = "AKIAEXAMPLEHOMER0001"

NORMALISED: dict[str, tuple[Any, dict[str, Any]]] = {
    "handed off": (
        {"username": "homer", "outcome": "handed_off", "accessKeyId": KEY, "previousKeyId": OLD},
        {"username": "homer", "outcome": "handed_off", "accessKeyId": KEY, "previousKeyId": OLD},
    ),
    "handed off, nothing to retire, extra fields dropped": (
        {
            "username": "homer",
            "outcome": "handed_off",
            "accessKeyId": KEY,
            "previousKeyId": None,
            "secretArn": "arn",
            "detail": "x",
        },
        {"username": "homer", "outcome": "handed_off", "accessKeyId": KEY, "previousKeyId": None},
    ),
    "skipped": (
        {"username": "marge", "outcome": "skipped", "detail": "young key", "extra": 1},
        {"username": "marge", "outcome": "skipped", "detail": "young key"},
    ),
    "planned without a detail": (
        {"username": "marge", "outcome": "planned"},
        {"username": "marge", "outcome": "planned", "detail": ""},
    ),
    "unconfirmed": (
        {
            "username": "lisa",
            "outcome": "unconfirmed",
            "accessKeyId": KEY,
            "error": "Sandbox.Timedout",
        },
        {
            "username": "lisa",
            "outcome": "failed",
            "error": "HandoffUnconfirmed",
            "message": (
                f"the handoff of access key {KEY} could not be confirmed (Sandbox.Timedout), so "
                "the handler may hold it; both keys stay active and the next run hands it off again"
            ),
        },
    ),
    "failed with a Lambda error's cause": (
        {
            "username": "bart",
            "outcome": "failed",
            "error": "UserNotFound",
            "message": json.dumps(
                {"errorMessage": "IAM user bart does not exist", "errorType": "UserNotFound"}
            ),
        },
        {
            "username": "bart",
            "outcome": "failed",
            "error": "UserNotFound",
            "message": "IAM user bart does not exist",
        },
    ),
    "failed with a plain cause": (
        {"username": "bart", "outcome": "failed", "error": "States.Timeout", "message": "late"},
        {"username": "bart", "outcome": "failed", "error": "States.Timeout", "message": "late"},
    ),
    "failed without error or message": (
        {"username": "bart", "outcome": "failed"},
        {"username": "bart", "outcome": "failed", "error": "Unknown", "message": ""},
    ),
    "an unknown outcome": (
        {"username": "bart", "outcome": "exploded"},
        {
            "username": "bart",
            "outcome": "failed",
            "error": "Unknown",
            "message": "unexpected outcome 'exploded'",
        },
    ),
    "no outcome": (
        {"username": "bart"},
        {
            "username": "bart",
            "outcome": "failed",
            "error": "Unknown",
            "message": "unexpected outcome None",
        },
    ),
    "not an object": (
        ["bart"],
        {
            "username": "",
            "outcome": "failed",
            "error": "Unknown",
            "message": "unexpected result ['bart']",
        },
    ),
}


@pytest.mark.parametrize(("result", "normalised"), NORMALISED.values(), ids=NORMALISED.keys())
def test_given_an_iteration_result_when_normalised_then_the_outcome_the_batch_records(
    result: Any, normalised: dict[str, Any]
) -> None:
    assert outcomes.normalise(result) == normalised


def test_given_a_long_failure_when_normalised_then_the_readable_part_is_kept_and_cut() -> None:
    cause = json.dumps({"errorMessage": "x" * 5000, "errorType": "Boom", "stackTrace": ["a"] * 50})
    normalised = outcomes.normalise(
        {"username": "homer", "outcome": "failed", "error": "Boom", "message": cause}
    )
    assert len(normalised["message"]) <= 1000
    assert normalised["message"].startswith("x" * 900)
    assert "stackTrace" not in normalised["message"]


@pytest.mark.parametrize(
    "result",
    [["x" * 5000], {"username": "homer", "outcome": "y" * 5000}],
    ids=["result", "outcome"],
)
def test_given_a_huge_unexpected_value_when_normalised_then_the_message_stays_short(
    result: Any,
) -> None:
    assert len(outcomes.normalise(result)["message"]) < 300


def test_given_a_batch_when_its_outcomes_are_recorded_then_the_run_data_holds_them(
    s3: Any, settings: Config
) -> None:
    event = parse_record_outcomes_event(load_event("record_outcomes.json"))

    recorded = record_outcomes.record_outcomes(s3, settings, event)

    assert recorded == {"batch": "00000", "count": 4}
    marge_key = {"accessKeyId": "AKIAEXAMPLEMARGE0001", "createDate": "2026-01-02T03:04:05+00:00"}
    assert stored(s3, f"{PREFIX}outcomes/00000.json") == [
        outcomes.normalise(event["results"][0]),
        {**outcomes.normalise(event["results"][1]), "deliveredKey": marge_key},
        *({**outcomes.normalise(result), "deliveredKey": None} for result in event["results"][2:]),
    ]
    assert [o["outcome"] for o in stored(s3, f"{PREFIX}outcomes/00000.json")] == [
        "handed_off",
        "skipped",
        "failed",
        "failed",
    ]


def test_given_the_sample_event_when_the_handler_runs_then_the_file_is_written(
    s3: Any,
) -> None:
    assert record_outcomes.handler(load_event("record_outcomes.json"), None)["count"] == 4
    bart = stored(s3, f"{PREFIX}outcomes/00000.json")[2]
    assert bart == {
        "username": "bart",
        "outcome": "failed",
        "error": "UserNotFound",
        "message": "IAM user bart does not exist",
        "deliveredKey": None,
    }


def test_given_a_run_of_an_earlier_template_when_recorded_then_no_key_is_known_and_all_is_kept(
    s3: Any, settings: Config
) -> None:
    """GIVEN a RecordOutcomes event without ``entries`` (a run an earlier state machine started
    before an upgrade) WHEN recorded THEN every outcome is kept, none with a known key."""
    event = load_event("record_outcomes.json")
    del event["entries"]

    record_outcomes.record_outcomes(s3, settings, parse_record_outcomes_event(event))

    kept = stored(s3, f"{PREFIX}outcomes/00000.json")
    assert [o["username"] for o in kept] == ["homer", "marge", "bart", "lisa"]
    assert [o.get("deliveredKey") for o in kept[1:]] == [None, None, None]


def test_given_a_pending_record_when_recorded_then_its_delivered_key_is_unknown(
    s3: Any, settings: Config
) -> None:
    """GIVEN marge's record shows a key pending its handoff WHEN recorded THEN her delivered key
    (the AWSPREVIOUS version's, which the batch did not read) is not guessed."""
    event = load_event("record_outcomes.json")
    event["entries"][1]["record"]["pending"] = True

    record_outcomes.record_outcomes(s3, settings, parse_record_outcomes_event(event))

    assert stored(s3, f"{PREFIX}outcomes/00000.json")[1]["deliveredKey"] is None
