"""One run at a time: a run changes nothing while another run of the state machine may still act.

Another run may act while it is RUNNING, and also after it was stopped or timed out: Step
Functions marks such a run ABORTED or TIMED_OUT at once, but a Lambda function it had invoked
(``rotate``, the credentials handler, ``finish``) runs on to its end, for up to
``LONGEST_INVOCATION``. So ``plan`` refuses to start while an older run is RUNNING (of two runs
started together, exactly one goes on) or while a run ended that way less than
``LONGEST_INVOCATION`` ago. Step Functions lists executions with eventual consistency: two runs
started in the same instant might both go on; the decision table keeps even that case safe.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from credentials_rotator.model.errors import RotationAlreadyRunning

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.literals import ExecutionStatusType
    from mypy_boto3_stepfunctions.type_defs import ExecutionListItemTypeDef

# Lambda's longest timeout: how long a function a stopped run invoked may still run.
LONGEST_INVOCATION = datetime.timedelta(seconds=900)
# Ends after which a function the run invoked may still be running.
ABRUPT_ENDS: tuple[ExecutionStatusType, ...] = ("ABORTED", "TIMED_OUT")
# The newest runs of each abrupt end looked at (one ListExecutions page, newest first).
RECENT_RUNS = 100


def ensure_alone(
    sfn: SFNClient,
    *,
    state_machine_arn: str,
    execution_arn: str,
    start_time: str | None,
    now: datetime.datetime,
) -> None:
    """Raise ``RotationAlreadyRunning`` unless this run is the only one that may act."""
    running = [
        run
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=state_machine_arn, statusFilter="RUNNING"
        )
        for run in page["executions"]
    ]
    _refuse_older(running, execution_arn, start_time)
    for run in abrupt_ends(sfn, state_machine_arn):
        stopped = run.get("stopDate")
        if stopped and now - stopped < LONGEST_INVOCATION:
            raise RotationAlreadyRunning(
                f"execution {run['name']} of this state machine ended {run['status']} at "
                f"{stopped.isoformat()}; a function it invoked may run until "
                f"{(stopped + LONGEST_INVOCATION).isoformat()}, so this run changed nothing"
            )


def abrupt_ends(sfn: SFNClient, state_machine_arn: str) -> list[ExecutionListItemTypeDef]:
    """The newest runs of the state machine that were stopped or timed out, one listing per
    status: asked by status, a burst of runs refused since cannot push an abrupt end out of
    the page."""
    return [
        run
        for status in ABRUPT_ENDS
        for run in sfn.list_executions(
            stateMachineArn=state_machine_arn, statusFilter=status, maxResults=RECENT_RUNS
        )["executions"]
    ]


def runs_since(
    sfn: SFNClient, state_machine_arn: str, moment: datetime.datetime
) -> list[ExecutionListItemTypeDef]:
    """Every run that may have been acting at ``moment`` or since: the runs started since, and the
    newest one started before it. Step Functions lists the newest first."""
    runs: list[ExecutionListItemTypeDef] = []
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, PaginationConfig={"PageSize": RECENT_RUNS}
    )
    for page in pages:
        for run in page["executions"]:
            runs.append(run)
            if run["startDate"] < moment:
                return runs
    return runs


def _refuse_older(
    running: list[ExecutionListItemTypeDef], execution_arn: str, start_time: str | None
) -> None:
    """Older means an earlier start; a tie goes to the name that sorts first."""
    own_name = execution_arn.rsplit(":", 1)[-1]
    own_start = next(
        (run["startDate"] for run in running if run["executionArn"] == execution_arn), None
    ) or _parse_time(start_time)
    for run in running:
        if run["executionArn"] == execution_arn:
            continue
        if own_start is None or (run["startDate"], run["name"]) < (own_start, own_name):
            raise RotationAlreadyRunning(
                f"execution {run['name']} of this state machine, started "
                f"{run['startDate'].isoformat()}, is still running; this run changed nothing"
            )


def _parse_time(raw: str | None) -> datetime.datetime | None:
    if not raw:
        return None
    try:
        return datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
