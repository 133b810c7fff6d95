"""Selecting users: the users parameter, plus IAM users selected by path or tag, minus exclusions.

moto is paged the way AWS may page, at most 100 users a page
(testkit/world/patches/iam_users_paged_as_aws.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from credentials_rotator.aws.selection import (
    METADATA_TAG,
    name_list,
    parse_users,
    read_users,
    users_to_rotate,
)
from credentials_rotator.model.errors import InvalidUsersParameter, UnknownUser
from credentials_rotator.settings.config import Config, UserTag

from testkit.world.patches import iam_users_paged_as_aws

METADATA = "credentials-rotator:metadata"
# How the module lists an account's users when it selects them by path alone, or by a tag.
BY_PATH, BY_TAG = "ListUsers", "GetAccountAuthorizationDetails"


@pytest.fixture
def engine_iam(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The engine's IAM client (the tests create users with their own), on paged moto."""
    iam_users_paged_as_aws.patch(monkeypatch)
    return boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def calls(engine_iam: Any) -> Counter[str]:
    """The IAM operations the engine calls, counted."""
    counted: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counted[model.name] += 1

    engine_iam.meta.events.register("before-call.iam", count)
    return counted


def create(iam: Any, name: str, path: str = "/", **tags: str) -> None:
    iam.create_user(
        UserName=name, Path=path, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
    )


def names(users: list[Any]) -> list[str]:
    return [user["username"] for user in users]


def select(
    iam: Any,
    settings: Config,
    configured: list[Any] | None = None,
    requested: list[str] | None = None,
    **changes: Any,
) -> list[Any]:
    """The users of a run whose settings' own account selects as ``changes`` say (the fields of
    its ``Account``, ``user_listing`` given as settings.tf derives it: BY_PATH or BY_TAG)."""
    return users_to_rotate(
        iam=iam,
        configured=configured or [],
        settings=dataclasses.replace(settings, hub=dataclasses.replace(settings.hub, **changes)),
        requested=requested,
    ).users


def test_the_documented_metadata_tag_is_the_one_read() -> None:
    assert METADATA_TAG == METADATA


# --- by path ---------------------------------------------------------------------------------


