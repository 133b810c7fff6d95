"""``roll_back`` against moto: undoing a handoff the handler refused, unless the key may be held."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_state import (
    NOW,
    PENDING,
    engine,
    hint,
    keys_of,
    load_event,
    new_key,
    record,
    rotate_event,
    stage_map,
)
from credentials_rotator.handlers import roll_back, rotate
from credentials_rotator.model import errors
from credentials_rotator.run import events
from credentials_rotator.settings.config import Config

ERROR = load_event("roll_back.json")["error"]


@pytest.fixture
def rotated(iam: Any, secretsmanager: Any, settings: Config) -> tuple[dict[str, Any], Any, str]:
    """homer's delivered key, a ``ready`` rotate result for its successor, and the delivered
    version."""
    iam.create_user(UserName="homer")
    delivered = new_key(iam)
    version = record(secretsmanager, delivered)
    result = rotate.rotate_user(
        aws=engine(iam, secretsmanager),
        config=settings,
        event=rotate_event(record=hint(secretsmanager, settings)),
        now=NOW,
    )
    return delivered, result, version


def refused(result: Any, error: dict[str, Any] = ERROR) -> Any:
    """The RollBack state's input: the rotate result and the handoff's error, as parsed."""
    return events.parse_roll_back_event({**result, "error": error})


def test_given_a_refused_handoff_when_rolled_back_then_the_delivered_key_is_current_again(
    iam: Any, secretsmanager: Any, rotated: Any, settings: Config
) -> None:
    delivered, result, version = rotated

    failed = roll_back.roll_back(iam, secretsmanager, refused(result), settings)

    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active"}
    got = secretsmanager.get_secret_value(SecretId="ci-keys/homer", VersionStage="AWSCURRENT")
    assert json.loads(got["SecretString"])["AccessKeyId"] == delivered["AccessKeyId"]
    assert got["VersionId"] == version
    assert sorted(got["VersionStages"]) == ["AWSCURRENT"]
    assert stage_map(secretsmanager)[result["versionId"]] == ["AWSPREVIOUS", PENDING]
    assert failed == {
        "username": "homer",
        "outcome": "failed",
        "error": "ConsumerError",
        "message": (
            f"handoff failed: the handler for homer is down; rolled back: deleted the new access "
            f"key {result['accessKeyId']}, secret version {version} is current again"
        ),
    }


def test_given_a_first_rotation_whose_handoff_failed_when_rolled_back_then_only_the_key_goes(
    iam: Any, secretsmanager: Any, settings: Config
) -> None:
    iam.create_user(UserName="bart")
    result = rotate.rotate_user(
        aws=engine(iam, secretsmanager),
        config=settings,
        event=rotate_event("bart"),
        now=NOW,
    )

    failed = roll_back.roll_back(iam, secretsmanager, refused(result), settings)

    assert keys_of(iam, "bart") == {}
    assert stage_map(secretsmanager, "bart") == {result["versionId"]: ["AWSCURRENT", PENDING]}
    assert failed["message"] == (
        "handoff failed: the handler for homer is down; rolled back: deleted the new access key "
        f"{result['accessKeyId']}"
    )


def test_given_a_resumed_handoff_refused_when_rolled_back_then_nothing_changes(
    iam: Any, secretsmanager: Any, rotated: Any, settings: Config
) -> None:
    """GIVEN the key was handed off before without confirmation (the handler may hold it) WHEN
    its new handoff is refused THEN nothing is deleted or moved: the next run tries again."""
    delivered, result, _ = rotated
    before = (keys_of(iam), stage_map(secretsmanager))
    calls: list[str] = []
    for client in (iam, secretsmanager):
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))

    failed = roll_back.roll_back(
        iam, secretsmanager, refused({**result, "resumed": True}), settings
    )

    assert calls == []
    assert (keys_of(iam), stage_map(secretsmanager)) == before
    assert set(before[0]) == {delivered["AccessKeyId"], result["accessKeyId"]}
    assert failed["message"] == (
        f"handoff failed: the handler for homer is down; access key {result['accessKeyId']} was "
        "handed off before without confirmation and may be held, so nothing was deleted; both "
        "keys stay active and the next run hands it off again"
    )


def test_given_the_new_key_already_gone_when_rolled_back_then_the_version_still_moves_back(
    iam: Any, secretsmanager: Any, rotated: Any, settings: Config
) -> None:
    delivered, result, version = rotated
    iam.delete_access_key(UserName="homer", AccessKeyId=result["accessKeyId"])

    failed = roll_back.roll_back(iam, secretsmanager, refused(result), settings)

    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active"}
    assert stage_map(secretsmanager)[version] == ["AWSCURRENT"]
    assert failed["outcome"] == "failed"


def test_given_no_secret_arn_when_rolled_back_then_the_secret_name_is_used(
    iam: Any, secretsmanager: Any, rotated: Any, settings: Config
) -> None:
    _, result, version = rotated
    roll_back.roll_back(iam, secretsmanager, refused({**result, "secretArn": None}), settings)
    assert stage_map(secretsmanager)[version] == ["AWSCURRENT"]


@pytest.mark.parametrize(
    ("error", "name", "reason"),
    [
        ({"Error": "ConsumerError", "Cause": "plain text"}, "ConsumerError", "plain text"),
        ({"Error": "ConsumerError"}, "ConsumerError", "ConsumerError"),
        ({"Error": "ConsumerError", "Cause": ""}, "ConsumerError", "ConsumerError"),
        ({"Cause": '{"errorMessage": "no"}'}, "HandoffFailed", "no"),
        ({"Error": "States.TaskFailed", "Cause": '["a list"]'}, "States.TaskFailed", '["a list"]'),
    ],
)
def test_given_an_error_of_any_shape_when_rolled_back_then_its_name_and_reason_are_reported(
    iam: Any,
    secretsmanager: Any,
    rotated: Any,
    error: Any,
    name: str,
    reason: str,
    settings: Config,
) -> None:
    _, result, _ = rotated
    failed = roll_back.roll_back(iam, secretsmanager, refused(result, error), settings)
    assert failed["error"] == name
    assert failed["message"].startswith(f"handoff failed: {reason}; rolled back: ")


def test_given_a_huge_error_when_rolled_back_then_the_message_is_cut_to_the_limit(
    iam: Any, secretsmanager: Any, rotated: Any, settings: Config
) -> None:
    """GIVEN the handler failed with a 5,000-character message WHEN rolled back THEN the outcome's
    message holds at most 1,000 characters: the handler's reason, marked as shortened, and then
    what the roll back did; the key is still gone."""
    delivered, result, _ = rotated
    cause = json.dumps({"errorMessage": "x" * 5000, "errorType": "Boom", "stackTrace": ["a"] * 50})

    failed = roll_back.roll_back(
        iam, secretsmanager, refused(result, {"Error": "Boom", "Cause": cause}), settings
    )

    assert len(failed["message"]) <= errors.MESSAGE_LIMIT == 1000
    assert failed["message"].startswith("handoff failed: xxx")
    assert " [… shortened]; rolled back: deleted the new access key " in failed["message"]
    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active"}


def test_given_the_sample_event_for_a_real_rotation_when_the_handler_runs_then_it_rolls_back(
    iam: Any, secretsmanager: Any, rotated: Any
) -> None:
    delivered, result, _ = rotated
    event = {**load_event("roll_back.json"), **result}

    failed = roll_back.handler(event, None)

    assert failed["error"] == "ConsumerError"
    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active"}
