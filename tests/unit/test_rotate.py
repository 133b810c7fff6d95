"""``rotate`` against moto: the normal path, the decision table's rows, the record, policy, dry run.

A user's record reaches rotate the way the state machine passes it: as the batch read it
(``hint``), or not at all when the batch could not read it (``record=None``).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import boto3
import pytest
from aws_state import (
    NOW,
    PENDING,
    PREFIX,
    current,
    engine,
    execution,
    hint,
    items,
    key_meta,
    keys_of,
    listing_sfn,
    load_event,
    make_current,
    new_key,
    put_json,
    record,
    record_calls,
    rotate_event,
    stage_map,
    use,
    value_of,
    write,
)
from botocore.exceptions import ClientError
from credentials_rotator.handlers import rotate
from credentials_rotator.model.errors import (
    AmbiguousAccessKeys,
    KeyStillInUse,
    RecordReplaced,
    SecretWriteFailed,
    UnconfirmedKeyInactive,
    UnknownAccessKey,
    UserNotFound,
)
from credentials_rotator.settings.config import Config

from testkit.key_propagation import Propagation
from testkit.world_clock import WorldClock

SECRET_FIELDS = {"UserName", "AccessKeyId", "Status", "SecretAccessKey", "CreateDate"}
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def homer(iam: Any) -> str:
    iam.create_user(UserName="homer")
    return "homer"


def run(
    iam: Any,
    secretsmanager: Any,
    settings: Config,
    *,
    sfn: Any = None,
    s3: Any = None,
    now: datetime.datetime = NOW,
    **event: Any,
) -> Any:
    return rotate.rotate_user(
        aws=engine(iam, secretsmanager, sfn, s3),
        config=settings,
        event=rotate_event(**event),
        now=now,
    )


def signed_with(key: dict[str, Any]) -> Any:
    """An STS client that signs with ``key``: a call with it is a use IAM records."""
    return boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        aws_session_token=None,
    )


def refuse(client: Any, event_name: str, code: str, message: str = "refused") -> None:
    """Make every call of one operation fail with an AWS error."""

    operation = event_name.rsplit(".", maxsplit=1)[-1]

    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": message}}, operation)

    client.meta.events.register(f"before-call.{event_name}", fail)


# --- a first rotation -------------------------------------------------------------------------


@pytest.mark.parametrize("batch_read", [False, True], ids=["unread", "read: no secret"])
def test_given_a_new_user_when_rotated_then_a_tagged_secret_holds_the_pending_key(
    iam: Any, secretsmanager: Any, settings: Config, homer: str, batch_read: bool
) -> None:
    record_ = hint(secretsmanager, settings) if batch_read else None

    result = run(iam, secretsmanager, settings, record=record_)

    value, stages = current(secretsmanager)
    assert set(value) == SECRET_FIELDS
    assert value["AccessKeyId"] == result["accessKeyId"]
    assert value["UserName"] == "homer"
    assert datetime.datetime.fromisoformat(value["CreateDate"]).tzinfo is not None
    assert stages == ["AWSCURRENT", PENDING]
    assert keys_of(iam) == {result["accessKeyId"]: "Active"}
    described = secretsmanager.describe_secret(SecretId="ci-keys/homer")
    assert described["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert result == {
        "username": "homer",
        "accountId": "123456789012",
        "iamUsername": "homer",
        "metadata": "deploys the power plant",
        "outcome": "ready",
        "secretName": "ci-keys/homer",
        "secretArn": described["ARN"],
        "versionId": next(iter(stage_map(secretsmanager))),
        "accessKeyId": value["AccessKeyId"],
        "previousKeyId": None,
        "previousVersionId": None,
        "resumed": False,
        "pendingStage": PENDING,
        "detail": f"created access key {value['AccessKeyId']}; nothing to retire after the handoff",
        "deferral": None,
    }
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


# --- the normal path --------------------------------------------------------------------------


def test_given_a_settled_record_from_the_batch_when_rotated_then_two_calls_only(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """GIVEN the batch read a settled record WHEN rotated THEN the normal path: CreateAccessKey
    then PutSecretValue, and nothing else (no read, no listing)."""
    delivered = new_key(iam)
    version = record(secretsmanager, delivered)
    batch_read = hint(secretsmanager, settings)
    calls = record_calls(iam, secretsmanager)

    result = run(iam, secretsmanager, settings, record=batch_read)

    assert calls == ["CreateAccessKey", "PutSecretValue"]
    assert result["previousKeyId"] == delivered["AccessKeyId"]
    assert result["previousVersionId"] == version
    assert result["resumed"] is False
    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active", result["accessKeyId"]: "Active"}
    assert stage_map(secretsmanager) == {
        version: ["AWSPREVIOUS"],
        result["versionId"]: ["AWSCURRENT", PENDING],
    }
    assert result["detail"] == (
        f"created access key {result['accessKeyId']}; retires access key "
        f"{delivered['AccessKeyId']} after the handoff"
    )


def test_given_a_new_key_that_never_works_when_rotated_then_it_is_recorded_and_unusable(
    iam: Any, secretsmanager: Any, settings: Config, homer: str, propagation: Propagation
) -> None:
    """GIVEN IAM never accepts homer's new key WHEN rotated THEN the key is recorded as pending
    first (a function dying during the checks leaves it known), and the result is ``unusable``,
    saying why, for the state machine to roll back; the secret is in no result."""
    delivered = new_key(iam)
    version = record(secretsmanager, delivered)
    propagation.forever.add("homer")

    result = run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    assert result["outcome"] == "unusable"
    assert result["detail"].startswith(
        f"new access key {result['accessKeyId']} did not authenticate as user homer 3 times in a "
        "row within 60 s"
    )
    assert (result["previousKeyId"], result["previousVersionId"]) == (
        delivered["AccessKeyId"],
        version,
    )
    assert stage_map(secretsmanager)[result["versionId"]] == ["AWSCURRENT", PENDING]
    assert value_of(secretsmanager, result["versionId"])["AccessKeyId"] == result["accessKeyId"]
    secret = value_of(secretsmanager, result["versionId"])["SecretAccessKey"]
    assert secret not in json.dumps(result)


def test_given_verification_off_when_rotated_then_a_key_iam_refuses_is_ready(
    iam: Any, secretsmanager: Any, settings: Config, homer: str, propagation: Propagation
) -> None:
    propagation.forever.add("homer")
    settings = Config(**{**settings.__dict__, "verify_new_key_seconds": None})

    result = run(iam, secretsmanager, settings)

    assert result["outcome"] == "ready"
    assert propagation.checks_of(result["accessKeyId"]) == 0


def test_given_no_record_from_the_batch_when_rotated_then_it_reads_the_record_itself(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    version = record(secretsmanager, delivered)
    calls = record_calls(iam, secretsmanager)

    result = run(iam, secretsmanager, settings, record=None)

    assert calls == [
        "GetSecretValue",
        "GetSecretValue",
        "ListAccessKeys",
        "CreateAccessKey",
        "PutSecretValue",
    ]
    assert (result["previousKeyId"], result["previousVersionId"]) == (
        delivered["AccessKeyId"],
        version,
    )


def test_given_two_keys_on_the_normal_path_when_rotated_then_limit_exceeded_falls_back(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """GIVEN a settled record and an inactive second key WHEN CreateAccessKey answers
    LimitExceeded THEN rotate lists the keys, decides, deletes the inactive one and creates."""
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    inactive = new_key(iam, inactive=True)
    batch_read = hint(secretsmanager, settings)
    calls = record_calls(iam, secretsmanager)

    result = run(iam, secretsmanager, settings, record=batch_read)

    assert calls == [
        "CreateAccessKey",
        "ListAccessKeys",
        "DeleteAccessKey",
        "CreateAccessKey",
        "PutSecretValue",
    ]
    assert inactive["AccessKeyId"] not in keys_of(iam)
    assert result["previousKeyId"] == delivered["AccessKeyId"]


def test_given_the_superseded_key_still_active_when_rotated_then_it_is_deleted_as_retired(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """GIVEN a previous run failed to retire: the AWSPREVIOUS key is still Active, unused WHEN
    rotated from the batch's record (current version only) THEN its AWSPREVIOUS version explains
    the key, which is checked for a use since its successor (no deferral recorded) and deleted;
    no run is looked up."""
    superseded = new_key(iam)
    record(secretsmanager, superseded)
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    batch_read = hint(secretsmanager, settings)
    calls = record_calls(iam, secretsmanager)

    result = run(iam, secretsmanager, settings, record=batch_read)

    assert calls == [
        "CreateAccessKey",
        "ListAccessKeys",
        "GetSecretValue",
        "DescribeSecret",
        "GetAccessKeyLastUsed",
        "DeleteAccessKey",
        "CreateAccessKey",
        "PutSecretValue",
    ]
    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}
    assert result["deferral"] is None


def test_given_the_superseded_key_used_since_its_successor_when_rotated_then_nothing_changes(
    iam: Any, secretsmanager: Any, settings: Config, homer: str, world_clock: WorldClock
) -> None:
    """GIVEN the AWSPREVIOUS key is still Active and was used after its successor was created
    (over a second later: IAM gives its creation to the second) WHEN rotated THEN rotate
    defers: the result is ``deferred`` with the key, its last use and one run; the secret's tag
    records it; no key is created or deleted."""
    superseded = new_key(iam)
    record(secretsmanager, superseded)
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    world_clock.advance(datetime.timedelta(seconds=1.01))  # a use over a second after its successor
    signed_with(superseded).get_caller_identity()
    keys = keys_of(iam)

    result = run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    assert result["outcome"] == "deferred"
    deferral = result["deferral"]
    assert (deferral["accessKeyId"], deferral["runs"], deferral["action"]) == (
        superseded["AccessKeyId"],
        1,
        "kept",
    )
    assert result["detail"].startswith(f"access key {superseded['AccessKeyId']} of user homer")
    assert keys_of(iam) == keys
    tags = secretsmanager.describe_secret(SecretId="ci-keys/homer")["Tags"]
    (tag,) = [t["Value"] for t in tags if t["Key"] == "credentials-rotator:in-use"]
    assert tag.split(" ")[:2] == [superseded["AccessKeyId"], "1"]
    assert tag.split(" ")[3] == rotate_event()["prefix"]


def test_given_the_max_deferrals_th_run_when_its_rotate_is_retried_then_the_retry_fails_too(
    iam: Any, secretsmanager: Any, settings: Config, homer: str, world_clock: WorldClock
) -> None:
    """GIVEN max_deferrals = 1 and homer's superseded key used after its successor WHEN rotate
    fails him with KeyStillInUse and Step Functions retries the invocation (its answer was lost)
    THEN the retry, which finds its own run's deferral, fails him the same way: the alarm is not
    silenced for a run."""
    settings = Config(**{**settings.__dict__, "max_deferrals": 1})
    superseded = new_key(iam)
    record(secretsmanager, superseded)
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    world_clock.advance(datetime.timedelta(seconds=1.01))  # a use over a second after its successor
    signed_with(superseded).get_caller_identity()

    with pytest.raises(KeyStillInUse, match="runs in a row: 1"):
        run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))
    with pytest.raises(KeyStillInUse, match="runs in a row: 1"):
        run(iam, secretsmanager, settings, record=None, attempt=1)
    assert superseded["AccessKeyId"] in keys_of(iam)


def test_given_a_refused_key_left_as_the_retired_version_when_rotated_then_it_goes_unchecked(
    iam: Any, secretsmanager: Any, settings: Config, homer: str, world_clock: WorldClock
) -> None:
    """GIVEN a refused key R that roll back could not delete (its version retired but still
    pending), whose only uses are the rotator's proofs, a second after the delivered key WHEN
    rotated THEN R is deleted without asking IAM when it was used (nobody ever kept it), and a
    new key is created: no deferral."""
    delivered = new_key(iam)
    delivered_version = record(secretsmanager, delivered)
    # the proofs of R come over a second after the delivered key's creation
    world_clock.advance(datetime.timedelta(seconds=1.01))
    refused = new_key(iam)
    record(secretsmanager, refused, stages=("AWSCURRENT", PENDING))
    signed_with(refused).get_caller_identity()  # the rotator's proof
    make_current(secretsmanager, delivered_version)  # roll back's first step
    calls = record_calls(iam)

    result = run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    assert result["outcome"] == "ready"
    assert result["deferral"] is None
    assert "GetAccessKeyLastUsed" not in calls
    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}


def test_given_deactivate_mode_when_rotated_then_keys_are_listed_before_creating(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    settings = Config(**{**settings.__dict__, "old_key_action": "deactivate"})
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    inactive = new_key(iam, inactive=True)
    batch_read = hint(secretsmanager, settings)
    calls = record_calls(iam)

    result = run(iam, secretsmanager, settings, record=batch_read)

    assert calls == ["ListAccessKeys", "DeleteAccessKey", "CreateAccessKey"]
    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}
    assert inactive["AccessKeyId"] not in keys_of(iam)


# --- a retry ----------------------------------------------------------------------------------


def test_given_a_retry_after_the_key_was_written_when_rotated_then_it_hands_that_key_off(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """GIVEN the first attempt created and recorded a key, then its answer was lost (the Task is
    retried with the same batch record) WHEN the retry runs THEN it ignores the batch's record,
    finds the key it wrote and hands it off again: no third key."""
    delivered = new_key(iam)
    version = record(secretsmanager, delivered)
    batch_read = hint(secretsmanager, settings)
    first = run(iam, secretsmanager, settings, record=batch_read)
    calls = record_calls(iam, secretsmanager)

    retried = run(iam, secretsmanager, settings, record=batch_read, attempt=1)

    assert calls[0] == "GetSecretValue"  # the record, read again: the hint is stale
    assert "CreateAccessKey" not in calls and "PutSecretValue" not in calls
    assert retried["resumed"] is True
    assert (retried["accessKeyId"], retried["versionId"]) == (
        first["accessKeyId"],
        first["versionId"],
    )
    assert (retried["previousKeyId"], retried["previousVersionId"]) == (
        delivered["AccessKeyId"],
        version,
    )
    assert set(keys_of(iam)) == {delivered["AccessKeyId"], first["accessKeyId"]}


def test_given_a_retry_after_the_key_was_created_but_not_written_then_it_is_a_stray(
    iam: Any, secretsmanager: Any, s3: Any, dated: Any, settings: Config, homer: str
) -> None:
    """GIVEN the first attempt of this run created a key and died before recording it WHEN the
    retry runs THEN the key is proven this run's stray (created since the run wrote its items,
    planned, never used), deleted, and a new key takes its place."""
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    batch_read = hint(secretsmanager, settings)
    orphan = new_key(iam)  # the first attempt's key
    created = key_meta(iam, orphan["AccessKeyId"])["CreateDate"]
    put_json(s3, f"{PREFIX}items.json", items(["homer"]))
    dated[f"{PREFIX}items.json"] = created - MINUTE
    this_run = execution("scheduled-1", "RUNNING", created - MINUTE)

    result = run(
        iam,
        secretsmanager,
        settings,
        sfn=listing_sfn(this_run),
        s3=s3,
        now=created + MINUTE,
        record=batch_read,
        attempt=1,
    )

    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}
    assert result["previousKeyId"] == delivered["AccessKeyId"]


def test_given_a_key_created_this_run_on_the_first_attempt_then_it_is_someone_elses(
    iam: Any, secretsmanager: Any, s3: Any, dated: Any, settings: Config, homer: str
) -> None:
    """On its first attempt no key of this run can exist: an unexplained key is unknown."""
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    other = new_key(iam)
    created = key_meta(iam, other["AccessKeyId"])["CreateDate"]
    put_json(s3, f"{PREFIX}items.json", items(["homer"]))
    dated[f"{PREFIX}items.json"] = created - MINUTE
    this_run = execution("scheduled-1", "RUNNING", created - MINUTE)
    before = (keys_of(iam), stage_map(secretsmanager))

    with pytest.raises(UnknownAccessKey, match=other["AccessKeyId"]):
        run(
            iam,
            secretsmanager,
            settings,
            sfn=listing_sfn(this_run),
            s3=s3,
            now=created + MINUTE,
            record=hint(secretsmanager, settings),
        )

    assert (keys_of(iam), stage_map(secretsmanager)) == before


# --- strays of an earlier run -----------------------------------------------------------------


@pytest.mark.parametrize("used", [False, True], ids=["never used", "used"])
def test_given_a_key_an_earlier_run_left_when_rotated_then_deleted_only_if_never_used(
    iam: Any, secretsmanager: Any, s3: Any, dated: Any, settings: Config, homer: str, used: bool
) -> None:
    """GIVEN delivered and an Active key created while run scheduled-0 (which planned homer, and
    was stopped before homer's batch recorded anything) could act WHEN rotated THEN an unused key
    is its stray and is deleted; a used one is not the rotator's and the user fails untouched."""
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    left = new_key(iam)
    if used:
        use(left)
    created = key_meta(iam, left["AccessKeyId"])["CreateDate"]
    put_json(s3, "runs/scheduled-0/items.json", items(["bart", "homer"]))
    dated["runs/scheduled-0/items.json"] = created - MINUTE
    died = execution("scheduled-0", "ABORTED", created - MINUTE, created + MINUTE)
    batch_read = hint(secretsmanager, settings)

    if used:
        with pytest.raises(UnknownAccessKey, match=left["AccessKeyId"]):
            run(iam, secretsmanager, settings, sfn=listing_sfn(died), s3=s3, record=batch_read)
        assert left["AccessKeyId"] in keys_of(iam)
        return
    result = run(iam, secretsmanager, settings, sfn=listing_sfn(died), s3=s3, record=batch_read)
    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}


