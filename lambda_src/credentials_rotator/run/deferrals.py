"""A deferral: the record, on the user's secret, that a superseded key was kept because a
consumer still used it (``in_use``).

Two marks on the secret: the tag ``DEFERRAL_TAG`` ("<key id> <runs> <last used> <run>": the key,
how many runs in a row kept it, the last use IAM saw, the last run that kept it), and the stage
``DEFERRED_STAGE`` on the current version, which the batch's read of that version sees, so that
``rotate`` checks the key before anything else (the key-age policy included). The stage is set
first: a run that finds the stage without the tag checks the key as an untagged one.
``keep_or_deactivate`` does what ``in_use_key_action`` says with a key found in use.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from credentials_rotator.model.delivery_record import parse_date
from credentials_rotator.model.errors import KeyStillInUse
from credentials_rotator.model.shapes import DEFERRED_STAGE, DeferredEntry
from credentials_rotator.settings.config import Config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)
DEFERRAL_TAG = "credentials-rotator:in-use"


@dataclass(frozen=True)
class Deferral:
    """The previous key ``access_key_id``, last used at ``last_used``, was found in use after its
    successor's handoff on ``runs`` runs in a row, the last of them ``run_prefix``."""

    access_key_id: str
    runs: int
    last_used: datetime.datetime
    run_prefix: str

    def tag_value(self) -> str:
        return f"{self.access_key_id} {self.runs} {self.last_used.isoformat()} {self.run_prefix}"

    def entry(self, username: str, action: Literal["kept", "deactivated"]) -> DeferredEntry:
        return {
            "username": username,
            "accessKeyId": self.access_key_id,
            "lastUsed": self.last_used.isoformat(timespec="seconds"),
            "runs": self.runs,
            "action": action,
        }


@dataclass(frozen=True)
class SecretDeferral:
    """What the user's secret records of deferrals: the tag's deferral of the key asked about
    (None: none, or one of another key), and each version's stages (to move the stage)."""

    earlier: Deferral | None
    stages: Mapping[str, Sequence[str]]

    def version_with(self, stage: str) -> str | None:
        return next((v for v, stages in self.stages.items() if stage in stages), None)


def read_deferral(
    secretsmanager: SecretsManagerClient, secret_id: str, access_key_id: str
) -> SecretDeferral:
    """What the secret records of deferrals, for ``access_key_id`` (one DescribeSecret)."""
    described = secretsmanager.describe_secret(SecretId=secret_id)
    tags = described.get("Tags", [])
    value = next((t.get("Value", "") for t in tags if t.get("Key") == DEFERRAL_TAG), "")
    stages = described.get("VersionIdsToStages", {})
    return SecretDeferral(_parse_tag(value, access_key_id), stages)


def _parse_tag(value: str, access_key_id: str) -> Deferral | None:
    parts = value.split(" ")
    if len(parts) != len(("key", "runs", "last used", "run")):
        return None
    key_id, runs, used, run_prefix = parts
    last_used = parse_date(used)
    if last_used is None or key_id != access_key_id or not runs.isdigit():
        return None
    return Deferral(access_key_id, int(runs), last_used, run_prefix)


def verdict(config: Config, username: str, deferral: Deferral) -> DeferredEntry:
    """The deferred entry of a kept key; ``KeyStillInUse`` once it is the ``max_deferrals``-th
    run in a row."""
    entry = deferral.entry(username, "kept")
    if deferral.runs >= config.max_deferrals:
        raise KeyStillInUse(
            f"{describe(entry)}; that is max_deferrals runs in a row: find the consumer that "
            "still uses it (IAM's GetAccessKeyLastUsed names the service and region); the next "
            "run checks it again"
        )
    return entry


def defer(
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    deferral: Deferral,
    recorded: SecretDeferral,
) -> DeferredEntry:
    """Record one more run in a row that left the key in use: the stage on the current version
    first (a run that finds it checks the key, tag or not), then the tag; raise
    ``KeyStillInUse`` once it is the ``max_deferrals``-th (recorded first, so the count goes on)."""
    secret_id = config.secret_name(username)
    mark_for_a_check(secretsmanager, secret_id, recorded)
    secretsmanager.tag_resource(
        SecretId=secret_id, Tags=[{"Key": DEFERRAL_TAG, "Value": deferral.tag_value()}]
    )
    LOGGER.warning(
        "previous access key still in use",
        extra={
            "username": username,
            "access_key_id": deferral.access_key_id,
            "runs": deferral.runs,
        },
    )
    return verdict(config, username, deferral)


def mark_for_a_check(
    secretsmanager: SecretsManagerClient, secret_id: str, recorded: SecretDeferral
) -> None:
    """Put the deferral's stage on the current version (unless it is there): the batch's read
    sees it, and ``rotate`` checks the previous key before anything else."""
    current = recorded.version_with("AWSCURRENT")
    marked = recorded.version_with(DEFERRED_STAGE)
    if current is not None and marked != current:
        moved = {"RemoveFromVersionId": marked} if marked is not None else {}
        secretsmanager.update_secret_version_stage(
            SecretId=secret_id, VersionStage=DEFERRED_STAGE, MoveToVersionId=current, **moved
        )


def clear_deferral(
    secretsmanager: SecretsManagerClient, config: Config, username: str, version_id: str
) -> None:
    """Take the deferral's stage off the current version ``version_id``: its predecessor is
    gone, so a run need not check it any more."""
    secretsmanager.update_secret_version_stage(
        SecretId=config.secret_name(username),
        VersionStage=DEFERRED_STAGE,
        RemoveFromVersionId=version_id,
    )


def describe(entry: DeferredEntry) -> str:
    """What a deferral means, for a detail or an error message."""
    done = "deactivated" if entry["action"] == "deactivated" else "kept active"
    return (
        f"access key {entry['accessKeyId']} of user {entry['username']} was used at "
        f"{entry['lastUsed'] or 'an unknown time'} after its successor was handed off (runs in a "
        f"row: {entry['runs']}): the consumer has not moved to the new key, so the old one was "
        f"{done}"
    )


def keep_or_deactivate(
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    deferral: Deferral,
    *,
    recorded: SecretDeferral | None,
) -> DeferredEntry:
    """Do what in_use_key_action says with a key in use; ``recorded``: what the secret records
    (None: read it first)."""
    if config.in_use_key_action == "deactivate":
        iam.update_access_key(
            UserName=username, AccessKeyId=deferral.access_key_id, Status="Inactive"
        )
        LOGGER.warning(
            "deactivated a previous access key still in use",
            extra={"username": username, "access_key_id": deferral.access_key_id},
        )
        return deferral.entry(username, "deactivated")
    if recorded is None:
        recorded = read_deferral(
            secretsmanager, config.secret_name(username), deferral.access_key_id
        )
    return defer(secretsmanager, config, username, deferral, recorded)
