"""finish and roll_back for users of member accounts: their keys change in their own account,
through its member role; an account unreachable fails its users and no other.

moto keeps one backend per account (testkit.member_accounts seeds them); AssumeRole refuses a
missing role as AWS does (testkit/world/patches/assume_role_as_aws.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_state import (
    NOW,
    PREFIX,
    engine,
    eventbridge_client,
    handed_off,
    hint,
    load_event,
    put_json,
    record,
    rotate_event,
    secrets_client,
)
from credentials_rotator.aws import accounts, clients
from credentials_rotator.handlers import finish, roll_back, rotate
from credentials_rotator.run import events, run_data
from credentials_rotator.settings.config import Config
from test_finish import recorded

from testkit.member_accounts import MEMBER_ROLE_NAME, client_in, create_member_role

MEMBER = "111122223333"
ALICE = f"{MEMBER}/alice"


def member_keys(username: str = "alice") -> dict[str, str]:
    listed = client_in(MEMBER, "iam").list_access_keys(UserName=username)["AccessKeyMetadata"]
    return {key["AccessKeyId"]: key["Status"] for key in listed}


@pytest.fixture
def rotated_member(iam: Any, secretsmanager: Any, settings: Config) -> tuple[str, Any]:
    """alice of the member account: her delivered key, and a ``ready`` result for its successor."""
    create_member_role(MEMBER)
    client_in(MEMBER, "iam").create_user(UserName="alice")
    delivered = accounts.member_iam(MEMBER, settings).create_access_key(UserName=ALICE)
    record(secretsmanager, delivered["AccessKey"])
    result = rotate.rotate_user(
        aws=engine(iam, secretsmanager),
        config=settings,
        event=rotate_event(ALICE, record=hint(secretsmanager, settings, ALICE)),
        now=NOW,
    )
    return delivered["AccessKey"]["AccessKeyId"], result


def finish_run(iam: Any, s3: Any, settings: Config, run: dict[str, Any] | None = None) -> Any:
    event = load_event("finish.json")
    event["run"].update(run or {})
    return finish.finish_run(
        iam=iam,
        secretsmanager=secrets_client(),
        eventbridge=eventbridge_client(),
        s3=s3,
        settings=settings,
        event=events.parse_finish_event(event),
    )


def test_given_a_member_user_handed_off_when_finished_then_its_old_key_goes_in_its_account(
    iam: Any, s3: Any, settings: Config, rotated_member: tuple[str, Any]
) -> None:
    delivered, result = rotated_member
    assert set(member_keys()) == {delivered, result["accessKeyId"]}
    recorded(s3, settings, [handed_off(result)])

    answer = finish_run(iam, s3, settings)

    assert member_keys() == {result["accessKeyId"]: "Active"}
    assert [entry["username"] for entry in answer["summary"]["rotated"]] == [ALICE]
    assert answer["failure"] is None


def test_given_the_member_role_gone_before_finish_then_the_user_fails_and_keeps_both_keys(
    iam: Any, s3: Any, settings: Config, rotated_member: tuple[str, Any]
) -> None:
    """GIVEN alice handed off, then her account's member role deleted (and the process's
    credentials gone) WHEN finished THEN she is rotated and failed with AccountUnreachable, and
    the key she held before stays: nothing is retired that could not be checked."""
    delivered, result = rotated_member
    recorded(s3, settings, [handed_off(result)])
    client_in(MEMBER, "iam").delete_role(RoleName=MEMBER_ROLE_NAME)
    clients.clear_cache()

    answer = finish_run(iam, s3, settings)

    assert member_keys() == {delivered: "Active", result["accessKeyId"]: "Active"}
    [failed] = answer["summary"]["failed"]
    assert (failed["username"], failed["error"]) == (ALICE, "AccountUnreachable")
    assert f"arn:aws:iam::{MEMBER}:role/{MEMBER_ROLE_NAME}" in failed["message"]
    assert answer["failure"]["error"] == "RotationFailed"


def test_given_accounts_plan_could_not_list_when_finished_then_the_run_fails_naming_them(
    iam: Any, s3: Any, settings: Config
) -> None:
    unreachable = {"username": "444455556666/*", "error": "AccountUnreachable", "message": "no"}
    put_json(s3, run_data.unreachable_key(PREFIX), [unreachable])
    recorded(s3, settings, [])

    answer = finish_run(iam, s3, settings, {"count": 0, "unreachableAccounts": 1})

    assert answer["summary"]["failed"] == [unreachable]
    assert answer["failure"]["error"] == "RotationFailed"


def test_given_a_refused_handoff_of_a_member_user_then_the_new_key_goes_in_its_account(
    iam: Any, secretsmanager: Any, settings: Config, rotated_member: tuple[str, Any]
) -> None:
    delivered, result = rotated_member
    refused = events.parse_roll_back_event({**result, "error": {"Error": "ConsumerError"}})

    failed = roll_back.roll_back(iam, secretsmanager, refused, settings)

    assert member_keys() == {delivered: "Active"}
    assert (failed["username"], failed["error"]) == (ALICE, "ConsumerError")