# --- keys whose handoff was never confirmed ---------------------------------------------------


def test_given_an_unconfirmed_key_when_rotated_then_it_is_handed_off_again_and_nothing_created(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """GIVEN a run wrote a key and its handoff's outcome was unknown (the handler may hold it)
    WHEN the next run rotates THEN the same key is handed off again, nothing is created."""
    delivered = new_key(iam)
    delivered_version = record(secretsmanager, delivered)
    unconfirmed = new_key(iam)
    unconfirmed_version = record(secretsmanager, unconfirmed, ("AWSCURRENT", PENDING))
    before = (keys_of(iam), stage_map(secretsmanager))
    calls = record_calls(iam, secretsmanager)

    result = run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    assert "CreateAccessKey" not in calls and "PutSecretValue" not in calls
    assert (keys_of(iam), stage_map(secretsmanager)) == before
    assert result["outcome"] == "ready"
    assert result["resumed"] is True
    assert (result["accessKeyId"], result["versionId"]) == (
        unconfirmed["AccessKeyId"],
        unconfirmed_version,
    )
    assert (result["previousKeyId"], result["previousVersionId"]) == (
        delivered["AccessKeyId"],
        delivered_version,
    )
    assert result["detail"] == f"hands off access key {unconfirmed['AccessKeyId']} again"


def test_given_an_unconfirmed_first_key_when_rotated_then_it_is_handed_off_retiring_nothing(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    unconfirmed = new_key(iam)
    record(secretsmanager, unconfirmed, ("AWSCURRENT", PENDING))

    result = run(iam, secretsmanager, settings)

    assert result["resumed"] is True
    assert result["accessKeyId"] == unconfirmed["AccessKeyId"]
    assert (result["previousKeyId"], result["previousVersionId"]) == (None, None)
    assert keys_of(iam) == {unconfirmed["AccessKeyId"]: "Active"}


def test_given_an_unconfirmed_key_made_inactive_when_rotated_then_nothing_changes(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    unconfirmed = new_key(iam, inactive=True)
    record(secretsmanager, unconfirmed, ("AWSCURRENT", PENDING))
    before = (keys_of(iam), stage_map(secretsmanager))

    with pytest.raises(UnconfirmedKeyInactive, match=unconfirmed["AccessKeyId"]):
        run(iam, secretsmanager, settings)

    assert (keys_of(iam), stage_map(secretsmanager)) == before


def test_given_a_dead_unconfirmed_key_when_rotated_then_the_delivered_version_is_restored(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """GIVEN the unconfirmed key was deleted by hand WHEN rotated THEN AWSCURRENT goes back to the
    delivered version first, so that the new key's version leaves it as AWSPREVIOUS: the version
    a roll back restores, and the key finish retires."""
    delivered = new_key(iam)
    delivered_version = record(secretsmanager, delivered)
    dead = new_key(iam)
    dead_version = record(secretsmanager, dead, ("AWSCURRENT", PENDING))
    iam.delete_access_key(UserName="homer", AccessKeyId=dead["AccessKeyId"])

    result = run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}
    assert (result["previousKeyId"], result["previousVersionId"]) == (
        delivered["AccessKeyId"],
        delivered_version,
    )
    stages = stage_map(secretsmanager)
    assert stages == {
        result["versionId"]: ["AWSCURRENT", PENDING],
        delivered_version: ["AWSPREVIOUS"],
    }
    assert dead_version not in stages


def test_given_a_dead_unconfirmed_first_key_when_rotated_then_a_new_key_retires_nothing(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    dead = new_key(iam)
    record(secretsmanager, dead, ("AWSCURRENT", PENDING))
    iam.delete_access_key(UserName="homer", AccessKeyId=dead["AccessKeyId"])

    result = run(iam, secretsmanager, settings)

    assert keys_of(iam) == {result["accessKeyId"]: "Active"}
    assert (result["previousKeyId"], result["previousVersionId"]) == (None, None)
    assert [s for s in stage_map(secretsmanager).values() if PENDING in s] == [
        ["AWSCURRENT", PENDING]
    ]


# --- values replaced by hand ------------------------------------------------------------------


def test_given_the_value_replaced_by_hand_over_delivered_when_rotated_then_it_is_restored(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    delivered_version = record(secretsmanager, delivered)
    write(secretsmanager, "homer", '{"password": "not a key"}')

    result = run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    assert (result["previousKeyId"], result["previousVersionId"]) == (
        delivered["AccessKeyId"],
        delivered_version,
    )
    assert stage_map(secretsmanager)[delivered_version] == ["AWSPREVIOUS"]


def test_given_the_value_replaced_while_a_key_awaited_confirmation_then_nothing_changes(
    iam: Any, secretsmanager: Any, s3: Any, settings: Config, homer: str
) -> None:
    """GIVEN someone put a value over a version that awaited confirmation WHEN rotated THEN the
    rotator cannot tell which key the handler holds: the user fails, nothing changes."""
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    unconfirmed = new_key(iam)
    record(secretsmanager, unconfirmed, ("AWSCURRENT", PENDING))
    write(secretsmanager, "homer", '{"password": "not a key"}')
    before = (keys_of(iam), stage_map(secretsmanager))

    with pytest.raises(RecordReplaced, match=unconfirmed["AccessKeyId"]):
        run(iam, secretsmanager, settings, sfn=listing_sfn(), s3=s3)

    assert (keys_of(iam), stage_map(secretsmanager)) == before


# --- keys the record does not explain ---------------------------------------------------------


def test_given_delivered_and_an_unknown_active_key_when_rotated_then_nothing_changes(
    iam: Any, secretsmanager: Any, s3: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    unknown = new_key(iam)
    before = (keys_of(iam), stage_map(secretsmanager))

    with pytest.raises(UnknownAccessKey, match=unknown["AccessKeyId"]):
        run(
            iam,
            secretsmanager,
            settings,
            sfn=listing_sfn(),
            s3=s3,
            record=hint(secretsmanager, settings),
        )

    assert (keys_of(iam), stage_map(secretsmanager)) == before


def test_given_two_active_keys_and_no_record_when_rotated_then_nothing_changes(
    iam: Any, secretsmanager: Any, s3: Any, settings: Config, homer: str
) -> None:
    new_key(iam)
    new_key(iam)
    before = keys_of(iam)
    with pytest.raises(AmbiguousAccessKeys):
        run(iam, secretsmanager, settings, sfn=listing_sfn(), s3=s3)
    assert keys_of(iam) == before
    assert secretsmanager.list_secrets()["SecretList"] == []


def test_given_one_active_key_and_no_record_when_rotated_then_it_is_adopted_without_its_secret(
    iam: Any, secretsmanager: Any, s3: Any, settings: Config, homer: str
) -> None:
    """GIVEN a key the rotator did not create and no record WHEN rotated THEN it is recorded as
    the delivered key first, in a version without SecretAccessKey (the rotator never had it),
    which the new key's version leaves as AWSPREVIOUS."""
    inactive = new_key(iam, inactive=True)
    active = new_key(iam)
    created = key_meta(iam, active["AccessKeyId"])["CreateDate"]

    result = run(iam, secretsmanager, settings, sfn=listing_sfn(), s3=s3)

    assert inactive["AccessKeyId"] not in keys_of(iam)
    assert result["previousKeyId"] == active["AccessKeyId"]
    adopted_version = result["previousVersionId"]
    assert adopted_version is not None
    assert value_of(secretsmanager, adopted_version) == {
        "UserName": "homer",
        "AccessKeyId": active["AccessKeyId"],
        "Status": "Active",
        "CreateDate": created.isoformat(),
    }
    assert stage_map(secretsmanager) == {
        adopted_version: ["AWSPREVIOUS"],
        result["versionId"]: ["AWSCURRENT", PENDING],
    }


def test_given_a_missing_user_when_rotated_then_user_not_found_and_no_secret(
    iam: Any, secretsmanager: Any, settings: Config
) -> None:
    with pytest.raises(UserNotFound, match="ghost"):
        run(iam, secretsmanager, settings, username="ghost")
    assert secretsmanager.list_secrets()["SecretList"] == []


@pytest.mark.parametrize("batch_read", [False, True], ids=["unread", "settled"])
def test_given_a_deleted_user_with_a_record_when_rotated_then_user_not_found(
    iam: Any, secretsmanager: Any, settings: Config, homer: str, batch_read: bool
) -> None:
    key = new_key(iam)
    record(secretsmanager, key)
    iam.delete_access_key(UserName="homer", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName="homer")
    record_ = hint(secretsmanager, settings) if batch_read else None
    with pytest.raises(UserNotFound, match="homer"):
        run(iam, secretsmanager, settings, record=record_)


# --- the secret write fails -------------------------------------------------------------------


def test_given_the_secret_cannot_be_written_when_rotated_then_the_new_key_is_deleted_again(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    version = record(secretsmanager, delivered)
    refuse(secretsmanager, "secrets-manager.PutSecretValue", "InternalServiceError", "down")
    created: list[str] = []
    iam.meta.events.register(
        "after-call.iam.CreateAccessKey",
        lambda parsed, **_: created.append(parsed["AccessKey"]["AccessKeyId"]),
    )

    with pytest.raises(SecretWriteFailed) as raised:
        run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active"}
    assert stage_map(secretsmanager) == {version: ["AWSCURRENT"]}
    assert str(raised.value) == (
        "could not store the new access key of user homer in secret ci-keys/homer "
        "(InternalServiceError: down); the new key was deleted again"
    )
    assert len(created) == 1


def test_given_the_write_and_the_cleanup_fail_when_rotated_then_the_stray_is_named(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    refuse(secretsmanager, "secrets-manager.PutSecretValue", "InternalServiceError", "down")
    refuse(iam, "iam.DeleteAccessKey", "ServiceFailure", "IAM is down")

    with pytest.raises(SecretWriteFailed) as raised:
        run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    (left,) = set(keys_of(iam)) - {delivered["AccessKeyId"]}
    assert str(raised.value) == (
        "could not store the new access key of user homer in secret ci-keys/homer "
        f"(InternalServiceError: down); the new key {left} could not be deleted either "
        "(ServiceFailure: IAM is down); the next run removes it as a stray"
    )


# --- the key-age policy -----------------------------------------------------------------------


@pytest.mark.parametrize("batch_read", [False, True], ids=["unread", "settled"])
def test_given_a_young_delivered_key_when_rotated_then_it_is_skipped_with_its_age(
    iam: Any, secretsmanager: Any, settings: Config, homer: str, batch_read: bool
) -> None:
    settings = Config(**{**settings.__dict__, "max_key_age_days": 30})
    delivered = new_key(iam)
    record(secretsmanager, delivered, created=NOW - datetime.timedelta(days=12))
    record_ = hint(secretsmanager, settings) if batch_read else None
    calls = record_calls(iam, secretsmanager)

    result = run(iam, secretsmanager, settings, record=record_)

    assert result["outcome"] == "skipped"
    assert result["detail"] == (
        f"access key {delivered['AccessKeyId']} is 12 days old; rotation is due at 30 days"
    )
    assert result["accessKeyId"] is None
    assert calls == ([] if batch_read else ["GetSecretValue", "GetSecretValue"])
    assert keys_of(iam) == {delivered["AccessKeyId"]: "Active"}


def test_given_a_young_key_and_force_when_rotated_then_it_rotates(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    settings = Config(**{**settings.__dict__, "max_key_age_days": 30})
    delivered = new_key(iam)
    record(secretsmanager, delivered, created=NOW - datetime.timedelta(days=12))

    result = run(iam, secretsmanager, settings, force=True)

    assert result["outcome"] == "ready"
    assert result["previousKeyId"] == delivered["AccessKeyId"]


def test_given_an_old_key_when_rotated_with_a_policy_then_it_rotates(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    settings = Config(**{**settings.__dict__, "max_key_age_days": 30})
    delivered = new_key(iam)
    record(secretsmanager, delivered, created=NOW - datetime.timedelta(days=31))
    batch_read = hint(secretsmanager, settings)
    assert run(iam, secretsmanager, settings, record=batch_read)["outcome"] == "ready"


def test_given_a_young_key_awaiting_confirmation_when_rotated_then_the_policy_does_not_skip(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """Only a settled record is skipped for age: an unconfirmed key is handed off again."""
    settings = Config(**{**settings.__dict__, "max_key_age_days": 30})
    delivered = new_key(iam)
    record(secretsmanager, delivered, created=NOW - datetime.timedelta(days=40))
    unconfirmed = new_key(iam)
    record(secretsmanager, unconfirmed, ("AWSCURRENT", PENDING), created=NOW - MINUTE)

    result = run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    assert result["outcome"] == "ready"
    assert result["resumed"] is True


# --- dry runs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_read", [False, True], ids=["unread", "settled"])
def test_given_a_dry_run_when_rotated_then_it_reports_the_plan_and_changes_nothing(
    iam: Any, secretsmanager: Any, settings: Config, homer: str, batch_read: bool
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    inactive = new_key(iam, inactive=True)
    record_ = hint(secretsmanager, settings) if batch_read else None
    before = (keys_of(iam), stage_map(secretsmanager))
    calls = record_calls(iam, secretsmanager)

    result = run(iam, secretsmanager, settings, dry_run=True, record=record_)

    assert result["outcome"] == "planned"
    assert result["detail"] == (
        f"would delete inactive access key {inactive['AccessKeyId']}; "
        f"create a new access key and hand it off; then retire access key "
        f"{delivered['AccessKeyId']}"
    )
    assert result["accessKeyId"] is None
    assert set(calls) <= {"GetSecretValue", "ListAccessKeys"}
    assert "ListAccessKeys" in calls
    assert (keys_of(iam), stage_map(secretsmanager)) == before


def test_given_a_dry_run_with_an_unknown_key_when_rotated_then_it_reports_the_failure(
    iam: Any, secretsmanager: Any, s3: Any, settings: Config, homer: str
) -> None:
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    new_key(iam)
    with pytest.raises(UnknownAccessKey):
        run(iam, secretsmanager, settings, sfn=listing_sfn(), s3=s3, dry_run=True)


def test_given_a_dry_run_of_an_unconfirmed_key_then_it_says_it_would_hand_it_off_again(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    unconfirmed = new_key(iam)
    record(secretsmanager, unconfirmed, ("AWSCURRENT", PENDING))
    result = run(iam, secretsmanager, settings, dry_run=True)
    assert result["detail"] == (
        f"would hand off access key {unconfirmed['AccessKeyId']} again; retire nothing"
    )


# --- the handler ------------------------------------------------------------------------------


def test_given_the_sample_event_when_the_handler_runs_then_the_user_is_ready(
    iam: Any, secretsmanager: Any, s3: Any, homer: str
) -> None:
    """GIVEN the engine's own clients (the handler's factories, in moto) WHEN the Lambda handler
    gets the state machine's event THEN it parses it and rotates."""
    result = rotate.handler(load_event("rotate.json"), None)
    assert result["outcome"] == "ready"
    assert keys_of(iam) == {result["accessKeyId"]: "Active"}


def test_given_a_rolled_back_handoff_whose_key_is_left_when_rotated_then_it_is_retired(
    iam: Any, secretsmanager: Any, settings: Config, homer: str
) -> None:
    """GIVEN a roll back moved AWSCURRENT back to the delivered version (its refused version keeps
    PENDING_HANDOFF, as in AWS) WHEN the next run rotates THEN the refused key is retired and the
    pending label is on the new version only."""
    delivered = new_key(iam)
    delivered_version = record(secretsmanager, delivered)
    refused = new_key(iam)
    refused_version = record(secretsmanager, refused, ("AWSCURRENT", PENDING))
    make_current(secretsmanager, delivered_version)

    result = run(iam, secretsmanager, settings, record=hint(secretsmanager, settings))

    assert set(keys_of(iam)) == {delivered["AccessKeyId"], result["accessKeyId"]}
    stages = stage_map(secretsmanager)
    assert [version for version, labels in stages.items() if PENDING in labels] == [
        result["versionId"]
    ]
    assert refused_version not in stages
