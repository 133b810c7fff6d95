"""Entry point ``plan``: read the users, apply the run input, refuse to overlap an older run."""

from __future__ import annotations

import datetime
import json
import re
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from credentials_rotator import clients, config, log, run_data, selection, throttling
from credentials_rotator.errors import (
    InvalidRunInput,
    InvalidUsersParameter,
    RotationAlreadyRunning,
)
from credentials_rotator.failures import describe_client_error, error_code
from credentials_rotator.shapes import Batch, PlanResult, User

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient

log.configure()
config.load()  # a missing variable fails the function at import, naming it
LOGGER = log.get_logger(__name__)

RUN_INPUT_KEYS = ("users", "force", "dry_run")
# IAM user names: 1 to 64 of letters, digits and + = , . @ _ -
USERNAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


def handler(event: dict[str, Any], context: object) -> PlanResult:
    throttling.set_deadline(context)
    return plan_run(
        ssm=clients.ssm_client(),
        sfn=clients.sfn_client(),
        config=config.load(),
        event=event,
        s3=clients.s3_client(),
    )


def plan_run(
    *,
    ssm: SSMClient,
    sfn: SFNClient,
    config: config.Config,
    event: dict[str, Any],
    iam: IAMClient | None = None,
    s3: S3Client | None = None,
) -> PlanResult:
    """Validate the input, select the users, check for an older run; write the run's batches."""
    run_input = event.get("input")
    requested, force, dry_run = parse_run_input({} if run_input is None else run_input)
    users = selection.users_to_rotate(
        iam=iam if iam is not None else clients.iam_client(),
        configured=read_users(ssm, config.users_parameter_name),
        settings=config,
        requested=requested,
    )
    ensure_no_older_run(
        sfn,
        state_machine_arn=str(event["stateMachineArn"]),
        execution_arn=str(event["executionArn"]),
        start_time=event.get("startTime"),
    )
    return write_batches(
        s3 if s3 is not None else clients.s3_client(),
        bucket=str(event["runDataBucket"]),
        batch_size=int(event["batchSize"]),
        execution_arn=str(event["executionArn"]),
        users=users,
        dry_run=dry_run,
        force=force,
    )


def write_batches(
    s3: S3Client,
    *,
    bucket: str,
    batch_size: int,
    execution_arn: str,
    users: list[User],
    dry_run: bool,
    force: bool,
) -> PlanResult:
    """Write the run's users, in batches of ``batch_size``, to ``items.json`` in the run-data
    bucket; return where they are. The state carries no user list, whatever the number of users."""
    if batch_size < 1:
        raise InvalidRunInput(f"plan received a batch size of {batch_size}")
    prefix = run_data.run_prefix(execution_arn)
    batches: list[Batch] = [
        {
            "batch": run_data.batch_id(index),
            "entries": [
                {"user": user, "record": None} for user in users[start : start + batch_size]
            ],
        }
        for index, start in enumerate(range(0, len(users), batch_size))
    ]
    key = run_data.items_key(prefix)
    run_data.put_json(s3, bucket, key, batches)
    LOGGER.info(
        "planned run",
        extra={
            "users": len(users),
            "batches": len(batches),
            "first_users": [user["username"] for user in users[:20]],
            "dry_run": dry_run,
            "force": force,
            "items": f"s3://{bucket}/{key}",
        },
    )
    return {
        "dry_run": dry_run,
        "force": force,
        "bucket": bucket,
        "prefix": prefix,
        "itemsKey": key,
        "count": len(users),
        "batches": len(batches),
    }


def parse_run_input(run_input: object) -> tuple[list[str] | None, bool, bool]:
    """Return (requested users or None for all, force, dry_run); raise ``InvalidRunInput``."""
    if not isinstance(run_input, dict):
        raise InvalidRunInput(
            'the run input must be a JSON object such as {} or {"users": ["name"], '
            '"force": true, "dry_run": true}'
        )
    unknown = sorted(set(run_input) - set(RUN_INPUT_KEYS))
    if unknown:
        raise InvalidRunInput(
            f"unknown key {unknown[0]!r} in the run input; allowed: {', '.join(RUN_INPUT_KEYS)}"
        )
    for flag in ("force", "dry_run"):
        if flag in run_input and not isinstance(run_input[flag], bool):
            raise InvalidRunInput(f"{flag!r} in the run input must be true or false")
    requested = run_input.get("users")
    if requested is not None:
        if not isinstance(requested, list) or not all(
            isinstance(name, str) and name for name in requested
        ):
            raise InvalidRunInput("'users' in the run input must be a list of user names")
        if not requested:
            raise InvalidRunInput("'users' in the run input must name at least one user")
        requested = list(dict.fromkeys(requested))
    return requested, bool(run_input.get("force", False)), bool(run_input.get("dry_run", False))


def read_users(ssm: SSMClient, parameter_name: str) -> list[User]:
    """Read and validate the users parameter; raise ``InvalidUsersParameter``."""
    try:
        raw = ssm.get_parameter(Name=parameter_name)["Parameter"].get("Value", "")
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            raise InvalidUsersParameter(f"users parameter {parameter_name} does not exist") from exc
        raise InvalidUsersParameter(
            f"could not read users parameter {parameter_name}: {describe_client_error(exc)}"
        ) from exc
    return parse_users(raw, parameter_name)


def parse_users(raw: str, parameter_name: str) -> list[User]:
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidUsersParameter(f"users parameter {parameter_name} is not valid JSON") from exc
    if not isinstance(entries, list):
        raise InvalidUsersParameter(f"users parameter {parameter_name} must hold a JSON list")
    users: list[User] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"entry {index} of users parameter {parameter_name}"
        if not isinstance(entry, dict):
            raise InvalidUsersParameter(f"{where} must be an object with a username")
        unknown = sorted(set(entry) - {"username", "metadata"})
        if unknown:
            raise InvalidUsersParameter(f"{where} has unknown key {unknown[0]!r}")
        username = entry.get("username")
        if not isinstance(username, str) or not USERNAME.fullmatch(username):
            raise InvalidUsersParameter(f"{where} has no valid IAM user name")
        metadata = entry.get("metadata")
        if metadata is not None and not isinstance(metadata, str):
            raise InvalidUsersParameter(f"{where}: metadata must be a string")
        if username in seen:
            raise InvalidUsersParameter(f"user {username} appears twice in {parameter_name}")
        seen.add(username)
        users.append({"username": username, "metadata": metadata})
    return users


def ensure_no_older_run(
    sfn: SFNClient, *, state_machine_arn: str, execution_arn: str, start_time: str | None
) -> None:
    """Raise ``RotationAlreadyRunning`` when an older execution of this state machine runs.

    Older means an earlier start; a tie goes to the name that sorts first. Of two runs started
    together exactly one goes on.
    """
    own_name = execution_arn.rsplit(":", 1)[-1]
    running = []
    paginator = sfn.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=state_machine_arn, statusFilter="RUNNING"):
        running.extend(page["executions"])
    own_start = next(
        (run["startDate"] for run in running if run["executionArn"] == execution_arn),
        None,
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
