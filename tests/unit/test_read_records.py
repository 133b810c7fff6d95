"""``read_records``: a batch's delivery records, 20 secrets a call, ids and stages only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_state import PENDING, load_event, new_key, record, write
from credentials_rotator.handlers import read_records
from credentials_rotator.run.events import parse_read_records_event
from credentials_rotator.settings.config import Config

NO_SECRET = {
    "secretArn": None,
    "versionId": None,
    "accessKeyId": None,
    "createDate": None,
    "pending": False,
    "deferred": False,
}


def test_given_a_batch_when_its_records_are_read_then_one_call_reads_them_without_secrets(
    iam: Any, secretsmanager: Any, settings: Config
) -> None:
    """GIVEN homer with a delivered key, marge with a key awaiting confirmation, and bart with no
    secret WHEN their batch's records are read THEN one BatchGetSecretValue answers for all, with
    ids and dates only, and the hints tell the three states apart."""
    for name in ("homer", "marge", "bart"):
        iam.create_user(UserName=name)
    homer = new_key(iam, "homer")
    homer_version = record(secretsmanager, homer)
    marge = new_key(iam, "marge")
    record(secretsmanager, marge)
    marge_new = new_key(iam, "marge")
    record(secretsmanager, marge_new, stages=("AWSCURRENT", PENDING))
    calls: list[str] = []
    secretsmanager.meta.events.register(
        "before-call.secrets-manager", lambda model, **_: calls.append(model.name)
    )
    event = parse_read_records_event(load_event("read_records.json"))

    read = read_records.read_records(secretsmanager, settings, event)

    assert calls == ["BatchGetSecretValue"]
    assert [entry["user"] for entry in read["entries"]] == [e["user"] for e in event["entries"]]
    hints = {entry["user"]["username"]: entry["record"] for entry in read["entries"]}
    arn = secretsmanager.describe_secret(SecretId="ci-keys/homer")["ARN"]
    assert hints["homer"] == {
        "secretArn": arn,
        "versionId": homer_version,
        "accessKeyId": homer["AccessKeyId"],
        "createDate": homer["CreateDate"].isoformat(),
        "pending": False,
        "deferred": False,
    }
    assert hints["marge"] is not None
    assert (hints["marge"]["accessKeyId"], hints["marge"]["pending"]) == (
        marge_new["AccessKeyId"],
        True,
    )
    assert hints["bart"] == NO_SECRET
    text = json.dumps(read)
    assert not [k for k in (homer, marge, marge_new) if k["SecretAccessKey"] in text]


def test_given_a_value_replaced_by_hand_when_read_then_the_hint_holds_no_key(
    secretsmanager: Any,
) -> None:
    write(secretsmanager, "homer", "hunter2")
    hint = read_records.read_hints(secretsmanager, ["ci-keys/homer"])["ci-keys/homer"]
    assert hint is not None
    assert (hint["accessKeyId"], hint["createDate"], hint["pending"]) == (None, None, False)
    assert hint["versionId"] is not None


def test_given_more_than_20_secrets_when_read_then_each_call_reads_at_most_20(
    secretsmanager: Any,
) -> None:
    names = [f"ci-keys/user{n:02d}" for n in range(45)]
    calls: list[int] = []
    secretsmanager.meta.events.register(
        "before-parameter-build.secrets-manager.BatchGetSecretValue",
        lambda params, **_: calls.append(len(params["SecretIdList"])),
    )

    hints = read_records.read_hints(secretsmanager, names)

    assert calls == [20, 20, 5]
    assert hints == dict.fromkeys(names, NO_SECRET)


def test_given_a_secret_that_cannot_be_read_when_read_then_its_hint_is_none(
    secretsmanager: Any,
) -> None:
    """GIVEN Secrets Manager refuses one secret (KMS, a policy) WHEN the batch reads THEN that
    user's hint is None: rotate reads its record itself and meets the error there."""

    def answer(**_: Any) -> dict[str, Any]:
        return {
            "SecretValues": [],
            "Errors": [
                {"SecretId": "ci-keys/homer", "ErrorCode": "DecryptionFailure", "Message": "kms"},
                {"SecretId": "ci-keys/bart", "ErrorCode": "ResourceNotFoundException"},
            ],
        }

    secretsmanager.meta.events.register(
        "after-call.secrets-manager.BatchGetSecretValue",
        lambda parsed, **_: parsed.update(answer()),
    )

    hints = read_records.read_hints(secretsmanager, ["ci-keys/homer", "ci-keys/bart"])

    assert hints == {"ci-keys/homer": None, "ci-keys/bart": NO_SECRET}


@pytest.mark.parametrize("count", [0, 1])
def test_given_the_handler_when_invoked_then_it_reads_the_event_entries(
    secretsmanager: Any, count: int
) -> None:
    event = load_event("read_records.json")
    event["entries"] = event["entries"][:count]
    result = read_records.handler(event, None)
    assert [entry["user"] for entry in result["entries"]] == [e["user"] for e in event["entries"]]
    assert all(entry["record"] == NO_SECRET for entry in result["entries"])
