"""Entry point ``rotate``: decide on one user's keys (``decision``), then create a key, record it
as pending its handoff and prove it works (``verification``), or hand off again a key whose
handoff was never confirmed. Returns names and ids.

One decision, asked until it answers: each time it needs a fact, ``rotate_facts`` gathers it, and
nothing is written before its verdict. The normal path (the batch read the record and it is
settled, old keys are deleted) starts from the batch's read and creates the key before listing
the user's keys, which it lists only when IAM answers that the user has two.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from credentials_rotator.aws import clients, versions
from credentials_rotator.aws.access_keys import create_access_key, delete_access_key
from credentials_rotator.aws.accounts import iam_for
from credentials_rotator.aws.verification import prove_new_key
from credentials_rotator.handlers.entry import entry_point
from credentials_rotator.model.decision import Need, Verdict, decide
from credentials_rotator.model.delivery_record import DeliveryRecord
from credentials_rotator.model.key_plan import KeyPlan
from credentials_rotator.model.shapes import RotateEvent, RotateOutcome, RotateResult
from credentials_rotator.model.verdicts import CreateAtOnce, Defer, Planned, Resume, Rotate, Skip
from credentials_rotator.run import deferrals, in_use, rotate_facts
from credentials_rotator.run.events import parse_rotate_event
from credentials_rotator.run.resume import handoff_again
from credentials_rotator.run.rotate_facts import Clients, Inquiry
from credentials_rotator.run.rotate_result import result
from credentials_rotator.settings import clock, config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam.type_defs import AccessKeyTypeDef

LOGGER = get_logger(__name__)
__all__ = ["Clients", "handler", "rotate_user"]


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
    """Rotate one user's key (in its account: ``accounts``), or report why not (key-age policy,
    a previous key still in use) or what would happen (dry run)."""
    aws = replace(aws, iam=iam_for(event["user"]["username"], aws.iam, config))
    inquiry = rotate_facts.start(aws, config, event, now)
    while True:
        verdict = decide(inquiry.facts)
        if isinstance(verdict, Need):
            rotate_facts.learn(inquiry, verdict)
        elif isinstance(verdict, CreateAtOnce):
            username, replaces = inquiry.facts.username, verdict.replaces
            new_key = create_access_key(aws.iam, username, tolerate_limit=True)
            if new_key is not None:
                replacing = Replacing(replaces.access_key_id, replaces.version_id)
                return _store(aws, config, event, new_key, replacing)
            inquiry.facts = replace(inquiry.facts, two_keys=True)
        else:
            return _carry_out(inquiry, verdict)


def _carry_out(inquiry: Inquiry, verdict: Verdict) -> RotateResult:
    """Do what the decision says."""
    aws, config, event = inquiry.aws, inquiry.config, inquiry.event
    username, full = inquiry.facts.username, inquiry.facts.record
    assert full is not None
    if isinstance(verdict, Skip):
        LOGGER.info(
            "skipped user", extra={"username": username, "access_key_id": verdict.access_key_id}
        )
        return result(event, config, "skipped", verdict.detail)
    if isinstance(verdict, Defer):
        assert inquiry.judged is not None
        entry = in_use.keep((aws.iam, aws.secretsmanager), config, username, inquiry.judged)
        return result(event, config, "deferred", deferrals.describe(entry), deferral=entry)
    if isinstance(verdict, Planned):
        described = verdict.plan.describe()
        LOGGER.info("planned rotation", extra={"username": username, "detail": described})
        return result(event, config, "planned", "would " + described)
    if isinstance(verdict, Resume):
        return handoff_again(aws.secretsmanager, event, config, full, verdict.plan)
    assert isinstance(verdict, Rotate)
    if verdict.then_skip is not None:
        return _retire_then_skip(inquiry, full, verdict.plan, skipped=verdict.then_skip)
    previous_version_id = _prepare(aws, config, username, full, verdict.plan)
    new_key = create_access_key(aws.iam, username, tolerate_limit=False)
    assert new_key is not None
    previous = verdict.plan.previous
    replacing = Replacing(previous.access_key_id if previous else None, previous_version_id)
    return _store(aws, config, event, new_key, replacing)


def _retire_then_skip(
    inquiry: Inquiry, full: DeliveryRecord, plan: KeyPlan, *, skipped: Skip
) -> RotateResult:
    """A deferred key no longer in use, of a user the key-age policy skips: retire it (with any
    other key the plan deletes) and take the deferral's stage off, so later runs skip at once."""
    aws, config, username = inquiry.aws, inquiry.config, inquiry.facts.username
    _prepare(aws, config, username, full, plan)
    assert full.current is not None
    deferrals.clear_deferral(aws.secretsmanager, config, username, full.current.version_id)
    retired = ", ".join(deletion.access_key_id for deletion in plan.delete) or "no key"
    LOGGER.info(
        "skipped user", extra={"username": username, "access_key_id": skipped.access_key_id}
    )
    detail = f"retired {retired} (no longer in use); {skipped.detail}"
    return result(inquiry.event, config, "skipped", detail)


def _prepare(
    aws: Clients, config: config.Config, username: str, full: DeliveryRecord, plan: KeyPlan
) -> str | None:
    """Make room and put the record right; return the version a roll back makes current."""
    if plan.restore is not None and full.current is not None:
        versions.make_current(
            aws.secretsmanager, full.secret_name, plan.restore.version_id, full.current.version_id
        )
    for deletion in plan.delete:
        delete_access_key(aws.iam, username, deletion.access_key_id, reason=deletion.role.value)
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
