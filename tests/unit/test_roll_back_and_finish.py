"""``roll_back`` and ``finish`` against moto: undoing a handoff, retiring old keys, the summary."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_state import NOW, handed_off_event, item, keys_of, load_event, new_key, record, stage_map
from botocore.exceptions import ClientError
from credentials_rotator import finish, roll_back, rotate
from credentials_rotator.config import Config
from credentials_rotator.errors import RotationFailed

RUN_DATA_BUCKET = "ci-keys-123456789012-us-east-1-runs"


@pytest.fixture
def rotated(iam: Any, secretsmanager: Any, settings: Config) -> tuple[dict[str, Any], Any]:
    """homer's delivered key and a ``ready`` rotate result for its successor."""
    iam.create_user(UserName="homer")
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    result = rotate.rotate_user(
        iam=iam, secretsmanager=secretsmanager, config=settings, item=item(), now=NOW
    )
    return delivered, result


def handoff_failed(result: Any) -> dict[str, Any]:
    event = load_event("roll_back.json")
    event.update({k: v for k, v in result.items()})
    return event


def test_given_a_failed_handoff_when_rolled_back_then_the_delivered_key_is_current_again(
    iam: Any, secretsmanager: Any, rotated: Any
) -> None:
    delivered, result = rotated

    failed = roll_back.roll_back(
        iam=iam, secretsmanager=secretsmanager, event=handoff_failed(result)
    )

    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active"}
    got = secretsmanager.get_secret_value(SecretId="ci-keys/homer", VersionStage="AWSCURRENT")
    assert json.loads(got["SecretString"])["AccessKeyId"] == delivered["AccessKeyId"]
    assert sorted(got["VersionStages"]) == ["AWSCURRENT"]
    assert stage_map(secretsmanager)[result["versionId"]] == ["AWSPREVIOUS"]
    assert failed == {
        "username": "homer",
        "outcome": "failed",
        "error": "ConsumerError",
        "message": (
            f"handoff failed: the handler for homer is down; rolled back: deleted the new access "
            f"key {result['accessKeyId']}, secret version {result['deliveredVersionId']} is "
            f"current again"
        ),
    }


def test_given_a_first_rotation_whose_handoff_failed_when_rolled_back_then_only_the_key_goes(
    iam: Any, secretsmanager: Any, settings: Config
) -> None:
    iam.create_user(UserName="bart")
    result = rotate.rotate_user(
        iam=iam, secretsmanager=secretsmanager, config=settings, item=item("bart"), now=NOW
    )

    roll_back.roll_back(iam=iam, secretsmanager=secretsmanager, event=handoff_failed(result))

    assert keys_of(iam, "bart") == {}
    assert stage_map(secretsmanager, "bart") == {
        result["versionId"]: ["AWSCURRENT", "PENDING_HANDOFF"]
    }


def finished(iam: Any, s3: Any, settings: Config, results: list[Any], dry_run: bool = False) -> Any:
    """Record ``results`` as one batch's outcomes, then finish the run; return its summary."""
    prefix = "runs/scheduled-1/"
    users = [
        {"user": {"username": r["username"], "metadata": None}, "record": None} for r in results
    ]
    s3.put_object(
        Bucket=RUN_DATA_BUCKET,
        Key=f"{prefix}items.json",
        Body=json.dumps([{"batch": "00000", "entries": users}]),
    )
    finish.record_outcomes(
        s3, {"bucket": RUN_DATA_BUCKET, "prefix": prefix, "batch": "00000", "results": results}
    )
    run = {
        "dry_run": dry_run,
        "bucket": RUN_DATA_BUCKET,
        "prefix": prefix,
        "itemsKey": f"{prefix}items.json",
        "batches": 1,
    }
    result = finish.finish_run(iam=iam, s3=s3, config=settings, run=run, max_concurrency=2)
    assert result["resume"] is None
    return result["summary"]


