"""``plan``: run input, the users parameter, and the refusal to overlap an older run."""

from __future__ import annotations

import datetime
import json
from typing import Any

import boto3
import pytest
from aws_state import load_event
from botocore.stub import Stubber
from credentials_rotator import plan
from credentials_rotator.config import Config
from credentials_rotator.errors import (
    InvalidRunInput,
    InvalidUsersParameter,
    RotationAlreadyRunning,
    UnknownUser,
)

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:ci-keys"
USERS = [{"username": "homer", "metadata": "deploys the power plant"}, {"username": "bart"}]
T0 = datetime.datetime(2026, 1, 5, 3, 0, tzinfo=datetime.UTC)


def execution(name: str, started: datetime.datetime) -> dict[str, Any]:
    return {
        "executionArn": f"arn:aws:states:us-east-1:123456789012:execution:ci-keys:{name}",
        "stateMachineArn": MACHINE,
        "name": name,
        "status": "RUNNING",
        "startDate": started,
    }


def sfn_listing(*running: dict[str, Any]) -> Any:
    """A Step Functions client that answers one ListExecutions with ``running``."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    stubber = Stubber(sfn)
    stubber.add_response(
        "list_executions",
        {"executions": list(running)},
        {"stateMachineArn": MACHINE, "statusFilter": "RUNNING"},
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


def plan_with(ssm: Any, settings: Config, event: dict[str, Any], *running: Any) -> Any:
    own = execution(event["executionArn"].rsplit(":", 1)[-1], T0)
    return plan.plan_run(ssm=ssm, sfn=sfn_listing(own, *running), config=settings, event=event)


def planned_entries(s3: Any, result: dict[str, Any]) -> list[Any]:
    """The users plan wrote to the run's items, batch after batch."""
    body = s3.get_object(Bucket=result["bucket"], Key=result["itemsKey"])["Body"].read()
    return [entry for batch in json.loads(body) for entry in batch["entries"]]


def test_given_a_scheduled_run_when_planned_then_every_user_is_in_the_run_items(
    ssm: Any, s3: Any, settings: Config, users_parameter: Any
) -> None:
    result = plan_with(ssm, settings, load_event("plan_schedule.json"))
    assert result == {
        "dry_run": False,
        "force": False,
        "bucket": "ci-keys-123456789012-us-east-1-runs",
        "prefix": "runs/scheduled-1/",
        "itemsKey": "runs/scheduled-1/items.json",
        "count": 2,
        "batches": 1,
    }
    assert planned_entries(s3, result) == [
        {"user": {"username": "homer", "metadata": "deploys the power plant"}, "record": None},
        {"user": {"username": "bart", "metadata": None}, "record": None},
    ]


def test_given_an_on_demand_subset_when_planned_then_only_those_users_with_the_flags(
    ssm: Any, s3: Any, settings: Config, users_parameter: Any
) -> None:
    result = plan_with(ssm, settings, load_event("plan_on_demand.json"))
    assert (result["dry_run"], result["force"], result["count"]) == (True, True, 1)
    assert planned_entries(s3, result) == [
        {"user": {"username": "bart", "metadata": None}, "record": None}
    ]


def test_given_an_unconfigured_user_when_planned_then_the_error_names_it(
    ssm: Any, settings: Config, users_parameter: Any
) -> None:
    event = load_event("plan_on_demand.json")
    event["input"] = {"users": ["bart", "moe"]}
    with pytest.raises(UnknownUser, match="user moe is not configured"):
        plan_with(ssm, settings, event)


@pytest.mark.parametrize(
    ("run_input", "message"),
    [
        ({"user": ["homer"]}, "unknown key 'user'"),
        ({"users": "homer"}, "must be a list"),
        ({"users": []}, "at least one user"),
        ({"users": ["homer", ""]}, "must be a list"),
        ({"force": "yes"}, "'force'"),
        ({"dry_run": 1}, "'dry_run'"),
        (["homer"], "must be a JSON object"),
    ],
)
def test_given_bad_run_input_when_planned_then_invalid_run_input_says_why(
    ssm: Any, settings: Config, users_parameter: Any, run_input: Any, message: str
) -> None:
    event = load_event("plan_schedule.json")
    event["input"] = run_input
    with pytest.raises(InvalidRunInput, match=message):
        plan_with(ssm, settings, event)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("homer,bart", "not valid JSON"),
        ({"users": USERS}, "must hold a JSON list"),
        (["homer"], "entry 0 .* must be an object"),
        ([{"username": "homer", "meta": "x"}], "unknown key 'meta'"),
        ([{"username": "homer simpson"}], "no valid IAM user name"),
        ([{"username": "homer", "metadata": {"a": 1}}], "metadata must be a string"),
        ([{"username": "homer"}, {"username": "homer"}], "appears twice"),
    ],
)
def test_given_a_malformed_users_parameter_when_planned_then_it_is_refused(
    ssm: Any, settings: Config, users_parameter: Any, value: Any, message: str
) -> None:
    users_parameter(value)
    with pytest.raises(InvalidUsersParameter, match=message):
        plan_with(ssm, settings, load_event("plan_schedule.json"))


def test_given_no_users_parameter_when_planned_then_the_error_names_it(
    ssm: Any, settings: Config
) -> None:
    with pytest.raises(InvalidUsersParameter, match="/ci-keys/users does not exist"):
        plan_with(ssm, settings, load_event("plan_schedule.json"))


def test_given_an_older_run_still_running_when_planned_then_this_run_refuses(
    ssm: Any, settings: Config, users_parameter: Any
) -> None:
    older = execution("scheduled-0", T0 - datetime.timedelta(minutes=5))
    with pytest.raises(RotationAlreadyRunning, match="execution scheduled-0"):
        plan_with(ssm, settings, load_event("plan_schedule.json"), older)


def test_given_only_a_newer_run_when_planned_then_this_run_goes_on(
    ssm: Any, s3: Any, settings: Config, users_parameter: Any
) -> None:
    newer = execution("scheduled-2", T0 + datetime.timedelta(seconds=1))
    result = plan_with(ssm, settings, load_event("plan_schedule.json"), newer)
    assert result["count"] == 2


@pytest.mark.parametrize(("other", "refused"), [("scheduled-0", True), ("scheduled-9", False)])
def test_given_two_runs_started_together_when_planned_then_the_first_name_wins(
    ssm: Any, s3: Any, settings: Config, users_parameter: Any, other: str, refused: bool
) -> None:
    event = load_event("plan_schedule.json")  # this run is "scheduled-1"
    if refused:
        with pytest.raises(RotationAlreadyRunning):
            plan_with(ssm, settings, event, execution(other, T0))
    else:
        assert plan_with(ssm, settings, event, execution(other, T0))["count"] == 2


def test_given_the_own_run_not_yet_listed_when_planned_then_its_start_time_is_used(
    ssm: Any, settings: Config, users_parameter: Any
) -> None:
    event = load_event("plan_schedule.json")
    older = execution("scheduled-0", T0 - datetime.timedelta(seconds=1))
    with pytest.raises(RotationAlreadyRunning):
        plan.plan_run(ssm=ssm, sfn=sfn_listing(older), config=settings, event=event)
