"""Member accounts: the rotator's names of their users, and IAM through their member roles.

moto keeps one backend per account; ``testkit.member_accounts`` seeds a member account, and
moto's AssumeRole refuses a missing role or a missing external id as AWS does
(testkit/world/patches/assume_role_as_aws.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

import pytest
from aws_state import NOW, engine, rotate_event
from credentials_rotator.aws import accounts, clients, verification
from credentials_rotator.handlers import rotate
from credentials_rotator.model.errors import AccountUnreachable
from credentials_rotator.settings.config import Account, Config

from testkit.member_accounts import MEMBER_ROLE_NAME, client_in, create_member_role

MEMBER = "111122223333"
OTHER = "444455556666"


@pytest.fixture
def member_iam(aws: None) -> Any:
    """IAM of the member account, seen from the test (not through the rotator's role)."""
    create_member_role(MEMBER)
    iam = client_in(MEMBER, "iam")
    iam.create_user(UserName="alice")
    return iam


def assume_role_calls() -> list[str]:
    """The role ARNs the process's STS client is asked to assume from now on."""
    calls: list[str] = []
    clients.sts_client().meta.events.register(
        "provide-client-params.sts.AssumeRole",
        lambda params, **_: calls.append(params["RoleArn"]),
    )
    return calls


def test_a_member_user_is_named_with_its_account_and_a_hub_user_by_its_name(
    settings: Config,
) -> None:
    assert accounts.split(f"{MEMBER}/alice") == (MEMBER, "alice")
    assert accounts.split("homer") == (None, "homer")
    assert accounts.handoff_names(f"{MEMBER}/alice", settings) == {
        "accountId": MEMBER,
        "iamUsername": "alice",
    }
    assert accounts.handoff_names("homer", settings) == {
        "accountId": "123456789012",
        "iamUsername": "homer",
    }
    assert settings.secret_name(f"{MEMBER}/alice") == f"ci-keys/{MEMBER}/alice"


def test_the_member_role_is_the_default_name_unless_the_account_names_its_own(
    settings: Config,
) -> None:
    assert settings.member_role_arn(MEMBER) == f"arn:aws:iam::{MEMBER}:role/{MEMBER_ROLE_NAME}"
    custom = dataclasses.replace(
        settings, accounts={OTHER: Account(role_arn=f"arn:aws:iam::{OTHER}:role/key-rotation")}
    )
    assert custom.member_role_arn(OTHER) == f"arn:aws:iam::{OTHER}:role/key-rotation"


def test_given_a_member_user_when_its_keys_are_listed_then_iam_of_its_account_answers(
    member_iam: Any, iam: Any, settings: Config
) -> None:
    """GIVEN alice in the member account only WHEN the member client lists her keys by the
    rotator's name THEN the member account answers, with the rotator's name back."""
    key = member_iam.create_access_key(UserName="alice")["AccessKey"]
    member = accounts.iam_for(f"{MEMBER}/alice", iam, settings)

    listed = member.list_access_keys(UserName=f"{MEMBER}/alice")["AccessKeyMetadata"]

    assert [(k["UserName"], k["AccessKeyId"]) for k in listed] == [
        (f"{MEMBER}/alice", key["AccessKeyId"])
    ]
    assert [user["UserName"] for user in iam.list_users()["Users"]] == []  # not the hub's
    assert accounts.iam_for("homer", iam, settings) is iam


def test_given_a_member_user_when_rotated_then_its_key_is_made_there_and_kept_in_the_hub(
    member_iam: Any, iam: Any, secretsmanager: Any, settings: Config
) -> None:
    """GIVEN alice of the member account WHEN rotated THEN her new key is in the member account,
    her secret is the hub's <name>/<account>/<username>, and it names her by her IAM name."""
    result = rotate.rotate_user(
        aws=engine(iam, secretsmanager),
        config=settings,
        event=rotate_event(f"{MEMBER}/alice"),
        now=NOW,
    )

    keys = member_iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [result["accessKeyId"]]
    secret = secretsmanager.get_secret_value(SecretId=f"ci-keys/{MEMBER}/alice")
    value = json.loads(secret["SecretString"])
    assert (value["UserName"], value["AccessKeyId"]) == ("alice", result["accessKeyId"])
    assert (result["username"], result["accountId"], result["iamUsername"]) == (
        f"{MEMBER}/alice",
        MEMBER,
        "alice",
    )
    assert result["secretName"] == f"ci-keys/{MEMBER}/alice"


def test_given_users_of_one_account_when_rotated_then_the_role_is_assumed_once(
    member_iam: Any, iam: Any, secretsmanager: Any, settings: Config
) -> None:
    member_iam.create_user(UserName="bob")
    calls = assume_role_calls()

    for name in ("alice", "bob"):
        rotate.rotate_user(
            aws=engine(iam, secretsmanager),
            config=settings,
            event=rotate_event(f"{MEMBER}/{name}"),
            now=NOW,
        )

    assert calls == [f"arn:aws:iam::{MEMBER}:role/{MEMBER_ROLE_NAME}"]


def test_given_credentials_about_to_expire_when_used_then_the_role_is_assumed_again(
    member_iam: Any, iam: Any, settings: Config
) -> None:
    accounts.member_iam(MEMBER, settings)
    calls = assume_role_calls()
    role_arn = settings.member_role_arn(MEMBER)
    client, _ = clients._assumed[("iam", role_arn)]
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=4)
    clients._assumed[("iam", role_arn)] = (client, soon)

    accounts.member_iam(MEMBER, settings).list_users()

    assert calls == [role_arn]


