"""``rotate`` against moto: the decision table rows, the delivery record, policy and dry run."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from aws_state import NOW, current, keys_of, new_key, record, record_calls, run, stage_map
from botocore.exceptions import ClientError
from credentials_rotator import rotate
from credentials_rotator.config import Config
from credentials_rotator.errors import (
    AmbiguousAccessKeys,
    InvalidRunInput,
    SecretWriteFailed,
    UnknownAccessKey,
    UserNotFound,
)

SECRET_FIELDS = {"UserName", "AccessKeyId", "Status", "SecretAccessKey", "CreateDate"}


@pytest.fixture
def homer(iam: Any) -> str:
    iam.create_user(UserName="homer")
    return "homer"


def test_given_a_new_user_when_rotated_then_a_tagged_secret_holds_the_pending_key(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    result = run(iam, secretsmanager, settings)

    value, stages = current(secretsmanager)
    assert set(value) == SECRET_FIELDS
    assert value["AccessKeyId"] == result["accessKeyId"]
    assert value["UserName"] == "homer"
    assert datetime.datetime.fromisoformat(value["CreateDate"]).tzinfo is not None
    assert stages == ["AWSCURRENT", "PENDING_HANDOFF"]
    assert keys_of(iam) == {result["accessKeyId"]: "Active"}
    described = secretsmanager.describe_secret(SecretId="ci-keys/homer")
    assert described["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert result["outcome"] == "ready"
    assert result["retireKeyId"] is None
    assert result["deliveredVersionId"] is None
    assert result["metadata"] == "deploys the power plant"
    assert result["secretArn"] == described["ARN"]
    assert value["SecretAccessKey"] not in json.dumps(result)


def test_given_a_customer_kms_key_when_the_secret_is_created_then_it_uses_that_key(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    kms = "arn:aws:kms:us-east-1:123456789012:key/0d5c3a6e-1111-2222-3333-444455556666"
    settings = Config(**{**settings.__dict__, "secret_kms_key_id": kms})
    run(iam, secretsmanager, settings)
    assert secretsmanager.describe_secret(SecretId="ci-keys/homer")["KmsKeyId"] == kms


def test_given_a_secret_without_a_version_when_rotated_then_the_first_version_is_written(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    secretsmanager.create_secret(Name="ci-keys/homer", Description="made by Terraform")
    calls = record_calls(secretsmanager)
    result = run(iam, secretsmanager, settings)
    assert "CreateSecret" not in calls
    assert current(secretsmanager)[0]["AccessKeyId"] == result["accessKeyId"]
    described = secretsmanager.describe_secret(SecretId="ci-keys/homer")
    assert described["Description"] == "made by Terraform"


def test_given_a_delivered_key_when_rotated_then_the_normal_path_never_lists_keys(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    version = record(secretsmanager, delivered)
    calls = record_calls(iam, secretsmanager)

    result = run(iam, secretsmanager, settings)

    assert calls == ["GetSecretValue", "CreateAccessKey", "PutSecretValue"]
    assert result["retireKeyId"] == delivered["AccessKeyId"]
    assert result["deliveredVersionId"] == version
    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active", result["accessKeyId"]: "Active"}
    assert stage_map(secretsmanager)[version] == ["AWSPREVIOUS"]


def test_given_delivered_and_inactive_keys_when_rotated_then_the_inactive_one_is_deleted_first(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    inactive = new_key(iam, inactive=True)
    calls = record_calls(iam)

    result = run(iam, secretsmanager, settings)

    assert calls == ["CreateAccessKey", "ListAccessKeys", "DeleteAccessKey", "CreateAccessKey"]
    assert inactive["AccessKeyId"] not in keys_of(iam)
    assert result["retireKeyId"] == delivered["AccessKeyId"]


def test_given_deactivate_mode_when_rotated_then_keys_are_listed_before_creating(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    settings = Config(**{**settings.__dict__, "old_key_action": "deactivate"})
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    inactive = new_key(iam, inactive=True)
    calls = record_calls(iam)

    result = run(iam, secretsmanager, settings)

    assert calls == ["ListAccessKeys", "DeleteAccessKey", "CreateAccessKey"]
    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}
    assert inactive["AccessKeyId"] not in keys_of(iam)


def test_given_a_run_stopped_before_its_handoff_when_rotated_then_the_record_is_repaired(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """GIVEN delivered + an Active key this rotator wrote but never handed off (a crashed run)."""
    delivered = new_key(iam)
    delivered_version = record(secretsmanager, delivered)
    stranded = new_key(iam)
    stranded_version = record(secretsmanager, stranded, ("AWSCURRENT", "PENDING_HANDOFF"))

    result = run(iam, secretsmanager, settings)

    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}
    assert result["retireKeyId"] == delivered["AccessKeyId"]
    assert result["deliveredVersionId"] == delivered_version
    stages = stage_map(secretsmanager)
    assert stages[result["versionId"]] == ["AWSCURRENT", "PENDING_HANDOFF"]
    assert stages[delivered_version] == ["AWSPREVIOUS"]
    assert "PENDING_HANDOFF" not in stages.get(stranded_version, [])


def test_given_a_first_run_stopped_before_its_handoff_when_rotated_then_its_key_is_replaced(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    stranded = new_key(iam)
    record(secretsmanager, stranded, ("AWSCURRENT", "PENDING_HANDOFF"))

    result = run(iam, secretsmanager, settings)

    assert keys_of(iam) == {result["accessKeyId"]: "Active"}
    assert result["retireKeyId"] is None
    assert result["deliveredVersionId"] is None


def test_given_delivered_and_an_undelivered_previous_key_when_rotated_then_it_is_deleted(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """GIVEN a previous run failed to retire: the AWSPREVIOUS key is still Active."""
    superseded = new_key(iam)
    record(secretsmanager, superseded)
    delivered = new_key(iam)
    record(secretsmanager, delivered)

    result = run(iam, secretsmanager, settings)

    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}


def test_given_delivered_and_an_unknown_active_key_when_rotated_then_nothing_changes(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    unknown = new_key(iam)
    before = (keys_of(iam), stage_map(secretsmanager))

    with pytest.raises(UnknownAccessKey, match=unknown["AccessKeyId"]):
        run(iam, secretsmanager, settings)

    assert (keys_of(iam), stage_map(secretsmanager)) == before


def test_given_two_active_keys_and_no_record_when_rotated_then_nothing_changes(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    new_key(iam)
    new_key(iam)
    before = keys_of(iam)
    with pytest.raises(AmbiguousAccessKeys):
        run(iam, secretsmanager, settings)
    assert keys_of(iam) == before


def test_given_one_inactive_one_active_and_no_record_when_rotated_then_the_active_is_adopted(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    inactive = new_key(iam, inactive=True)
    active = new_key(iam)

    result = run(iam, secretsmanager, settings)

    assert inactive["AccessKeyId"] not in keys_of(iam)
    assert result["retireKeyId"] == active["AccessKeyId"]
    assert result["deliveredVersionId"] is None


def test_given_a_missing_user_when_rotated_then_user_not_found_and_no_secret(
    iam: Any, secretsmanager: Any, settings: Config
) -> None:
    with pytest.raises(UserNotFound, match="ghost"):
        run(iam, secretsmanager, settings, username="ghost")
    assert secretsmanager.list_secrets()["SecretList"] == []


def test_given_a_deleted_user_with_a_record_when_rotated_then_user_not_found(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    key = new_key(iam)
    record(secretsmanager, key)
    iam.delete_access_key(UserName="homer", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="homer")
    with pytest.raises(UserNotFound, match="homer"):
        run(iam, secretsmanager, settings)


def test_given_the_secret_cannot_be_written_when_rotated_then_the_new_key_is_deleted_again(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)

    def refuse(**_: Any) -> None:
        error = {"Code": "InternalServiceError", "Message": "Secrets Manager is unavailable"}
        raise ClientError({"Error": error}, "PutSecretValue")

    secretsmanager.meta.events.register("before-call.secrets-manager.PutSecretValue", refuse)

    with pytest.raises(SecretWriteFailed, match="ci-keys/homer"):
        run(iam, secretsmanager, settings)

    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active"}


def test_given_a_young_delivered_key_when_rotated_then_it_is_skipped_with_its_age(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    settings = Config(**{**settings.__dict__, "max_key_age_days": 30})
    delivered = new_key(iam)
    record(secretsmanager, delivered, created=NOW - datetime.timedelta(days=12))

    result = run(iam, secretsmanager, settings)

    assert result["outcome"] == "skipped"
    assert result["detail"] == (
        f"access key {delivered['AccessKeyId']} is 12 days old; rotation is due at 30 days"
    )
    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active"}


def test_given_a_young_key_and_force_when_rotated_then_it_rotates(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    settings = Config(**{**settings.__dict__, "max_key_age_days": 30})
    delivered = new_key(iam)
    record(secretsmanager, delivered, created=NOW - datetime.timedelta(days=12))

    result = run(iam, secretsmanager, settings, force=True)

    assert result["outcome"] == "ready"
    assert result["retireKeyId"] == delivered["AccessKeyId"]


def test_given_an_old_key_when_rotated_with_a_policy_then_it_rotates(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    settings = Config(**{**settings.__dict__, "max_key_age_days": 30})
    delivered = new_key(iam)
    record(secretsmanager, delivered, created=NOW - datetime.timedelta(days=31))
    assert run(iam, secretsmanager, settings)["outcome"] == "ready"


def test_given_a_dry_run_when_rotated_then_it_reports_the_plan_and_changes_nothing(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    inactive = new_key(iam, inactive=True)
    before = (keys_of(iam), stage_map(secretsmanager))
    calls = record_calls(iam, secretsmanager)

    result = run(iam, secretsmanager, settings, dry_run=True)

    assert result["outcome"] == "planned"
    assert result["detail"] == (
        f"would delete inactive access key {inactive['AccessKeyId']}; "
        f"create a new access key and hand it off; then retire access key "
        f"{delivered['AccessKeyId']}"
    )
    assert result["accessKeyId"] is None
    assert set(calls) == {"GetSecretValue", "ListAccessKeys"}
    assert (keys_of(iam), stage_map(secretsmanager)) == before


def test_given_a_dry_run_with_an_unknown_key_when_rotated_then_it_reports_the_failure(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    new_key(iam)
    with pytest.raises(UnknownAccessKey):
        run(iam, secretsmanager, settings, dry_run=True)


@pytest.mark.parametrize(
    "event",
    [
        {"user": {"username": "homer"}, "dry_run": "yes", "force": False},
        {"user": {"username": 7}, "dry_run": False, "force": False},
        {"user": {"username": "homer", "metadata": 3}, "dry_run": False, "force": False},
        {"dry_run": False, "force": False},
    ],
)
def test_given_a_malformed_item_when_parsed_then_invalid_run_input(event: Any) -> None:
    with pytest.raises(InvalidRunInput):
        rotate.parse_item(event)
