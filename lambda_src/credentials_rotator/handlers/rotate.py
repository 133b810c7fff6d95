"""Entry point ``rotate``: decide on one user's keys, then create a key, record it as pending its
handoff and prove it works (``verification``), or hand off again a key whose handoff was never
confirmed. Returns names and ids. Normal path (the batch read the record and it is settled, old
keys are deleted): create the key first and list the user's keys only when IAM answers that the
user has two. Every other path reads the whole record, lists the keys and applies the decision
table (docs/design.md).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from credentials_rotator.aws import access_keys, clients, record, versions
from credentials_rotator.aws.accounts import iam_for
from credentials_rotator.aws.verification import prove_new_key
from credentials_rotator.handlers.entry import entry_point
from credentials_rotator.model import decision
from credentials_rotator.model.decision import (
    KeyPlan,
    decide,
    key_age_days,
    rotation_due,
    unexplained,
)
from credentials_rotator.model.delivery_record import DeliveryRecord, record_from_hint
from credentials_rotator.model.shapes import RotateEvent, RotateOutcome, RotateResult
from credentials_rotator.run import deferrals, in_use, strays
from credentials_rotator.run.events import parse_rotate_event
from credentials_rotator.run.resume import handoff_again
from credentials_rotator.run.rotate_result import result
from credentials_rotator.settings import clock, config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_iam.type_defs import AccessKeyTypeDef
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_stepfunctions import SFNClient

LOGGER = get_logger(__name__)


@dataclass(frozen=True)
class Clients:
    iam: IAMClient
    secretsmanager: SecretsManagerClient
    sfn: SFNClient
    s3: S3Client


@dataclass(frozen=True)
class Replacing:
    """What a new key replaces: the key it retires, and the version a roll back makes current."""

    access_key_id: str | None
    version_id: str | None


@entry_point
def handler(event: Any, context: object) -> RotateResult:
    return rotate_user(
        aws=Clients(
            clients.iam_client(),
            clients.secretsmanager_client(),
            clients.sfn_client(),
            clients.s3_client(),
        ),
        config=config.load(),
        event=parse_rotate_event(event),
        now=clock.now(),
    )


def rotate_user(
    *, aws: Clients, config: config.Config, event: RotateEvent, now: datetime.datetime
) -> RotateResult:
    """Rotate one user's key (in its account: ``accounts``), or report why not (key-age policy)
    or what would happen (dry run)."""
    aws = replace(aws, iam=iam_for(event["user"]["username"], aws.iam, config))
    hint = event["record"] if event["attempt"] == 0 else None  # a retry may find its own key
    hinted = record_from_hint(config.secret_name(event["user"]["username"]), hint) if hint else None
    settled = hinted if hinted is not None and hinted.settled else None
    if settled is not None:
        done = (
            in_use.too_soon_to_judge(config, event, settled)
            if settled.retirement_deferred
            else _skip_for_age(event, config, settled, now)
            or _create_first(aws, config, event, settled)
        )
        if done is not None:
            return done
    return _rotate_with_decision(aws, config, event, now, settled)


def _create_first(
    aws: Clients, config: config.Config, event: RotateEvent, settled: DeliveryRecord
) -> RotateResult | None:
    """The normal path: the delivered key is usually the user's only one, so create at once;
    None when this path does not apply or the user has two keys (then decide)."""
    if event["dryRun"] or config.old_key_action != "delete":
        return None
    new_key = access_keys.create_access_key(aws.iam, event["user"]["username"], tolerate_limit=True)
    if new_key is None:
        return None
    delivered = settled.current
    assert delivered is not None
    return _store(
        aws, config, event, new_key, Replacing(delivered.access_key_id, delivered.version_id)
    )


def _rotate_with_decision(
    aws: Clients,
    config: config.Config,
    event: RotateEvent,
    now: datetime.datetime,
    settled: DeliveryRecord | None,
) -> RotateResult:
    """Read what the batch did not (the whole record, the keys), then apply the decision table.
    A settled record from the batch's read needs its AWSPREVIOUS version only to explain a key."""
    username = event["user"]["username"]
    full = settled or record.read_record(aws.secretsmanager, config.secret_name(username))
    if settled is None and full.settled and not full.retirement_deferred:
        skipped = _skip_for_age(event, config, full, now)
        if skipped is not None:
            return skipped
    keys = access_keys.list_access_keys(aws.iam, username)
    if settled is not None and unexplained(keys, full):
        full = record.with_previous(aws.secretsmanager, full)
    decision.check_record(full)
    proven = strays.prove(
        clients=(aws.iam, aws.sfn, aws.s3),
        config=config,
        username=username,
        candidates=unexplained(keys, full),
        attempt=strays.Attempt(event["prefix"], event["attempt"], now),
    )
    plan = decide(username, keys, full, proven)
    if event["dryRun"]:
        LOGGER.info("planned rotation", extra={"username": username, "detail": plan.describe()})
        return result(event, config, "planned", "would " + plan.describe())
    if plan.resume is not None:
        return handoff_again(aws.secretsmanager, event, config, full, plan)
    kept = in_use.still_in_use((aws.iam, aws.secretsmanager), config, event, keys, full)
    if kept is not None:
        return kept
    if full.retirement_deferred:
        skipped = _skip_for_age(event, config, full, now)
        if skipped is not None:
            return _retire_then_skip(aws, config, username, full, plan, skipped=skipped)
    previous_version_id = _prepare(aws, config, username, full, plan)
    new_key = access_keys.create_access_key(aws.iam, username, tolerate_limit=False)
    assert new_key is not None
    previous_key_id = plan.previous.access_key_id if plan.previous else None
    return _store(aws, config, event, new_key, Replacing(previous_key_id, previous_version_id))