def test_given_a_handed_off_user_when_finished_then_only_the_old_key_is_deleted(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated
    summary = finished(iam, s3, settings, [handed_off_event(result)])
    assert keys_of(iam) == {result["accessKeyId"]: "Active"}
    assert summary == {
        "rotated": [
            {
                "username": "homer",
                "accessKeyId": result["accessKeyId"],
                "retiredKeyId": delivered["AccessKeyId"],
            }
        ],
        "skipped": [],
        "planned": [],
        "failed": [],
        "dry_run": False,
        "counts": {"rotated": 1, "skipped": 0, "planned": 0, "failed": 0},
        "truncated": False,
        "summaryLocation": f"s3://{RUN_DATA_BUCKET}/runs/scheduled-1/summary.json",
    }
    stored = s3.get_object(Bucket=RUN_DATA_BUCKET, Key="runs/scheduled-1/summary.json")
    assert json.loads(stored["Body"].read())["rotated"] == summary["rotated"]


def test_given_deactivate_mode_when_finished_then_the_old_key_is_made_inactive(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated
    settings = Config(**{**settings.__dict__, "old_key_action": "deactivate"})
    finished(iam, s3, settings, [handed_off_event(result)])
    assert keys_of(iam) == {delivered["AccessKeyId"]: "Inactive", result["accessKeyId"]: "Active"}


def test_given_an_old_key_already_gone_when_finished_then_the_user_still_counts_as_rotated(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated
    iam.delete_access_key(UserName="homer", AccessKeyId=delivered["AccessKeyId"])
    summary = finished(iam, s3, settings, [handed_off_event(result)])
    assert [entry["username"] for entry in summary["rotated"]] == ["homer"]


def test_given_a_result_naming_the_new_key_as_old_when_finished_then_the_new_key_stays(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    _, result = rotated
    confused = {**handed_off_event(result), "retireKeyId": result["accessKeyId"]}
    with pytest.raises(RotationFailed, match="RetireFailed"):
        finished(iam, s3, settings, [confused])
    assert result["accessKeyId"] in keys_of(iam)


def test_given_a_retire_that_fails_when_finished_then_it_is_recorded_and_the_run_fails(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DeleteAccessKey")

    iam.meta.events.register("before-call.iam.DeleteAccessKey", refuse)
    with pytest.raises(RotationFailed) as raised:
        finished(iam, s3, settings, [handed_off_event(result)])
    summary = json.loads(str(raised.value))
    assert summary["rotated"] == []
    assert summary["failed"] == [
        {
            "username": "homer",
            "error": "RetireFailed",
            "message": (
                f"handed off access key {result['accessKeyId']} but could not delete access key "
                f"{delivered['AccessKeyId']} (AccessDenied: no); the user keeps both keys until "
                f"the next run"
            ),
        }
    ]


def test_given_mixed_results_when_finished_then_the_summary_is_the_failure_message(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    _, result = rotated
    results = load_event("finish.json")["record"]["results"]
    results[0] = handed_off_event(result)
    with pytest.raises(RotationFailed) as raised:
        finished(iam, s3, settings, results)
    summary = json.loads(str(raised.value))
    assert [e["username"] for e in summary["rotated"]] == ["homer"]
    assert summary["skipped"] == [
        {
            "username": "marge",
            "detail": "access key AKIAEXAMPLEMARGE0001 is 3 days old; rotation is due at 30 days",
        }
    ]
    assert summary["failed"] == [
        {"username": "bart", "error": "UserNotFound", "message": "IAM user bart does not exist"}
    ]
    assert summary["dry_run"] is False
    assert summary["counts"] == {"rotated": 1, "skipped": 1, "planned": 0, "failed": 1}


def test_given_a_dry_run_when_finished_then_planned_users_are_listed_and_nothing_retired(
    iam: Any, s3: Any, settings: Config, rotated: Any
) -> None:
    delivered, result = rotated
    planned = {"username": "homer", "outcome": "planned", "detail": "would rotate"}
    summary = finished(iam, s3, settings, [planned], dry_run=True)
    assert summary["planned"] == [{"username": "homer", "detail": "would rotate"}]
    assert summary["dry_run"] is True
    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}
