"""moto, patched by ``moto_secret_stages`` (tests/conftest.py), moves staging labels as AWS does.

Every test of the engine relies on these two behaviours of Secrets Manager; moto alone differs.
"""

from __future__ import annotations

from typing import Any

from aws_state import PENDING, make_current, stage_map, write


def test_given_pending_moved_off_current_when_put_twice_with_pending_then_only_newest_has_it(
    secretsmanager: Any,
) -> None:
    """GIVEN a delivered version and a pending one that was rolled back (AWSCURRENT moved back)
    WHEN PutSecretValue twice with ["AWSCURRENT", "PENDING_HANDOFF"] THEN PENDING_HANDOFF is on
    the newest version only (AWS moves a custom label; moto alone leaves it on the old one)."""
    delivered = write(secretsmanager, "homer", '{"n": 0}')
    refused = write(secretsmanager, "homer", '{"n": 1}', ("AWSCURRENT", PENDING))
    make_current(secretsmanager, delivered)

    first = write(secretsmanager, "homer", '{"n": 2}', ("AWSCURRENT", PENDING))
    after_first = stage_map(secretsmanager)
    second = write(secretsmanager, "homer", '{"n": 3}', ("AWSCURRENT", PENDING))

    assert after_first == {first: ["AWSCURRENT", PENDING], delivered: ["AWSPREVIOUS"]}
    assert refused not in after_first
    assert stage_map(secretsmanager) == {second: ["AWSCURRENT", PENDING], first: ["AWSPREVIOUS"]}


def test_given_a_pending_current_version_when_a_value_is_put_by_hand_then_it_keeps_its_label(
    secretsmanager: Any,
) -> None:
    """GIVEN the current version awaits confirmation WHEN someone puts a value without labels
    THEN AWSCURRENT moves to it and the old version keeps PENDING_HANDOFF besides AWSPREVIOUS
    (moto alone would replace its labels with AWSPREVIOUS)."""
    pending = write(secretsmanager, "homer", '{"n": 1}', ("AWSCURRENT", PENDING))

    by_hand = secretsmanager.put_secret_value(SecretId="ci-keys/homer", SecretString="hunter2")

    assert stage_map(secretsmanager) == {
        by_hand["VersionId"]: ["AWSCURRENT"],
        pending: ["AWSPREVIOUS", PENDING],
    }


def test_given_awscurrent_moved_back_when_read_and_put_then_both_use_the_current_version(
    secretsmanager: Any,
) -> None:
    """GIVEN AWSCURRENT moved back by UpdateSecretVersionStage WHEN GetSecretValue without a stage
    and then PutSecretValue THEN both see that version as current (AWSPREVIOUS follows it)."""
    delivered = write(secretsmanager, "homer", '{"n": 0}')
    write(secretsmanager, "homer", '{"n": 1}', ("AWSCURRENT", PENDING))
    make_current(secretsmanager, delivered)

    read = secretsmanager.get_secret_value(SecretId="ci-keys/homer")
    newest = write(secretsmanager, "homer", '{"n": 2}')

    assert read["VersionId"] == delivered
    assert stage_map(secretsmanager)[delivered] == ["AWSPREVIOUS"]
    assert stage_map(secretsmanager)[newest] == ["AWSCURRENT"]


def test_given_a_repeated_put_with_the_same_token_then_no_label_moves(
    secretsmanager: Any,
) -> None:
    write(secretsmanager, "homer", '{"n": 0}')
    token = "0d5c3a6e-1111-2222-3333-444455556666"
    put = {
        "SecretId": "ci-keys/homer",
        "SecretString": '{"n": 1}',
        "VersionStages": ["AWSCURRENT", PENDING],
        "ClientRequestToken": token,
    }
    secretsmanager.put_secret_value(**put)
    before = stage_map(secretsmanager)

    secretsmanager.put_secret_value(**put)

    assert stage_map(secretsmanager) == before
    assert before[token] == ["AWSCURRENT", PENDING]