def _skip_for_age(
    event: RotateEvent,
    config: config.Config,
    settled: DeliveryRecord,
    now: datetime.datetime,
) -> RotateResult | None:
    """The skipped result when the delivered key is younger than the key-age limit."""
    delivered = settled.current
    assert delivered is not None
    created = delivered.create_date
    if created is None or rotation_due(created, now, config.max_key_age_days, event["force"]):
        return None
    detail = (
        f"access key {delivered.access_key_id} is {key_age_days(created, now)} days old; "
        f"rotation is due at {config.max_key_age_days} days"
    )
    username = event["user"]["username"]
    LOGGER.info(
        "skipped user", extra={"username": username, "access_key_id": delivered.access_key_id}
    )
    return result(event, config, "skipped", detail)


def _retire_then_skip(
    aws: Clients,
    config: config.Config,
    username: str,
    full: DeliveryRecord,
    plan: KeyPlan,
    *,
    skipped: RotateResult,
) -> RotateResult:
    """A deferred key no longer in use, of a user the key-age policy skips: retire it (with any
    other key the plan deletes) and take the deferral's stage off, so later runs skip at once."""
    _prepare(aws, config, username, full, plan)
    assert full.current is not None
    deferrals.clear_deferral(aws.secretsmanager, config, username, full.current.version_id)
    retired = ", ".join(deletion.access_key_id for deletion in plan.delete) or "no key"
    return {**skipped, "detail": f"retired {retired} (no longer in use); {skipped['detail']}"}


def _prepare(
    aws: Clients, config: config.Config, username: str, full: DeliveryRecord, plan: KeyPlan
) -> str | None:
    """Make room and put the record right; return the version a roll back makes current."""
    if plan.restore is not None and full.current is not None:
        versions.make_current(
            aws.secretsmanager, full.secret_name, plan.restore.version_id, full.current.version_id
        )
    for deletion in plan.delete:
        access_keys.delete_access_key(
            aws.iam, username, deletion.access_key_id, reason=deletion.role.value
        )
    if plan.adopt is not None:
        value = versions.adopted_value(username, plan.adopt.access_key_id, plan.adopt.create_date)
        return versions.write_adopted(aws.secretsmanager, config, username, value)
    return plan.previous_version.version_id if plan.previous_version else None


def _store(
    aws: Clients,
    config: config.Config,
    event: RotateEvent,
    new_key: AccessKeyTypeDef,
    replacing: Replacing,
) -> RotateResult:
    """Record the new key as pending its handoff, then prove it works; the result says what to
    hand off, or (``unusable``) what to roll back. Recorded first: a function that dies while it
    waits for the key leaves a pending key the next run knows."""
    new_key_id = new_key["AccessKeyId"]
    secret_arn, version_id = versions.store_new_key(
        aws.iam, aws.secretsmanager, config, new_key, replaces_a_key=bool(replacing.access_key_id)
    )
    refusal = prove_new_key(new_key, config)
    del new_key
    previous_key_id = replacing.access_key_id
    then = f"retires access key {previous_key_id}" if previous_key_id else "nothing to retire"
    outcome: RotateOutcome = "ready" if refusal is None else "unusable"
    return result(
        event,
        config,
        outcome,
        refusal or f"created access key {new_key_id}; {then} after the handoff",
        secretArn=secret_arn,
        versionId=version_id,
        accessKeyId=new_key_id,
        previousKeyId=previous_key_id,
        previousVersionId=replacing.version_id,
    )
