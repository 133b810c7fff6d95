"""Building and reading the state the engine works on, in moto: users' keys, their secrets, runs.

Events start from the samples in tests/events/ and go through the engine's own parsers, as the
handlers do.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber
from credentials_rotator.handlers import read_records, rotate
from credentials_rotator.run import events
from credentials_rotator.settings.config import Config

EVENTS = Path(__file__).resolve().parent.parent / "events"
NOW = datetime.datetime(2026, 1, 5, 3, 0, tzinfo=datetime.UTC)
BUCKET = "ci-keys-123456789012-us-east-1-runs"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:ci-keys"
EXECUTIONS = "arn:aws:states:us-east-1:123456789012:execution:ci-keys:"
PREFIX = "runs/scheduled-1/"  # the run of the sample events
PENDING = "PENDING_HANDOFF"


def load_event(name: str) -> dict[str, Any]:
    """A sample event from tests/events/."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def rotate_event(
    username: str = "homer",
    *,
    record: dict[str, Any] | None = None,
    dry_run: bool = False,
    force: bool = False,
    attempt: int = 0,
    prefix: str = PREFIX,
) -> Any:
    """The event the state machine sends to ``rotate`` for one user, parsed as rotate does."""
    event = load_event("rotate.json")
    event["user"]["username"] = username
    event.update(record=record, dryRun=dry_run, force=force, attempt=attempt, prefix=prefix)
    return events.parse_rotate_event(event)


def idle_sfn() -> Any:
    """A Step Functions client that fails any call: the test expects none."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    Stubber(sfn).activate()
    return sfn


def listing_sfn(*executions: dict[str, Any], calls: int = 1) -> Any:
    """A Step Functions client that answers ``calls`` ListExecutions of the newest runs."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    stubber = Stubber(sfn)
    for _ in range(calls):
        stubber.add_response(
            "list_executions",
            {"executions": list(executions)},
            {"stateMachineArn": MACHINE, "maxResults": 100},
        )
    stubber.activate()
    return sfn


def execution(
    name: str,
    status: str,
    start: datetime.datetime,
    stop: datetime.datetime | None = None,
) -> dict[str, Any]:
    """One ListExecutions entry of the module's state machine."""
    listed: dict[str, Any] = {
        "executionArn": f"{EXECUTIONS}{name}",
        "stateMachineArn": MACHINE,
        "name": name,
        "status": status,
        "startDate": start,
    }
    if stop is not None:
        listed["stopDate"] = stop
    return listed


def engine(iam: Any, secretsmanager: Any, sfn: Any = None, s3: Any = None) -> rotate.Clients:
    """The clients rotate works with; Step Functions answers nothing unless given."""
    return rotate.Clients(iam, secretsmanager, sfn or idle_sfn(), s3)


def eventbridge_client() -> Any:
    """An EventBridge client of the mocked account (finish sends per-user events with it)."""
    return boto3.client("events", region_name="us-east-1")


def secrets_client() -> Any:
    """A Secrets Manager client of the mocked account (finish tags a deferral with it)."""
    return boto3.client("secretsmanager", region_name="us-east-1")


def hint(secretsmanager: Any, settings: Config, username: str = "homer") -> Any:
    """The user's record as its batch reads it (read_records)."""
    name = settings.secret_name(username)
    return read_records.read_hints(secretsmanager, [name])[name]


def new_key(iam: Any, username: str = "homer", *, inactive: bool = False) -> dict[str, Any]:
    key: dict[str, Any] = iam.create_access_key(UserName=username)["AccessKey"]
    if inactive:
        iam.update_access_key(UserName=username, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    return key


def use(key: dict[str, Any]) -> None:
    """Make one AWS call with ``key``: IAM then records a use of it."""
    boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    ).get_caller_identity()


