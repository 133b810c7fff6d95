"""The run's Embedded Metric Format records (``metrics``) and the oldest key in use they report
(``summary``): what CloudWatch Logs would turn into metrics."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
from credentials_rotator.aws import metrics
from credentials_rotator.model import summary
from credentials_rotator.settings.config import Config

NOW = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.UTC)


def whole(**lists: Any) -> Any:
    return {**summary.empty(), **lists, "dryRun": False}


def failed(*errors: str) -> list[dict[str, str]]:
    return [{"username": f"u{n}", "error": e, "message": ""} for n, e in enumerate(errors)]


def test_given_a_run_then_its_record_declares_each_metric_beside_its_value(
    settings: Config,
) -> None:
    run = whole(
        rotated=[{"username": "homer", "accessKeyId": "AKIAN", "previousKeyId": None}],
        failed=failed("UserNotFound", "UserNotFound", "RetireFailed"),
        oldestKey={
            "username": "bart",
            "accessKeyId": "AKIAB",
            "createDate": "2026-11-01T00:00:00+00:00",
            "ageDays": 28.5,
        },
    )

    records = metrics.run_records(settings, run, duration_seconds=12.3456, now=NOW)

    first = records[0]
    assert first["_aws"] == {
        "Timestamp": int(NOW.timestamp() * 1000),
        "CloudWatchMetrics": [
            {
                "Namespace": "CredentialsRotator",
                "Dimensions": [["Rotator"]],
                "Metrics": [
                    *(
                        {"Name": f"Users{kind}", "Unit": "Count"}
                        for kind in ("Rotated", "Skipped", "Failed", "Deferred")
                    ),
                    {"Name": "RunDurationSeconds", "Unit": "Seconds"},
                    {"Name": "OldestKeyAgeDays", "Unit": "None"},
                ],
            }
        ],
    }
    assert {k: v for k, v in first.items() if k != "_aws"} == {
        "Rotator": "ci-keys",
        "UsersRotated": 1,
        "UsersSkipped": 0,
        "UsersFailed": 3,
        "UsersDeferred": 0,
        "RunDurationSeconds": 12.346,
        "OldestKeyAgeDays": 28.5,
    }
    by_error = {r["Error"]: r["UsersFailed"] for r in records[1:]}
    assert by_error == {"RetireFailed": 1, "UserNotFound": 2}
    assert all(
        r["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Rotator", "Error"]]
        for r in records[1:]
    )


def test_given_no_known_key_then_the_age_metric_is_left_out(settings: Config) -> None:
    (record,) = metrics.run_records(settings, whole(), duration_seconds=1, now=NOW)
    assert "OldestKeyAgeDays" not in record
    assert "OldestKeyAgeDays" not in json.dumps(record["_aws"])


def test_records_are_one_json_line_each() -> None:
    out = io.StringIO()
    metrics.write([{"a": 1}, {"b": 2}], out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        # a user not handed a new key holds the key its record named
        (
            [
                {
                    "username": "bart",
                    "outcome": "skipped",
                    "deliveredKey": {
                        "accessKeyId": "AKIAB",
                        "createDate": "2026-10-01T00:00:00+00:00",
                    },
                },
                {
                    "username": "lisa",
                    "outcome": "failed",
                    "deliveredKey": {
                        "accessKeyId": "AKIAL",
                        "createDate": "2026-09-01T00:00:00+00:00",
                    },
                },
            ],
            ("lisa", "AKIAL", 89.5),
        ),
        # a handed-off user holds a key no older than its batch's outcomes
        (
            [{"username": "homer", "outcome": "handed_off", "accessKeyId": "AKIAH"}],
            ("homer", "AKIAH", 0.5),
        ),
        # a user whose record was not read is not counted
        ([{"username": "moe", "outcome": "failed", "deliveredKey": None}], None),
    ],
)
def test_given_outcomes_then_the_oldest_key_in_use_and_its_age(
    outcomes: list[Any], expected: tuple[str, str, float] | None
) -> None:
    recorded = NOW - datetime.timedelta(hours=12)
    entries = summary.empty()
    for outcome in outcomes:
        summary.note_held_key(entries, outcome, recorded)

    oldest = summary.aged(entries["oldestKey"], NOW)

    found = (
        None if oldest is None else (oldest["username"], oldest["accessKeyId"], oldest["ageDays"])
    )
    assert found == expected


def test_given_parts_then_the_oldest_key_is_the_oldest_of_all_parts() -> None:
    first, second = summary.empty(), summary.empty()
    first["oldestKey"] = {
        "username": "a",
        "accessKeyId": "K1",
        "createDate": "2026-05-01T00:00:00+00:00",
    }
    second["oldestKey"] = {
        "username": "b",
        "accessKeyId": "K2",
        "createDate": "2026-04-01T00:00:00+00:00",
    }

    merged = summary.merge([first, summary.empty(), second], dry_run=False)

    assert merged["oldestKey"] == second["oldestKey"]
