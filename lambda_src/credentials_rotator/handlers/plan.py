"""Entry point ``plan``: check the run input, select the users, make sure no other run may act,
then write the run's users in batches to the run-data bucket and return where they are.

Writing the items is also the run's record of intent: it exists before any key is created, and a
later run reads it to recognise a key this run created but never recorded (``strays``).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from credentials_rotator.aws import clients, selection
from credentials_rotator.handlers.entry import entry_point
from credentials_rotator.model.errors import InvalidRunInput
from credentials_rotator.model.run_input import RunInput, parse_run_input
from credentials_rotator.model.shapes import Batch, RunData
from credentials_rotator.run import run_data, run_guard
from credentials_rotator.settings import clock, config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient

LOGGER = get_logger(__name__)


@entry_point
def handler(event: Any, context: object) -> RunData:
    return plan_run(
        aws=(clients.ssm_client(), clients.iam_client(), clients.sfn_client(), clients.s3_client()),
        settings=config.load(),
        event=event,
        now=clock.now(),
    )


def plan_run(
    *,
    aws: tuple[SSMClient, IAMClient, SFNClient, S3Client],
    settings: config.Config,
    event: Any,
    now: datetime.datetime,
) -> RunData:
    """Validate the input, select the users, refuse to overlap; write the run's batches."""
    ssm, iam, sfn, s3 = aws
    if not isinstance(event, dict) or not isinstance(event.get("executionArn"), str):
        raise InvalidRunInput("plan received an event without the execution's ARN")
    run_input = parse_run_input(event.get("input"))
    selected = selection.users_to_rotate(
        iam=iam,
        configured=selection.read_users(
            ssm, settings.users_parameter_name, settings.hub_account_id
        ),
        settings=settings,
        requested=run_input.users,
    )
    run_guard.ensure_alone(
        sfn,
        state_machine_arn=settings.state_machine_arn,
        execution_arn=event["executionArn"],
        start_time=event.get("startTime"),
        now=now,
    )
    return write_batches(s3, settings, event["executionArn"], selected, run_input)


def write_batches(
    s3: S3Client,
    settings: config.Config,
    execution_arn: str,
    selected: selection.Selection,
    run: RunInput,
) -> RunData:
    """Write the run's users, in batches of ``batch_size``, to ``items.json`` (and the member
    accounts that could not be listed, for ``finish``); return where they are. The state
    carries no user list, whatever the number of users."""
    prefix, size = run_data.run_prefix(execution_arn), settings.batch_size
    users = selected.users
    if selected.unreachable:
        unreachable_key = run_data.unreachable_key(prefix)
        run_data.put_json(s3, settings.run_data_bucket, unreachable_key, selected.unreachable)
    batches: list[Batch] = [
        {
            "batch": run_data.batch_id(index),
            "entries": [{"user": user, "record": None} for user in users[start : start + size]],
        }
        for index, start in enumerate(range(0, len(users), size))
    ]
    key = run_data.items_key(prefix)
    run_data.put_json(s3, settings.run_data_bucket, key, batches)
    LOGGER.info(
        "planned run",
        extra={
            "users": len(users),
            "batches": len(batches),
            "first_users": [user["username"] for user in users[:20]],
            "dry_run": run.dry_run,
            "force": run.force,
            "unreachable_accounts": [entry["username"] for entry in selected.unreachable],
            "items": f"s3://{settings.run_data_bucket}/{key}",
        },
    )
    return {
        "dryRun": run.dry_run,
        "force": run.force,
        "prefix": prefix,
        "itemsKey": key,
        "count": len(users),
        "batches": len(batches),
        "unreachableAccounts": len(selected.unreachable),
    }
