"""``run_guard.ensure_alone``: a run changes nothing while another run may still act.

Step Functions answers from a stub: first the RUNNING executions (paginated), then the newest
runs of each abrupt end (ABORTED, then TIMED_OUT), filtered by status as Step Functions does.
"""

from __future__ import annotations

import datetime
from typing import Any

import boto3
import pytest
from aws_state import EXECUTIONS, MACHINE, execution
from botocore.stub import Stubber
from credentials_rotator.model.errors import RotationAlreadyRunning
from credentials_rotator.run import run_guard

STUBBERS: dict[int, Stubber] = {}
T0 = datetime.datetime(2026, 1, 5, 3, 0, tzinfo=datetime.UTC)
OWN = "scheduled-1"
MINUTE = datetime.timedelta(minutes=1)


def sfn(running: list[Any], recent: list[Any] | None = None, *pages: list[Any]) -> Any:
    """A client listing ``running`` (then further ``pages`` of it), then those of ``recent``
    (runs of any status, newest first) that ended each abrupt way."""
    client = boto3.client("stepfunctions", region_name="us-east-1")
    stubber = Stubber(client)
    all_pages = [running, *pages]
    for index, page in enumerate(all_pages):
        response: dict[str, Any] = {"executions": page}
        params: dict[str, Any] = {"stateMachineArn": MACHINE, "statusFilter": "RUNNING"}
        if index + 1 < len(all_pages):
            response["nextToken"] = f"page-{index + 1}"
        if index > 0:
            params["nextToken"] = f"page-{index}"
        stubber.add_response("list_executions", response, params)
    for status in run_guard.ABRUPT_ENDS if recent is not None else ():
        stubber.add_response(
            "list_executions",
            {"executions": [run for run in recent or [] if run["status"] == status]},
            {
                "stateMachineArn": MACHINE,
                "statusFilter": status,
                "maxResults": run_guard.RECENT_RUNS,
            },
        )
    stubber.activate()
    STUBBERS[id(client)] = stubber
    return client


def own(start: datetime.datetime = T0) -> dict[str, Any]:
    return execution(OWN, "RUNNING", start)


def ensure_alone(
    client: Any, now: datetime.datetime = T0 + MINUTE, start_time: str | None = None
) -> None:
    """Run the guard; when it lets the run go on, every listing was asked for."""
    run_guard.ensure_alone(
        client,
        state_machine_arn=MACHINE,
        execution_arn=f"{EXECUTIONS}{OWN}",
        start_time=start_time,
        now=now,
    )
    STUBBERS.pop(id(client)).assert_no_pending_responses()


def test_given_no_other_run_then_the_run_goes_on() -> None:
    ensure_alone(sfn([own()], [own()]))


def test_given_an_older_run_still_running_then_this_run_refuses_naming_it() -> None:
    older = execution("scheduled-0", "RUNNING", T0 - 5 * MINUTE)
    with pytest.raises(RotationAlreadyRunning) as raised:
        ensure_alone(sfn([own(), older]))
    assert str(raised.value) == (
        "execution scheduled-0 of this state machine, started 2026-01-05T02:55:00+00:00, is "
        "still running; this run changed nothing"
    )


def test_given_only_a_newer_run_running_then_this_run_goes_on() -> None:
    newer = execution("scheduled-2", "RUNNING", T0 + datetime.timedelta(seconds=1))
    ensure_alone(sfn([newer, own()], [newer, own()]))


@pytest.mark.parametrize(("other", "refused"), [("scheduled-0", True), ("scheduled-9", False)])
def test_given_two_runs_started_in_the_same_instant_then_the_first_name_goes_on(
    other: str, refused: bool
) -> None:
    """GIVEN a tie on the start time THEN exactly one run goes on: the name that sorts first."""
    twin = execution(other, "RUNNING", T0)
    client = sfn([twin, own()], [twin, own()])
    if refused:
        with pytest.raises(RotationAlreadyRunning, match=other):
            ensure_alone(client)
    else:
        ensure_alone(client)


