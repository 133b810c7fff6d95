"""Users of member accounts: listed in the users parameter with their account, selected in each
account by its own path and tag, excluded by its own names; the settings' accounts as the module
writes them.

moto keeps one backend per account (testkit.member_accounts seeds them); AssumeRole refuses a
missing role as AWS does (testkit/world/patches/assume_role_as_aws.py).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from aws_state import NOW, execution, load_event, stored
from credentials_rotator.aws.selection import parse_users, users_to_rotate
from credentials_rotator.handlers import plan
from credentials_rotator.model.errors import ConfigError, InvalidUsersParameter, UnknownUser
from credentials_rotator.run import run_data
from credentials_rotator.settings.config import Account, Config, UserTag
from test_plan import sfn_listing

from testkit.engine_environment import TEST_SETTINGS
from testkit.member_accounts import client_in, create_member_role

HUB = "123456789012"
PATHS, TAGS, DOWN = "111122223333", "222233334444", "444455556666"
# How the module lists an account's users when it selects them by path alone, or by a tag.
BY_PATH, BY_TAG = "ListUsers", "GetAccountAuthorizationDetails"


def read(**changes: Any) -> Config:
    return Config.from_document({**TEST_SETTINGS, **changes})


# --- the users parameter ---------------------------------------------------------------------


def test_given_users_with_accounts_when_parsed_then_member_users_carry_their_account() -> None:
    """GIVEN homer of the hub (no account, or the hub's own) and homer of a member account WHEN
    parsed THEN they are two users, the member one named <account>/<username>."""
    raw = json.dumps(
        [
            {"username": "homer"},
            {"username": "bart", "accountId": HUB},
            {"username": "homer", "accountId": PATHS, "metadata": "ci"},
            {"username": "homer", "accountId": TAGS},
        ]
    )
    assert parse_users(raw, "/ci-keys/users", HUB) == [
        {"username": "homer", "metadata": None},
        {"username": "bart", "metadata": None},
        {"username": f"{PATHS}/homer", "metadata": "ci"},
        {"username": f"{TAGS}/homer", "metadata": None},
    ]


@pytest.mark.parametrize("account_id", ["12345", "abcdefghijkl", 123456789012, ""])
def test_given_an_account_id_that_is_no_account_then_the_entry_is_refused(
    account_id: object,
) -> None:
    raw = json.dumps([{"username": "homer", "accountId": account_id}])
    with pytest.raises(InvalidUsersParameter) as raised:
        parse_users(raw, "/ci-keys/users", HUB)
    assert str(raised.value) == (
        "entry 0 of users parameter /ci-keys/users: accountId must be a 12-digit AWS account id"
    )


def test_given_one_member_user_twice_whatever_the_case_then_it_is_refused() -> None:
    raw = json.dumps(
        [{"username": "homer", "accountId": PATHS}, {"username": "HOMER", "accountId": PATHS}]
    )
    with pytest.raises(InvalidUsersParameter, match="names one IAM user twice"):
        parse_users(raw, "/ci-keys/users", HUB)


# --- the settings' accounts ------------------------------------------------------------------


def test_given_accounts_when_read_then_each_has_its_role_selection_and_exclusions() -> None:
    settings = read(
        accounts={
            HUB: {},
            PATHS: {
                "user_path_prefix": "/ci/",
                "exclude_users": ["Robot"],
                "user_listing": BY_PATH,
            },
            TAGS: {
                "user_tag": {"key": "rotate", "value": "yes"},
                "role_arn": f"arn:aws:iam::{TAGS}:role/keys",
                "user_listing": BY_TAG,
            },
        },
        member_role_arn_template="arn:aws:iam::{account_id}:role/rotation",
        member_external_id="platform-7f3c",
    )
    assert settings.accounts == {
        PATHS: Account(
            user_path_prefix="/ci/", exclude_users=frozenset({"Robot"}), user_listing=BY_PATH
        ),
        TAGS: Account(
            role_arn=f"arn:aws:iam::{TAGS}:role/keys",
            user_tag=UserTag("rotate", "yes"),
            user_listing=BY_TAG,
        ),
    }
    assert settings.hub == Account()
    assert settings.member_role_arn(PATHS) == f"arn:aws:iam::{PATHS}:role/rotation"
    assert settings.member_role_arn(TAGS) == f"arn:aws:iam::{TAGS}:role/keys"
    assert settings.member_role_arn(DOWN) == f"arn:aws:iam::{DOWN}:role/rotation"
    assert settings.member_external_id == "platform-7f3c"
    assert settings.is_excluded(f"{PATHS}/robot")
    assert not settings.is_excluded("robot")  # the hub's exclude_users are its own
    assert not settings.is_excluded(f"{TAGS}/robot")


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ([], "setting accounts must be an object by account id, not []"),
        ({}, "setting accounts has no entry for the module's own account, that of"),
        ({HUB: {}, "1234": {}}, "setting accounts.1234 is named by no 12-digit account id"),
        ({HUB: {}, PATHS: {"path": "/"}}, f"setting accounts.{PATHS} has an unknown key path"),
        ({HUB: {}, PATHS: []}, f"setting accounts.{PATHS} must be a JSON object of"),
        ({HUB: {}, PATHS: {"role_arn": 7}}, f"setting accounts.{PATHS}.role_arn must be a text"),
        ({HUB: {"user_path_prefix": 1}}, f"setting accounts.{HUB}.user_path_prefix must be"),
        ({HUB: {"user_tag": {"value": "x"}}}, f"setting accounts.{HUB}.user_tag must be"),
        ({HUB: {"exclude_users": "bob"}}, f"setting accounts.{HUB}.exclude_users must be a list"),
        ({HUB: {"user_listing": "ListUserTags"}}, f"setting accounts.{HUB}.user_listing must be"),
    ],
)
def test_given_bad_accounts_then_the_error_names_what_is_wrong(
    accounts: object, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        read(accounts=accounts)
    assert message in str(raised.value)


# --- selection in member accounts ------------------------------------------------------------


@pytest.fixture
def members(aws: None) -> dict[str, Any]:
    """Three member accounts: one selects by path, one by tag, one has no member role."""
    for account_id in (PATHS, TAGS):
        create_member_role(account_id)
    iams = {account_id: client_in(account_id, "iam") for account_id in (PATHS, TAGS, DOWN)}
    for name, path in (("deploy", "/ci/"), ("robot", "/ci/"), ("human", "/")):
        iams[PATHS].create_user(UserName=name, Path=path)
    iams[TAGS].create_user(UserName="deploy", Tags=[{"Key": "rotate", "Value": "yes"}])
    iams[TAGS].create_user(UserName="other", Tags=[{"Key": "rotate", "Value": "no"}])
    iams[DOWN].create_user(UserName="deploy", Path="/ci/")
    return iams


def member_settings(settings: Config) -> Config:
    return dataclasses.replace(
        settings,
        accounts={
            PATHS: Account(
                user_path_prefix="/ci/", exclude_users=frozenset({"ROBOT"}), user_listing=BY_PATH
            ),
            TAGS: Account(user_tag=UserTag("rotate", "yes"), user_listing=BY_TAG),
            DOWN: Account(user_path_prefix="/ci/", user_listing=BY_PATH),
        },
    )


def test_given_member_accounts_when_selected_then_each_by_its_own_rules(
    members: dict[str, Any], iam: Any, settings: Config
) -> None:
    """GIVEN the same name in the hub and two members WHEN the run's users are selected THEN
    each account's selection applies to it alone, and the unreachable account is reported."""
    iam.create_user(UserName="deploy")
    selected = users_to_rotate(
        iam=iam,
        configured=[{"username": "deploy", "metadata": None}],
        settings=member_settings(settings),
        requested=None,
    )

    assert [user["username"] for user in selected.users] == [
        "deploy",
        f"{PATHS}/deploy",
        f"{TAGS}/deploy",
    ]
    [down] = selected.unreachable
    assert down["username"] == f"{DOWN}/*"
    assert down["error"] == "AccountUnreachable"
    assert f"arn:aws:iam::{DOWN}:role/credentials-rotator-member" in down["message"]


def test_given_an_on_demand_run_of_a_member_user_then_only_its_account_is_listed(
    members: dict[str, Any], iam: Any, settings: Config
) -> None:
    """GIVEN DOWN unreachable WHEN an on-demand run names a user TAGS selects THEN only TAGS is
    listed: the run does not concern DOWN, which does not fail it."""
    selected = users_to_rotate(
        iam=iam, configured=[], settings=member_settings(settings), requested=[f"{TAGS}/DEPLOY"]
    )
    assert [user["username"] for user in selected.users] == [f"{TAGS}/deploy"]
    assert selected.unreachable == []


def test_given_an_on_demand_run_of_an_excluded_member_user_then_the_account_is_named(
    members: dict[str, Any], iam: Any, settings: Config
) -> None:
    with pytest.raises(UnknownUser) as raised:
        users_to_rotate(
            iam=iam, configured=[], settings=member_settings(settings), requested=[f"{PATHS}/robot"]
        )
    assert str(raised.value) == (
        f"user {PATHS}/robot is excluded from rotation by exclude_users of its account"
    )


def test_given_an_unreachable_account_when_planned_then_its_failure_waits_for_finish(
    members: dict[str, Any], iam: Any, ssm: Any, s3: Any, settings: Config
) -> None:
    """GIVEN member users listed and selected, one account unreachable WHEN the run is planned
    THEN the reachable and listed users are in its items, and the unreachable account is in the
    run's data for finish to report (the run goes on)."""
    listed = [{"username": "deploy", "accountId": DOWN}, {"username": "human", "accountId": PATHS}]
    ssm.put_parameter(Name="/ci-keys/users", Value=json.dumps(listed), Type="String")
    own = execution("scheduled-1", "RUNNING", NOW)

    result = plan.plan_run(
        aws=(ssm, iam, sfn_listing(own), s3),
        settings=member_settings(settings),
        event=load_event("plan_schedule.json"),
        now=NOW,
    )

    [batch] = stored(s3, result["itemsKey"])
    assert [entry["user"]["username"] for entry in batch["entries"]] == [
        f"{DOWN}/deploy",
        f"{PATHS}/human",
        f"{PATHS}/deploy",
        f"{TAGS}/deploy",
    ]
    assert result["unreachableAccounts"] == 1
    [down] = stored(s3, run_data.unreachable_key(result["prefix"]))
    assert (down["username"], down["error"]) == (f"{DOWN}/*", "AccountUnreachable")