def test_given_a_path_prefix_when_selected_then_users_under_it_and_below_it_only(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", "/ci/")
    create(iam, "builder", "/ci/build/")
    create(iam, "homer")
    create(iam, "cidre", "/cid/")
    create(iam, "shouter", "/CI/")

    users = select(engine_iam, settings, user_path_prefix="/ci/", user_listing=BY_PATH)

    assert names(users) == ["builder", "deployer"]
    assert calls == {"ListUsers": 1}


def test_given_250_users_under_the_path_when_selected_then_every_page_is_read(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    """GIVEN IAM serving at most 100 users a page WHEN 250 are selected THEN all 250 come back,
    in three ListUsers calls."""
    for index in range(250):
        create(iam, f"ci-{index:03d}", "/ci/")
    create(iam, "homer")

    users = select(engine_iam, settings, user_path_prefix="/ci/", user_listing=BY_PATH)

    assert names(users) == [f"ci-{index:03d}" for index in range(250)]
    assert calls == {"ListUsers": 3}


def test_given_a_path_prefix_only_when_selected_then_no_tag_is_read_and_metadata_is_null(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", "/ci/", **{METADATA: "deploy-pipeline"})

    users = select(engine_iam, settings, user_path_prefix="/ci/", user_listing=BY_PATH)

    assert users == [{"username": "deployer", "metadata": None}]
    assert "GetAccountAuthorizationDetails" not in calls


# --- by tag ----------------------------------------------------------------------------------


def test_given_a_tag_with_a_value_when_selected_then_only_users_with_that_value(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", rotate="yes")
    create(iam, "builder", "/ci/", Rotate="yes")  # tag keys ignore case in IAM
    create(iam, "homer", rotate="no")
    create(iam, "bart", rotate="YES")  # values do not
    create(iam, "lisa", team="ci")

    users = select(engine_iam, settings, user_tag=UserTag("rotate", "yes"), user_listing=BY_TAG)

    assert names(users) == ["builder", "deployer"]
    assert calls == {"GetAccountAuthorizationDetails": 1}


def test_given_a_tag_without_a_value_when_selected_then_any_value_even_empty(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", rotate="yes")
    create(iam, "homer", rotate="no")
    create(iam, "bart", rotate="")
    create(iam, "lisa", team="ci")

    users = select(engine_iam, settings, user_tag=UserTag("rotate"), user_listing=BY_TAG)

    assert names(users) == ["bart", "deployer", "homer"]


def test_given_a_tag_and_a_path_when_selected_then_users_matching_both(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", "/ci/", rotate="yes")
    create(iam, "builder", "/ci/")
    create(iam, "homer", "/", rotate="yes")

    users = select(
        engine_iam,
        settings,
        user_path_prefix="/ci/",
        user_tag=UserTag("rotate", "yes"),
        user_listing=BY_TAG,
    )

    assert names(users) == ["deployer"]
    assert calls == {"GetAccountAuthorizationDetails": 1}


def test_given_150_tagged_users_when_selected_then_every_page_is_read(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    for index in range(150):
        create(iam, f"svc-{index:03d}", rotate="yes")

    users = select(engine_iam, settings, user_tag=UserTag("rotate", "yes"), user_listing=BY_TAG)

    assert len(users) == 150
    assert calls == {"GetAccountAuthorizationDetails": 2}


def test_given_a_metadata_tag_when_selected_by_tag_then_it_is_the_users_metadata(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", rotate="yes", **{METADATA: "deploy-pipeline"})
    create(iam, "builder", rotate="yes")

    users = select(engine_iam, settings, user_tag=UserTag("rotate"), user_listing=BY_TAG)

    assert users == [
        {"username": "builder", "metadata": None},
        {"username": "deployer", "metadata": "deploy-pipeline"},
    ]


# --- combining sources -----------------------------------------------------------------------


def test_given_a_configured_user_also_selected_then_it_appears_once_with_its_own_metadata(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", rotate="yes", **{METADATA: "from-the-tag"})
    create(iam, "builder", rotate="yes", **{METADATA: "builds"})
    configured = [
        {"username": "homer", "metadata": "configured"},
        {"username": "Deployer", "metadata": "configured"},
    ]

    users = select(
        engine_iam, settings, configured, user_tag=UserTag("rotate"), user_listing=BY_TAG
    )

    assert users == [
        {"username": "homer", "metadata": "configured"},
        {"username": "Deployer", "metadata": "configured"},
        {"username": "builder", "metadata": "builds"},
    ]


def test_given_excluded_names_when_selected_then_they_leave_every_source(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", "/ci/")
    create(iam, "break-glass", "/ci/")
    configured = [{"username": "homer", "metadata": None}, {"username": "bart", "metadata": None}]

    users = select(
        engine_iam,
        settings,
        configured,
        user_path_prefix="/ci/",
        exclude_users=frozenset({"Break-Glass", "bart"}),
        user_listing=BY_PATH,
    )

    assert names(users) == ["homer", "deployer"]


def test_given_no_selection_when_planned_then_iam_is_never_called(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", "/ci/")
    configured = [{"username": "homer", "metadata": None}]

    assert names(select(engine_iam, settings, configured)) == ["homer"]
    assert names(select(engine_iam, settings, configured, exclude_users=frozenset({"homer"}))) == []
    assert calls == {}


# --- on-demand runs --------------------------------------------------------------------------


def test_given_an_on_demand_run_naming_a_selected_user_then_it_is_the_only_item(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", "/ci/")
    create(iam, "builder", "/ci/")

    users = select(
        engine_iam,
        settings,
        [{"username": "homer", "metadata": "configured"}],
        requested=["deployer", "homer", "DEPLOYER"],
        user_path_prefix="/ci/",
        user_listing=BY_PATH,
    )

    assert users == [
        {"username": "deployer", "metadata": None},
        {"username": "homer", "metadata": "configured"},
    ]


def test_given_an_on_demand_run_of_configured_users_only_then_iam_is_not_listed(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    users = select(
        engine_iam,
        settings,
        [{"username": "homer", "metadata": None}],
        requested=["homer"],
        user_path_prefix="/ci/",
        user_listing=BY_PATH,
    )

    assert names(users) == ["homer"]
    assert calls == {}


def test_given_a_name_neither_configured_nor_selected_then_unknown_user_names_it(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", "/ci/")
    create(iam, "moe")

    with pytest.raises(UnknownUser) as raised:
        select(
            engine_iam,
            settings,
            requested=["deployer", "moe", "barney"],
            user_path_prefix="/ci/",
            user_listing=BY_PATH,
        )

    assert str(raised.value) == (
        'user moe is not configured for rotation nor selected by user_path_prefix "/ci/" '
        '(nor "barney")'
    )


def test_given_many_unknown_names_when_refused_then_the_message_lists_ten_and_counts_the_rest(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    requested = [f"ghost{n:02d}" for n in range(25)]

    with pytest.raises(UnknownUser) as raised:
        select(engine_iam, settings, requested=requested)

    message = str(raised.value)
    listed = ", ".join(f'"ghost{n:02d}"' for n in range(1, 11))
    assert message == f"user ghost00 is not configured for rotation (nor {listed} and 14 more)"


def test_given_an_excluded_name_on_demand_then_unknown_user_says_it_is_excluded(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "break-glass", rotate="yes")

    with pytest.raises(UnknownUser, match="user break-glass is excluded from rotation"):
        select(
            engine_iam,
            settings,
            requested=["break-glass"],
            user_tag=UserTag("rotate", "yes"),
            exclude_users=frozenset({"break-glass"}),
            user_listing=BY_TAG,
        )


# --- names no secret can carry ---------------------------------------------------------------


def test_given_selected_users_with_a_comma_when_planned_then_the_run_fails_naming_them(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", "/ci/")
    create(iam, "smith,john", "/ci/")
    create(iam, "doe,jane", "/ci/")

    with pytest.raises(InvalidUsersParameter) as raised:
        select(engine_iam, settings, user_path_prefix="/ci/", user_listing=BY_PATH)

    message = str(raised.value)
    assert message.endswith(': "doe,jane", "smith,john"')
    assert "ci-keys/<username>" in message and "exclude_users" in message


def test_given_many_users_with_a_comma_when_refused_then_the_message_stays_short(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    for index in range(40):
        create(iam, f"user,{index:02d}", "/ci/")

    with pytest.raises(InvalidUsersParameter) as raised:
        select(engine_iam, settings, user_path_prefix="/ci/", user_listing=BY_PATH)

    listed = ", ".join(f'"user,{index:02d}"' for index in range(10))
    assert str(raised.value).endswith(f": {listed} and 30 more")


def test_given_comma_users_excluded_or_not_requested_then_the_run_goes_on(
    iam: Any, engine_iam: Any, settings: Config, calls: Counter[str]
) -> None:
    create(iam, "deployer", "/ci/")
    create(iam, "smith,john", "/ci/")

    excluded = select(
        engine_iam,
        settings,
        user_path_prefix="/ci/",
        exclude_users=frozenset({"smith,john"}),
        user_listing=BY_PATH,
    )
    requested = select(
        engine_iam, settings, requested=["deployer"], user_path_prefix="/ci/", user_listing=BY_PATH
    )

    assert names(excluded) == names(requested) == ["deployer"]


def test_given_iam_refuses_the_listing_then_the_run_fails_saying_why(settings: Config) -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    stubber = Stubber(iam)
    stubber.add_client_error(
        "get_account_authorization_details",
        service_error_code="AccessDenied",
        service_message="not authorized to perform iam:GetAccountAuthorizationDetails",
    )
    stubber.activate()

    with pytest.raises(InvalidUsersParameter) as raised:
        select(iam, settings, user_tag=UserTag("rotate", "yes"), user_listing=BY_TAG)

    assert str(raised.value) == (
        'could not list the IAM users selected by user_tag "rotate" = "yes": AccessDenied: '
        "not authorized to perform iam:GetAccountAuthorizationDetails"
    )


# --- the users parameter ---------------------------------------------------------------------


def test_given_a_users_parameter_when_parsed_then_metadata_defaults_to_null() -> None:
    raw = '[{"username": "homer", "metadata": "deploys"}, {"username": "bart"}]'
    assert parse_users(raw, "/ci-keys/users") == [
        {"username": "homer", "metadata": "deploys"},
        {"username": "bart", "metadata": None},
    ]


@pytest.mark.parametrize(
    ("names", "first", "second"),
    [(["homer", "homer"], "homer", "homer"), (["homer", "bart", "HOMER"], "homer", "HOMER")],
    ids=["same spelling", "other case"],
)
def test_given_a_user_named_twice_whatever_the_case_then_both_spellings_are_named(
    names: list[str], first: str, second: str
) -> None:
    """GIVEN the parameter names one IAM user twice (IAM user names ignore case) WHEN parsed THEN
    it is refused, naming both spellings, so the user knows which entry to keep."""
    raw = json.dumps([{"username": name} for name in names])
    with pytest.raises(InvalidUsersParameter) as raised:
        parse_users(raw, "/ci-keys/users")
    assert str(raised.value) == (
        f"users parameter /ci-keys/users names one IAM user twice, as {first!r} and {second!r} "
        "(IAM user names ignore case); keep one entry"
    )


def test_given_a_users_parameter_in_ssm_when_read_then_its_users(ssm: Any) -> None:
    ssm.put_parameter(Name="/ci-keys/users", Value='[{"username": "homer"}]', Type="String")
    assert read_users(ssm, "/ci-keys/users") == [{"username": "homer", "metadata": None}]


def test_given_the_parameter_cannot_be_read_then_the_error_says_why(settings: Config) -> None:
    ssm = boto3.client("ssm", region_name="us-east-1")
    stubber = Stubber(ssm)
    stubber.add_client_error(
        "get_parameter", service_error_code="AccessDeniedException", service_message="no"
    )
    stubber.activate()
    with pytest.raises(InvalidUsersParameter) as raised:
        read_users(ssm, "/ci-keys/users")
    assert str(raised.value) == (
        "could not read users parameter /ci-keys/users: AccessDeniedException: no"
    )


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, ""),
        (1, '"n00"'),
        (10, ", ".join(f'"n{i:02d}"' for i in range(10))),
        (11, ", ".join(f'"n{i:02d}"' for i in range(10)) + " and 1 more"),
        (5000, ", ".join(f'"n{i:02d}"' for i in range(10)) + " and 4990 more"),
    ],
)
def test_given_names_for_a_message_then_the_first_ten_and_how_many_more(
    count: int, shown: str
) -> None:
    assert name_list([f"n{i:02d}" for i in range(count)]) == shown