@pytest.mark.parametrize(
    ("other_start", "refused"), [(T0 - MINUTE, True), (T0 + MINUTE, False)], ids=["older", "newer"]
)
def test_given_the_own_run_not_yet_listed_then_its_start_time_is_used(
    other_start: datetime.datetime, refused: bool
) -> None:
    """Step Functions lists executions with eventual consistency: the run may miss itself."""
    other = execution("scheduled-0", "RUNNING", other_start)
    client = sfn([other], [other])
    if refused:
        with pytest.raises(RotationAlreadyRunning):
            ensure_alone(client, start_time="2026-01-05T03:00:00.000Z")
    else:
        ensure_alone(client, start_time="2026-01-05T03:00:00.000Z")


@pytest.mark.parametrize("start_time", [None, "", "not a time"])
def test_given_no_own_start_at_all_then_any_other_running_run_refuses_it(
    start_time: str | None,
) -> None:
    other = execution("scheduled-9", "RUNNING", T0 + MINUTE)
    with pytest.raises(RotationAlreadyRunning):
        ensure_alone(sfn([other]), start_time=start_time)


def test_given_an_older_run_on_a_later_page_then_it_is_found() -> None:
    older = execution("scheduled-0", "RUNNING", T0 - MINUTE)
    with pytest.raises(RotationAlreadyRunning, match="scheduled-0"):
        ensure_alone(sfn([own()], None, [older]))


ENDS = {
    "stopped 14 min ago": ("ABORTED", 14, True),
    "timed out 14 min ago": ("TIMED_OUT", 14, True),
    "stopped 1 min ago": ("ABORTED", 1, True),
    "stopped 15 min ago": ("ABORTED", 15, False),
    "timed out 16 min ago": ("TIMED_OUT", 16, False),
    "failed 1 min ago": ("FAILED", 1, False),
    "succeeded 1 min ago": ("SUCCEEDED", 1, False),
}


@pytest.mark.parametrize(("status", "minutes_ago", "refused"), ENDS.values(), ids=ENDS.keys())
def test_given_a_recent_run_then_only_an_abrupt_end_within_15_minutes_refuses(
    status: str, minutes_ago: int, refused: bool
) -> None:
    """GIVEN a run that ended WHEN it was stopped or timed out less than Lambda's longest
    invocation ago THEN a function it invoked may still run: this run refuses. A run that
    succeeded or failed ended with its functions."""
    now = T0 + MINUTE
    stop = now - datetime.timedelta(minutes=minutes_ago)
    ended = execution("scheduled-0", status, stop - 10 * MINUTE, stop)
    client = sfn([own()], [own(), ended])
    if refused:
        with pytest.raises(RotationAlreadyRunning) as raised:
            ensure_alone(client, now=now)
        assert f"execution scheduled-0 of this state machine ended {status} at" in str(raised.value)
        assert (stop + datetime.timedelta(minutes=15)).isoformat() in str(raised.value)
    else:
        ensure_alone(client, now=now)


def test_given_a_stop_then_many_refused_runs_then_the_stop_still_refuses() -> None:
    """GIVEN a run stopped 5 minutes ago, and since then more refused runs than one page holds
    WHEN the guard looks THEN it asks for the abrupt ends by status, so the stop is still found."""
    now = T0 + MINUTE
    stopped = execution("scheduled-0", "ABORTED", now - 15 * MINUTE, now - 5 * MINUTE)
    refused = [
        execution(f"on-demand-{index}", "FAILED", now - 4 * MINUTE, now - 4 * MINUTE)
        for index in range(run_guard.RECENT_RUNS + 1)
    ]
    with pytest.raises(RotationAlreadyRunning, match="scheduled-0"):
        ensure_alone(sfn([own()], [own(), *refused, stopped]), now=now)