def record(
    secretsmanager: Any,
    key: dict[str, Any],
    stages: tuple[str, ...] = ("AWSCURRENT",),
    created: datetime.datetime | None = None,
) -> str:
    """Write ``key`` to the user's secret the way a past run would have; return the version."""
    name = f"ci-keys/{key['UserName']}"
    with contextlib.suppress(secretsmanager.exceptions.ResourceExistsException):
        secretsmanager.create_secret(Name=name)
    value = {
        "UserName": key["UserName"],
        "AccessKeyId": key["AccessKeyId"],
        "Status": "Active",
        "SecretAccessKey": key["SecretAccessKey"],
        "CreateDate": (created or key["CreateDate"]).isoformat(),
    }
    return write(secretsmanager, key["UserName"], json.dumps(value), stages)


def write(
    secretsmanager: Any, username: str, value: str, stages: tuple[str, ...] = ("AWSCURRENT",)
) -> str:
    """Put ``value`` as a new version of the user's secret; return the version."""
    name = f"ci-keys/{username}"
    with contextlib.suppress(secretsmanager.exceptions.ResourceExistsException):
        secretsmanager.create_secret(Name=name)
    version: str = secretsmanager.put_secret_value(
        SecretId=name, SecretString=value, VersionStages=list(stages)
    )["VersionId"]
    return version


def make_current(secretsmanager: Any, version: str, username: str = "homer") -> None:
    """Move AWSCURRENT to ``version`` by hand (AWSPREVIOUS follows, as in AWS)."""
    current_version = next(
        v for v, stages in stage_map(secretsmanager, username).items() if "AWSCURRENT" in stages
    )
    secretsmanager.update_secret_version_stage(
        SecretId=f"ci-keys/{username}",
        VersionStage="AWSCURRENT",
        MoveToVersionId=version,
        RemoveFromVersionId=current_version,
    )


def confirm(secretsmanager: Any, version: str, username: str = "homer") -> None:
    """What the state machine's MarkDelivered does after a confirmed handoff."""
    secretsmanager.update_secret_version_stage(
        SecretId=f"ci-keys/{username}", VersionStage=PENDING, RemoveFromVersionId=version
    )


def keys_of(iam: Any, username: str = "homer") -> dict[str, str]:
    listed = iam.list_access_keys(UserName=username)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in listed}


def key_meta(iam: Any, access_key_id: str, username: str = "homer") -> dict[str, Any]:
    listed = iam.list_access_keys(UserName=username)["AccessKeyMetadata"]
    found: dict[str, Any] = next(k for k in listed if k["AccessKeyId"] == access_key_id)
    return found


def current(secretsmanager: Any, username: str = "homer") -> tuple[dict[str, Any], list[str]]:
    got = secretsmanager.get_secret_value(SecretId=f"ci-keys/{username}")
    return json.loads(got["SecretString"]), sorted(got["VersionStages"])


def value_of(secretsmanager: Any, version: str, username: str = "homer") -> dict[str, Any]:
    got = secretsmanager.get_secret_value(SecretId=f"ci-keys/{username}", VersionId=version)
    parsed: dict[str, Any] = json.loads(got["SecretString"])
    return parsed


def stage_map(secretsmanager: Any, username: str = "homer") -> dict[str, list[str]]:
    described = secretsmanager.describe_secret(SecretId=f"ci-keys/{username}")
    return {k: sorted(v) for k, v in described["VersionIdsToStages"].items() if v}


def record_calls(*clients: Any) -> list[str]:
    calls: list[str] = []
    for client in clients:
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    return calls


def put_json(s3: Any, key: str, value: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(value).encode())


def stored(s3: Any, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def items(*batches: list[str]) -> list[dict[str, Any]]:
    """A run's items.json: one batch of users per list of names."""
    return [
        {
            "batch": f"{index:05d}",
            "entries": [{"user": {"username": n, "metadata": None}, "record": None} for n in names],
        }
        for index, names in enumerate(batches)
    ]


def handed_off(result: Any) -> dict[str, Any]:
    """The per-user Map's result after a confirmed handoff of ``result`` (HandedOff)."""
    return {
        "username": result["username"],
        "outcome": "handed_off",
        "accessKeyId": result["accessKeyId"],
        "previousKeyId": result["previousKeyId"],
    }
