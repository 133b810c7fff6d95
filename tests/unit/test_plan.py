"""``plan``: the run input, the users parameter, the refusal to overlap, and the run's batches."""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

import boto3
import pytest
from aws_state import BUCKET, MACHINE, execution, load_event, stored
from botocore.stub import Stubber
from credentials_rotator.aws.selection import Selection
from credentials_rotator.handlers import plan
from credentials_rotator.model.errors import (
    InvalidRunInput,
    InvalidUsersParameter,
    RotationAlreadyRunning,
    UnknownUser,
)
from credentials_rotator.model.run_input import RunInput, parse_run_input
from credentials_rotator.run import run_guard
from credentials_rotator.settings.config import Config

USERS = [{"username": "homer", "metadata": "deploys the power plant"}, {"username": "bart"}]
T0 = datetime.datetime(2026, 1, 5, 3, 0, tzinfo=datetime.UTC)


def sfn_listing(*running: dict[str, Any]) -> Any:
    """A Step Functions client listing ``running``, and no run that ended abruptly."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    stubber = Stubber(sfn)
    stubber.add_response(
        "list_executions",
        {"executions": list(running)},
        {"stateMachineArn": MACHINE, "statusFilter": "RUNNING"},
    )
    for status in run_guard.ABRUPT_ENDS:
        stubber.add_response(
            "list_executions",
            {"executions": []},
            {"stateMachineArn": MACHINE, "statusFilter": status, "maxResults": 100},
        )
    stubber.activate()
    return sfn


@pytest.fixture
def users_parameter(ssm: Any, settings: Config) -> Any:
    def put(value: Any) -> None:
        text = value if isinstance(value, str) else json.dumps(value)
        ssm.put_parameter(
            Name=settings.users_parameter_name, Value=text, Type="String", Overwrite=True
        )

    put(USERS)
    return put


def plan_with(
    ssm: Any, iam: Any, s3: Any, settings: Config, event: dict[str, Any], *running: Any
) -> Any:
    own = execution(event["executionArn"].rsplit(":", 1)[-1], "RUNNING", T0)
    return plan.plan_run(
        aws=(ssm, iam, sfn_listing(own, *running), s3), settings=settings, event=event, now=T0
    )


def planned_entries(s3: Any, result: dict[str, Any]) -> list[Any]:
    """The users plan wrote to the run's items, batch after batch."""
    return [entry for batch in stored(s3, result["itemsKey"]) for entry in batch["entries"]]


def run_files(s3: Any) -> list[str]:
    return [entry["Key"] for entry in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_given_a_scheduled_run_when_planned_then_every_user_is_in_the_run_items(
    ssm: Any, iam: Any, s3: Any, settings: Config, users_parameter: Any
) -> None:
    result = plan_with(ssm, iam, s3, settings, load_event("plan_schedule.json"))
    assert result == {
        "dryRun": False,
        "force": False,
        "prefix": "runs/scheduled-1/",
        "itemsKey": "runs/scheduled-1/items.json",
        "count": 2,
        "batches": 1,
        "unreachableAccounts": 0,
    }
    assert stored(s3, result["itemsKey"]) == [
        {
            "batch": "00000",
            "entries": [
                {
                    "user": {"username": "homer", "metadata": "deploys the power plant"},
                    "record": None,
                },
                {"user": {"username": "bart", "metadata": None}, "record": None},
            ],
        }
    ]


def test_given_an_on_demand_subset_when_planned_then_only_those_users_with_the_flags(
    ssm: Any, iam: Any, s3: Any, settings: Config, users_parameter: Any
) -> None:
    result = plan_with(ssm, iam, s3, settings, load_event("plan_on_demand.json"))
    assert (result["dryRun"], result["force"], result["count"]) == (True, True, 1)
    assert result["prefix"] == "runs/on-demand-1/"
    assert planned_entries(s3, result) == [
        {"user": {"username": "bart", "metadata": None}, "record": None}
    ]


def test_given_an_on_demand_run_naming_a_user_twice_then_it_is_planned_once(
    ssm: Any, iam: Any, s3: Any, settings: Config, users_parameter: Any
) -> None:
    event = {**load_event("plan_on_demand.json"), "input": {"users": ["bart", "homer", "bart"]}}
    result = plan_with(ssm, iam, s3, settings, event)
    assert [e["user"]["username"] for e in planned_entries(s3, result)] == ["bart", "homer"]


def test_given_an_unconfigured_user_when_planned_then_the_error_names_it(
    ssm: Any, iam: Any, s3: Any, settings: Config, users_parameter: Any
) -> None:
    event = load_event("plan_on_demand.json")
    event["input"] = {"users": ["bart", "moe"]}
    with pytest.raises(UnknownUser, match="user moe is not configured"):
        plan_with(ssm, iam, s3, settings, event)
    assert run_files(s3) == []


@pytest.mark.parametrize(
    ("run_input", "message"),
    [
        ({"user": ["homer"]}, "unknown key 'user'"),
        ({"dry_run": True}, "unknown key 'dry_run'"),  # the old spelling
        ({"users": "homer"}, "must be a list"),
        ({"users": []}, "at least one user"),
        ({"users": ["homer", ""]}, "must be a list"),
        ({"users": ["homer", 7]}, "must be a list"),
        ({"force": "yes"}, "'force'"),
        ({"dryRun": 1}, "'dryRun'"),
        (["homer"], "must be a JSON object"),
        ("homer", "must be a JSON object"),
    ],
)
def test_given_bad_run_input_when_planned_then_invalid_run_input_says_why(
    ssm: Any,
    iam: Any,
    s3: Any,
    settings: Config,
    users_parameter: Any,
    run_input: Any,
    message: str,
) -> None:
    event = load_event("plan_schedule.json")
    event["input"] = run_input
    with pytest.raises(InvalidRunInput, match=message):
        plan_with(ssm, iam, s3, settings, event)
    assert run_files(s3) == []


@pytest.mark.parametrize(
    ("run_input", "parsed"),
    [
        (None, RunInput(None, force=False, dry_run=False)),
        ({}, RunInput(None, force=False, dry_run=False)),
        ({"dryRun": True}, RunInput(None, force=False, dry_run=True)),
        (
            {"users": ["b", "a", "b"], "force": True},
            RunInput(["b", "a"], force=True, dry_run=False),
        ),
    ],
)
def test_given_valid_run_input_when_parsed_then_missing_keys_are_defaults(
    run_input: Any, parsed: RunInput
) -> None:
    assert parse_run_input(run_input) == parsed


@pytest.mark.parametrize("event", [{}, {"input": {}}, {"input": {}, "executionArn": 7}, []])
def test_given_an_event_without_the_execution_when_planned_then_it_is_refused(
    ssm: Any, iam: Any, s3: Any, settings: Config, users_parameter: Any, event: Any
) -> None:
    with pytest.raises(InvalidRunInput, match="without the execution's ARN"):
        plan.plan_run(aws=(ssm, iam, sfn_listing(), s3), settings=settings, event=event, now=T0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("homer,bart", "not valid JSON"),
        ({"users": USERS}, "must hold a JSON list"),
        (["homer"], "entry 0 .* must be an object"),
        ([{"username": "homer", "meta": "x"}], "unknown key 'meta'"),
        ([{"username": "homer simpson"}], "no valid IAM user name"),
        ([{"username": "homer", "metadata": {"a": 1}}], "metadata must be a string"),
        ([{"username": "homer"}, {"username": "Homer"}], "names one IAM user twice"),
    ],
)
def test_given_a_malformed_users_parameter_when_planned_then_it_is_refused(
    ssm: Any, iam: Any, s3: Any, settings: Config, users_parameter: Any, value: Any, message: str
) -> None:
    users_parameter(value)
    with pytest.raises(InvalidUsersParameter, match=message):
        plan_with(ssm, iam, s3, settings, load_event("plan_schedule.json"))


