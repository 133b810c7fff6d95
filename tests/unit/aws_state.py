"""Building and reading the state rotate works on: users' keys and their secrets, in moto."""

from __future__ import annotations

import contextlib
import datetime
import json
from pathlib import Path
from typing import Any

from credentials_rotator import rotate
from credentials_rotator.config import Config

EVENTS = Path(__file__).resolve().parent.parent / "events"
NOW = datetime.datetime(2026, 1, 5, 3, 0, tzinfo=datetime.UTC)


def load_event(name: str) -> dict[str, Any]:
    """A sample event from tests/events/."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def item(username: str = "homer", *, dry_run: bool = False, force: bool = False) -> Any:
    event = load_event("rotate_item.json")
    event["user"]["username"] = username
    event.update(dry_run=dry_run, force=force)
    return rotate.parse_item(event)


def run(iam: Any, secretsmanager: Any, settings: Config, **kwargs: Any) -> Any:
    return rotate.rotate_user(
        iam=iam, secretsmanager=secretsmanager, config=settings, item=item(**kwargs), now=NOW
    )


def new_key(iam: Any, username: str = "homer", *, inactive: bool = False) -> dict[str, Any]:
    key: dict[str, Any] = iam.create_access_key(UserName=username)["AccessKey"]
    if inactive:
        iam.update_access_key(UserName=username, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    return key


def record(
    secretsmanager: Any,
    key: dict[str, Any],
    stages: tuple[str, ...] = ("AWSCURRENT",),
    created: datetime.datetime | None = None,
) -> str:
    """Write ``key`` to the user's secret the way a past run would have."""
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
    version: str = secretsmanager.put_secret_value(
        SecretId=name, SecretString=json.dumps(value), VersionStages=list(stages)
    )["VersionId"]
    return version


def keys_of(iam: Any, username: str = "homer") -> dict[str, str]:
    listed = iam.list_access_keys(UserName=username)["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in listed}


def current(secretsmanager: Any, username: str = "homer") -> tuple[dict[str, Any], list[str]]:
    got = secretsmanager.get_secret_value(SecretId=f"ci-keys/{username}")
    return json.loads(got["SecretString"]), sorted(got["VersionStages"])


def stage_map(secretsmanager: Any, username: str = "homer") -> dict[str, list[str]]:
    described = secretsmanager.describe_secret(SecretId=f"ci-keys/{username}")
    return {k: sorted(v) for k, v in described["VersionIdsToStages"].items() if v}


def record_calls(*clients: Any) -> list[str]:
    calls: list[str] = []
    for client in clients:
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    return calls


def handed_off_event(result: Any) -> dict[str, Any]:
    """The Map iteration result of a successful handoff of ``result``."""
    return {
        "username": result["username"],
        "outcome": "handed_off",
        "accessKeyId": result["accessKeyId"],
        "retireKeyId": result["retireKeyId"],
    }
