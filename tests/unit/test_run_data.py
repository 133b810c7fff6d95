"""A run's data at scale: batches in S3, a batch read of delivery records, outcomes, a summary that
fits Step Functions' limits, and a finish that resumes when its time runs short."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_state import NOW, item, new_key, record
from credentials_rotator import delivery, finish, plan, rotate
from credentials_rotator.config import Config
from credentials_rotator.errors import InvalidRunInput

BUCKET = "ci-keys-123456789012-us-east-1-runs"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:ci-keys:scheduled-1"
PREFIX = "runs/scheduled-1/"


def users(count: int) -> list[Any]:
    return [{"username": f"user{n:03d}", "metadata": None} for n in range(count)]


def stored(s3: Any, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def write(s3: Any, count: int, batch_size: int = 20) -> Any:
    return plan.write_batches(
        s3,
        bucket=BUCKET,
        batch_size=batch_size,
        execution_arn=EXECUTION,
        users=users(count),
        dry_run=False,
        force=False,
    )


def test_given_45_users_when_planned_then_they_are_written_in_batches_of_20_in_order(
    s3: Any,
) -> None:
    result = write(s3, 45)

    assert (result["count"], result["batches"], result["itemsKey"]) == (
        45,
        3,
        f"{PREFIX}items.json",
    )
    batches = stored(s3, result["itemsKey"])
    assert [batch["batch"] for batch in batches] == ["00000", "00001", "00002"]
    assert [len(batch["entries"]) for batch in batches] == [20, 20, 5]
    names = [entry["user"]["username"] for batch in batches for entry in batch["entries"]]
    assert names == [user["username"] for user in users(45)]
    assert all(entry["record"] is None for batch in batches for entry in batch["entries"])


def test_given_no_users_when_planned_then_the_run_has_no_batch(s3: Any) -> None:
    result = write(s3, 0)
    assert (result["count"], result["batches"]) == (0, 0)
    assert stored(s3, result["itemsKey"]) == []


def test_given_a_batch_size_below_one_when_planned_then_it_is_refused(s3: Any) -> None:
    with pytest.raises(InvalidRunInput, match="batch size of 0"):
        write(s3, 3, batch_size=0)


def test_given_a_batch_when_its_records_are_read_then_one_call_reads_them_without_secrets(
    iam: Any, secretsmanager: Any, settings: Config
) -> None:
    """GIVEN homer with a delivered key, marge with a run stopped before its handoff, and bart with
    no secret WHEN their batch's records are read THEN one BatchGetSecretValue answers for all,
    with ids and dates only, and the results tell the three states apart."""
    for name in ("homer", "marge", "bart"):
        iam.create_user(UserName=name)
    homer = new_key(iam, "homer")
    record(secretsmanager, homer)
    marge = new_key(iam, "marge")
    record(secretsmanager, marge)
    record(secretsmanager, new_key(iam, "marge"), stages=("AWSCURRENT", "PENDING_HANDOFF"))
    calls: list[str] = []
    secretsmanager.meta.events.register(
        "before-call.secrets-manager", lambda model, **_: calls.append(model.name)
    )
    entries = [
        {"user": {"username": n, "metadata": None}, "record": None}
        for n in ("homer", "marge", "bart")
    ]

    read = rotate.read_batch(
        secretsmanager=secretsmanager, config=settings, event={"batch": "00000", "entries": entries}
    )

    assert calls == ["BatchGetSecretValue"]
    hints = {entry["user"]["username"]: entry["record"] for entry in read["entries"]}
    assert hints["homer"]["accessKeyId"] == homer["AccessKeyId"]
    assert hints["homer"]["pending"] is False
    assert hints["marge"]["pending"] is True
    assert hints["bart"] == {
        "secretArn": None,
        "versionId": None,
        "accessKeyId": None,
        "createDate": None,
        "pending": False,
    }
    assert homer["SecretAccessKey"] not in json.dumps(read)
    assert marge["SecretAccessKey"] not in json.dumps(read)


def test_given_more_than_20_secrets_when_read_then_each_call_reads_at_most_20(
    secretsmanager: Any,
) -> None:
    names = [f"ci-keys/user{n:02d}" for n in range(45)]
    calls: list[int] = []
    secretsmanager.meta.events.register(
        "before-parameter-build.secrets-manager.BatchGetSecretValue",
        lambda params, **_: calls.append(len(params["SecretIdList"])),
    )

    hints = delivery.read_records(secretsmanager, names)

    assert calls == [20, 20, 5]
    assert set(hints) == set(names)


def test_given_a_record_from_the_batch_read_when_rotated_then_the_user_reads_nothing_again(
    iam: Any, secretsmanager: Any, settings: Config
) -> None:
    iam.create_user(UserName="homer")
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    read = rotate.read_batch(
        secretsmanager=secretsmanager,
        config=settings,
        event={"batch": "00000", "entries": [{"user": {"username": "homer"}, "record": None}]},
    )
    calls: list[str] = []
    secretsmanager.meta.events.register(
        "before-call.secrets-manager", lambda model, **_: calls.append(model.name)
    )
    event = {**item(), "record": read["entries"][0]["record"]}

    result = rotate.rotate_user(
        iam=iam,
        secretsmanager=secretsmanager,
        config=settings,
        item=rotate.parse_item(event),
        now=NOW,
    )

    assert calls == ["PutSecretValue"]
    assert result["outcome"] == "ready"
    assert result["retireKeyId"] == delivered["AccessKeyId"]


def test_given_a_malformed_record_when_parsed_then_rotate_refuses_it() -> None:
    with pytest.raises(InvalidRunInput, match="malformed delivery record"):
        rotate.parse_item({**item(), "record": {"secretArn": 3, "pending": False}})


def test_given_a_long_failure_when_recorded_then_the_outcome_keeps_the_readable_part(
    s3: Any,
) -> None:
    cause = json.dumps({"errorMessage": "x" * 5000, "errorType": "Boom", "stackTrace": ["a"] * 50})
    finish.record_outcomes(
        s3,
        {
            "bucket": BUCKET,
            "prefix": PREFIX,
            "batch": "00000",
            "results": [
                {"username": "homer", "outcome": "failed", "error": "Boom", "message": cause},
                {"username": "bart", "outcome": "skipped", "detail": "young key", "extra": 1},
            ],
        },
    )

    homer, bart = stored(s3, f"{PREFIX}outcomes/00000.json")
    assert homer["message"] == "x" * finish.MESSAGE_LIMIT
    assert bart == {"username": "bart", "outcome": "skipped", "detail": "young key"}


def summary_of(rotated: int, failed: int, message: str = "IAM user is gone") -> Any:
    return {
        "rotated": [
            {
                "username": f"user{n:04d}",
                "accessKeyId": "AKIA" + "N" * 16,
                "retiredKeyId": "AKIA" + "O" * 16,
            }
            for n in range(rotated)
        ],
        "skipped": [],
        "planned": [],
        "failed": [
            {"username": f"ghost{n:04d}", "error": "UserNotFound", "message": message}
            for n in range(failed)
        ],
        "dry_run": False,
    }


def test_given_a_small_summary_when_fitted_then_it_is_whole() -> None:
    fitted = finish.fit(summary_of(3, 1), "s3://b/k")
    assert fitted["truncated"] is False
    assert len(fitted["rotated"]) == 3 and len(fitted["failed"]) == 1
    assert fitted["counts"] == {"rotated": 3, "skipped": 0, "planned": 0, "failed": 1}


def test_given_5000_rotated_and_a_few_failed_when_fitted_then_every_failure_stays() -> None:
    fitted = finish.fit(summary_of(5000, 7), "s3://b/k")
    assert len(json.dumps(fitted)) <= finish.SUMMARY_LIMIT
    assert fitted["truncated"] is True
    assert len(fitted["failed"]) == 7
    assert len(fitted["rotated"]) in finish.LIST_CUTS
    assert fitted["rotated"][0]["username"] == "user0000"
    assert fitted["counts"] == {"rotated": 5000, "skipped": 0, "planned": 0, "failed": 7}
    assert fitted["summaryLocation"] == "s3://b/k"


def test_given_5000_failures_with_long_messages_when_fitted_then_the_cause_still_fits() -> None:
    fitted = finish.fit(summary_of(10, 5000, "m" * 1000), "s3://b/k")
    assert len(json.dumps(fitted)) <= finish.SUMMARY_LIMIT < 32_768
    assert fitted["rotated"] == []
    assert 0 < len(fitted["failed"]) < 5000
    assert fitted["counts"]["failed"] == 5000


def test_given_little_time_left_when_finishing_then_it_resumes_where_it_stopped(
    iam: Any, s3: Any, settings: Config
) -> None:
    """GIVEN three batches of outcomes and a finish whose time runs short after each batch WHEN it
    is invoked until done THEN each invocation handles one batch, and the last one returns every
    user once, in order."""
    result = write(s3, 45)
    for index, start in enumerate(range(0, 45, 20)):
        skipped = [
            {"username": user["username"], "outcome": "skipped", "detail": "young"}
            for user in users(45)[start : start + 20]
        ]
        finish.record_outcomes(
            s3, {"bucket": BUCKET, "prefix": PREFIX, "batch": f"{index:05d}", "results": skipped}
        )
    run = {**result, "resume": None}
    slices = 0
    while True:
        slices += 1
        answer = finish.finish_run(
            iam=iam, s3=s3, config=settings, run=run, max_concurrency=2, time_left=lambda: 60.0
        )
        if answer["resume"] is None:
            break
        run = {**result, "resume": answer["resume"]}

    assert slices == 3
    summary = answer["summary"]
    assert summary is not None
    assert [entry["username"] for entry in summary["skipped"]] == [u["username"] for u in users(45)]
    assert stored(s3, f"{PREFIX}summary.json")["counts"]["skipped"] == 45