def test_given_an_account_without_the_member_role_when_rotated_then_it_is_unreachable(
    aws: None, iam: Any, secretsmanager: Any, settings: Config
) -> None:
    """GIVEN an account where the role does not exist WHEN its user is rotated THEN
    AccountUnreachable names the account, the role ARN and AWS's answer; no secret is made."""
    client_in(OTHER, "iam").create_user(UserName="carol")

    with pytest.raises(AccountUnreachable) as raised:
        rotate.rotate_user(
            aws=engine(iam, secretsmanager),
            config=settings,
            event=rotate_event(f"{OTHER}/carol"),
            now=NOW,
        )

    message = str(raised.value)
    assert f"account {OTHER} is unreachable" in message
    assert f"arn:aws:iam::{OTHER}:role/{MEMBER_ROLE_NAME}" in message
    assert "AccessDenied" in message
    assert client_in(OTHER, "iam").list_access_keys(UserName="carol")["AccessKeyMetadata"] == []
    assert secretsmanager.list_secrets()["SecretList"] == []


def test_given_a_role_that_requires_an_external_id_then_only_that_id_reaches_it(
    aws: None, iam: Any, settings: Config
) -> None:
    create_member_role(OTHER, external_id="platform-7f3c")

    with pytest.raises(AccountUnreachable):
        accounts.member_iam(OTHER, settings)
    with pytest.raises(AccountUnreachable):
        accounts.member_iam(OTHER, dataclasses.replace(settings, member_external_id="wrong-id"))
    reached = accounts.member_iam(
        OTHER, dataclasses.replace(settings, member_external_id="platform-7f3c")
    )

    assert reached.list_users()["Users"] == []


def test_a_member_key_proves_itself_only_as_its_user_of_its_account(
    member_iam: Any, settings: Config
) -> None:
    """GIVEN a key of alice in the member account WHEN verified THEN it is alice of that
    account, and the same name in another account is not her."""
    key = member_iam.create_access_key(UserName="alice")["AccessKey"]
    sts = clients.sts_client_signed_with(key["AccessKeyId"], key["SecretAccessKey"])

    assert verification._refusal(sts, MEMBER, "alice") is None
    assert verification._refusal(sts, OTHER, "alice") is not None
    assert verification._refusal(sts, MEMBER, "bob") is not None
