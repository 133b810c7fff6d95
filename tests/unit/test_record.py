"""The delivery record: which keys the handler holds, read from the stages of the user's secret."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from aws_state import PENDING, confirm, make_current, new_key, record, write
from botocore.exceptions import ClientError
from credentials_rotator.aws.record import read_record, with_previous
from credentials_rotator.model import delivery_record
from credentials_rotator.model.delivery_record import DeliveryRecord, Version

NOW = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)

A = Version("v-a", "AKIAAAAAAAAAAAAAAAAA", NOW, pending=False)
A_PENDING = Version("v-a", "AKIAAAAAAAAAAAAAAAAA", NOW, pending=True)
B = Version("v-b", "AKIABBBBBBBBBBBBBBBB", NOW, pending=False)
B_PENDING = Version("v-b", "AKIABBBBBBBBBBBBBBBB", NOW, pending=True)
EMPTY = Version("v-e", None, None, pending=False)  # a value without a key (replaced by hand)
EMPTY_PENDING = Version("v-e", None, None, pending=True)

# current, previous -> settled, delivered, unconfirmed, retired, replaced_while_pending
COMBINATIONS: dict[str, tuple[Any, ...]] = {
    "no secret": (None, None, False, None, None, None, False),
    "delivered only": (A, None, True, A, None, None, False),
    "delivered over a superseded key": (A, B, True, A, None, B, False),
    "delivered over a refused key (still labelled pending)": (
        A,
        B_PENDING,
        True,
        A,
        None,
        B_PENDING,
        False,
    ),
    "delivered over a value without a key": (A, EMPTY, True, A, None, None, False),
    "unconfirmed, nothing before": (A_PENDING, None, False, None, A_PENDING, None, False),
    "unconfirmed over delivered": (A_PENDING, B, False, B, A_PENDING, None, False),
    "unconfirmed over a value without a key": (
        A_PENDING,
        EMPTY,
        False,
        None,
        A_PENDING,
        None,
        False,
    ),
    "unconfirmed over unconfirmed (never in AWS)": (
        A_PENDING,
        B_PENDING,
        False,
        None,
        A_PENDING,
        None,
        False,
    ),
    "replaced by hand, nothing before": (EMPTY, None, False, None, None, None, False),
    "replaced by hand over delivered": (EMPTY, B, False, B, None, None, False),
    "replaced by hand over unconfirmed": (EMPTY, B_PENDING, False, None, None, None, True),
    "replaced by hand over a value without a key": (EMPTY, EMPTY, False, None, None, None, False),
    "a keyless value labelled pending": (EMPTY_PENDING, B, False, B, None, None, False),
}


@pytest.mark.parametrize(
    ("current", "previous", "settled", "delivered", "unconfirmed", "retired", "replaced"),
    COMBINATIONS.values(),
    ids=COMBINATIONS.keys(),
)
def test_record_properties(
    current: Version | None,
    previous: Version | None,
    settled: bool,
    delivered: Version | None,
    unconfirmed: Version | None,
    retired: Version | None,
    replaced: bool,
) -> None:
    """GIVEN the AWSCURRENT and AWSPREVIOUS versions WHEN the record is read THEN each key has
    the role docs/design.md gives it."""
    found = DeliveryRecord("ci-keys/homer", "arn", current, previous)
    assert found.settled is settled
    assert found.delivered == delivered
    assert found.unconfirmed == unconfirmed
    assert found.retired == retired
    assert found.replaced_while_pending is replaced


# --- reading it from Secrets Manager ----------------------------------------------------------


@pytest.fixture
def homer(iam: Any) -> str:
    iam.create_user(UserName="homer")
    return "homer"


def test_given_no_secret_when_read_then_the_record_is_empty(secretsmanager: Any) -> None:
    assert read_record(secretsmanager, "ci-keys/homer") == DeliveryRecord(
        "ci-keys/homer", None, None
    )


def test_given_a_secret_without_a_version_when_read_then_the_record_is_empty(
    secretsmanager: Any,
) -> None:
    secretsmanager.create_secret(Name="ci-keys/homer")
    assert read_record(secretsmanager, "ci-keys/homer").current is None


def test_given_delivered_over_superseded_when_read_then_both_versions_are_known(
    iam: Any, secretsmanager: Any, homer: str
) -> None:
    old, delivered = new_key(iam), new_key(iam)
    old_version = record(secretsmanager, old)
    created = NOW - datetime.timedelta(days=3)
    delivered_version = record(secretsmanager, delivered, created=created)

    found = read_record(secretsmanager, "ci-keys/homer")

    arn = secretsmanager.describe_secret(SecretId="ci-keys/homer")["ARN"]
    assert found == DeliveryRecord(
        "ci-keys/homer",
        arn,
        Version(delivered_version, delivered["AccessKeyId"], created, pending=False),
        Version(old_version, old["AccessKeyId"], old["CreateDate"], pending=False),
    )
    assert found.retired is not None and found.retired.access_key_id == old["AccessKeyId"]


def test_given_an_unconfirmed_key_when_read_then_it_is_pending_over_the_delivered_one(
    iam: Any, secretsmanager: Any, homer: str
) -> None:
    delivered, newer = new_key(iam), new_key(iam)
    record(secretsmanager, delivered)
    record(secretsmanager, newer, (PENDING, "AWSCURRENT"))

    found = read_record(secretsmanager, "ci-keys/homer")

    assert found.unconfirmed is not None
    assert found.unconfirmed.access_key_id == newer["AccessKeyId"]
    assert found.delivered is not None
    assert found.delivered.access_key_id == delivered["AccessKeyId"]


def test_given_a_confirmed_handoff_when_read_then_the_new_key_is_delivered(
    iam: Any, secretsmanager: Any, homer: str
) -> None:
    delivered, newer = new_key(iam), new_key(iam)
    record(secretsmanager, delivered)
    version = record(secretsmanager, newer, ("AWSCURRENT", PENDING))
    confirm(secretsmanager, version)

    found = read_record(secretsmanager, "ci-keys/homer")

    assert found.settled
    assert found.delivered is not None and found.delivered.version_id == version
    assert found.retired is not None
    assert found.retired.access_key_id == delivered["AccessKeyId"]


def test_given_a_value_replaced_by_hand_when_read_then_its_version_holds_no_key(
    iam: Any, secretsmanager: Any, homer: str
) -> None:
    delivered = new_key(iam)
    delivered_version = record(secretsmanager, delivered)
    write(secretsmanager, "homer", "a password, not a key")

    found = read_record(secretsmanager, "ci-keys/homer")

    assert found.current is not None and found.current.access_key_id is None
    assert found.delivered is not None and found.delivered.version_id == delivered_version


def test_given_the_current_version_only_when_its_previous_is_added_then_it_is_read_once(
    iam: Any, secretsmanager: Any, homer: str
) -> None:
    old, delivered = new_key(iam), new_key(iam)
    old_version = record(secretsmanager, old)
    record(secretsmanager, delivered)
    full = read_record(secretsmanager, "ci-keys/homer")
    known = DeliveryRecord(full.secret_name, full.secret_arn, full.current)
    calls: list[dict[str, Any]] = []
    secretsmanager.meta.events.register(
        "before-parameter-build.secrets-manager.GetSecretValue",
        lambda params, **_: calls.append(dict(params)),
    )

    completed = with_previous(secretsmanager, known)

    assert completed == full
    assert completed.previous is not None and completed.previous.version_id == old_version
    assert calls == [{"SecretId": "ci-keys/homer", "VersionStage": "AWSPREVIOUS"}]


def test_given_the_secret_cannot_be_read_when_read_then_the_error_is_raised(
    secretsmanager: Any,
) -> None:
    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "Get")

    secretsmanager.meta.events.register("before-call.secrets-manager.GetSecretValue", refuse)
    with pytest.raises(ClientError, match="AccessDeniedException"):
        read_record(secretsmanager, "ci-keys/homer")


# --- hints: the record as its batch reads it --------------------------------------------------


def test_given_a_hint_when_made_a_record_then_it_knows_the_current_version_only() -> None:
    hint = {
        "secretArn": "arn:secret",
        "versionId": "v-1",
        "accessKeyId": "AKIAAAAAAAAAAAAAAAAA",
        "createDate": "2026-01-01T00:00:00+00:00",
        "pending": True,
        "deferred": False,
    }
    found = delivery_record.record_from_hint("ci-keys/homer", hint)  # type: ignore[arg-type]
    assert found == DeliveryRecord(
        "ci-keys/homer",
        "arn:secret",
        Version(
            "v-1",
            "AKIAAAAAAAAAAAAAAAAA",
            datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
            pending=True,
        ),
    )


@pytest.mark.parametrize("missing", ["secretArn", "versionId"])
def test_given_a_hint_without_a_secret_when_made_a_record_then_it_is_empty(missing: str) -> None:
    hint = {
        "secretArn": "arn:secret",
        "versionId": "v-1",
        "accessKeyId": None,
        "createDate": None,
        "pending": False,
        missing: None,
    }
    found = delivery_record.record_from_hint("ci-keys/homer", hint)  # type: ignore[arg-type]
    assert found == DeliveryRecord("ci-keys/homer", None, None)


def test_given_a_batch_read_value_when_hinted_then_only_ids_dates_and_stages_remain() -> None:
    value = {
        "ARN": "arn:secret",
        "Name": "ci-keys/homer",
        "VersionId": "v-1",
        "VersionStages": ["AWSCURRENT", PENDING],
        "SecretString": json.dumps(
            {
                "UserName": "homer",
                "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA",
                "Status": "Active",
                "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "CreateDate": "2026-01-01T00:00:00",
            }
        ),
    }
    assert delivery_record.hint_of(value) == {
        "secretArn": "arn:secret",
        "versionId": "v-1",
        "accessKeyId": "AKIAAAAAAAAAAAAAAAAA",
        "createDate": "2026-01-01T00:00:00+00:00",
        "pending": True,
        "deferred": False,
    }


@pytest.mark.parametrize(
    ("secret_string", "parsed"),
    [
        (None, (None, None)),
        ("", (None, None)),
        ("not json", (None, None)),
        ('["AKIAAAAAAAAAAAAAAAAA"]', (None, None)),
        ('{"AccessKeyId": 7}', (None, None)),
        ('{"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"}', ("AKIAAAAAAAAAAAAAAAAA", None)),
        (
            '{"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "CreateDate": "yesterday"}',
            ("AKIAAAAAAAAAAAAAAAAA", None),
        ),
        (
            '{"AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "CreateDate": "2026-01-01T05:00:00+05:00"}',
            ("AKIAAAAAAAAAAAAAAAAA", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)),
        ),
    ],
)
def test_given_a_secret_value_when_parsed_then_the_key_id_and_date_or_nothing(
    secret_string: str | None, parsed: tuple[Any, Any]
) -> None:
    assert delivery_record.parse_value(secret_string) == parsed


def test_given_the_secret_moved_back_by_hand_when_read_then_the_stages_say_so(
    iam: Any, secretsmanager: Any, homer: str
) -> None:
    """GIVEN AWSCURRENT moved back to the delivered version (a roll back) WHEN read THEN the
    delivered version is current and settled, the refused one is AWSPREVIOUS."""
    delivered, refused = new_key(iam), new_key(iam)
    delivered_version = record(secretsmanager, delivered)
    refused_version = record(secretsmanager, refused, ("AWSCURRENT", PENDING))
    make_current(secretsmanager, delivered_version)

    found = read_record(secretsmanager, "ci-keys/homer")

    assert found.settled
    assert found.current is not None and found.current.version_id == delivered_version
    assert found.retired is not None and found.retired.version_id == refused_version