def test_given_no_users_parameter_when_planned_then_the_error_names_it(
    ssm: Any, iam: Any, s3: Any, settings: Config
) -> None:
    with pytest.raises(InvalidUsersParameter, match="/ci-keys/users does not exist"):
        plan_with(ssm, iam, s3, settings, load_event("plan_schedule.json"))


def test_given_an_older_run_still_running_when_planned_then_this_run_refuses_writing_nothing(
    ssm: Any, iam: Any, s3: Any, settings: Config, users_parameter: Any
) -> None:
    older = execution("scheduled-0", "RUNNING", T0 - datetime.timedelta(minutes=5))
    with pytest.raises(RotationAlreadyRunning, match="execution scheduled-0"):
        plan_with(ssm, iam, s3, settings, load_event("plan_schedule.json"), older)
    assert run_files(s3) == []


def test_given_the_own_run_not_yet_listed_when_planned_then_its_start_time_is_used(
    ssm: Any, iam: Any, s3: Any, settings: Config, users_parameter: Any
) -> None:
    event = load_event("plan_schedule.json")  # started 2026-01-05T03:00:00Z
    older = execution("scheduled-0", "RUNNING", T0 - datetime.timedelta(seconds=1))
    with pytest.raises(RotationAlreadyRunning):
        plan.plan_run(
            aws=(ssm, iam, sfn_listing(older), s3), settings=settings, event=event, now=T0
        )


# --- the run's batches ------------------------------------------------------------------------


def users(count: int) -> list[Any]:
    return [{"username": f"user{n:03d}", "metadata": None} for n in range(count)]


def write(s3: Any, settings: Config, count: int, batch_size: int = 20) -> Any:
    return plan.write_batches(
        s3,
        dataclasses.replace(settings, batch_size=batch_size),
        "arn:aws:states:us-east-1:123456789012:execution:ci-keys:scheduled-1",
        Selection(users(count), []),
        RunInput(None, force=False, dry_run=False),
    )


def test_given_45_users_when_planned_then_they_are_written_in_batches_of_20_in_order(
    s3: Any, settings: Config
) -> None:
    result = write(s3, settings, 45)

    assert (result["count"], result["batches"]) == (45, 3)
    batches = stored(s3, result["itemsKey"])
    assert [batch["batch"] for batch in batches] == ["00000", "00001", "00002"]
    assert [len(batch["entries"]) for batch in batches] == [20, 20, 5]
    names = [entry["user"]["username"] for batch in batches for entry in batch["entries"]]
    assert names == [user["username"] for user in users(45)]
    assert all(entry["record"] is None for batch in batches for entry in batch["entries"])


@pytest.mark.parametrize(
    ("count", "size", "sizes"), [(7, 7, [7]), (8, 7, [7, 1]), (3, 1, [1, 1, 1])]
)
def test_given_a_batch_size_when_planned_then_each_batch_holds_at_most_that_many(
    s3: Any, settings: Config, count: int, size: int, sizes: list[int]
) -> None:
    result = write(s3, settings, count, batch_size=size)
    assert [len(batch["entries"]) for batch in stored(s3, result["itemsKey"])] == sizes
    assert result["batches"] == len(sizes)


def test_given_no_users_when_planned_then_the_run_has_no_batch(s3: Any, settings: Config) -> None:
    result = write(s3, settings, 0)
    assert (result["count"], result["batches"]) == (0, 0)
    assert stored(s3, result["itemsKey"]) == []
