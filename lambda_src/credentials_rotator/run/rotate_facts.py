"""What ``rotate`` knows of a user when it decides (``decision.Facts``), and how it learns the
fact the decision asks for next (``decision.Need``). Each fact is read only when asked for: the
normal path starts from the batch's read of the record and reads nothing more.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from credentials_rotator.aws import record
from credentials_rotator.aws.access_keys import list_access_keys
from credentials_rotator.model.decision import Facts, Need, Policy
from credentials_rotator.model.delivery_record import record_from_hint
from credentials_rotator.model.key_plan import unexplained
from credentials_rotator.model.shapes import RotateEvent
from credentials_rotator.run import in_use, strays
from credentials_rotator.settings.config import Config

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_stepfunctions import SFNClient


@dataclass(frozen=True)
class Clients:
    iam: IAMClient
    secretsmanager: SecretsManagerClient
    sfn: SFNClient
    s3: S3Client


def policy(config: Config, event: RotateEvent) -> Policy:
    wait = config.grace_wait_seconds + config.last_use_delay_seconds
    return Policy(
        max_key_age_days=config.max_key_age_days,
        force=event["force"],
        dry_run=event["dryRun"],
        deletes_old_keys=config.old_key_action == "delete",
        judges_use=config.in_use_key_action != "retire",
        judge_wait=datetime.timedelta(seconds=wait),
    )


@dataclass
class Inquiry:
    """The facts on one user so far, and the evidence behind the verdict on its superseded key's
    uses (what keeping that key takes)."""

    aws: Clients
    config: Config
    event: RotateEvent
    facts: Facts
    judged: in_use.Judged | None = None


def start(aws: Clients, config: Config, event: RotateEvent, now: datetime.datetime) -> Inquiry:
    """The first facts: the batch's read of a settled record, trusted on a first attempt only (a
    retry's earlier attempt may have written or created a key)."""
    username = event["user"]["username"]
    hint = event["record"] if event["attempt"] == 0 else None
    hinted = record_from_hint(config.secret_name(username), hint) if hint else None
    settled = hinted if hinted is not None and hinted.settled else None
    facts = Facts(username, now, policy(config, event), settled, from_batch=settled is not None)
    return Inquiry(aws, config, event, facts)


def learn(inquiry: Inquiry, need: Need) -> None:
    """Gather the fact the decision needs."""
    aws, config, facts = inquiry.aws, inquiry.config, inquiry.facts
    known = facts.record
    if need is Need.RECORD:
        whole = record.read_record(aws.secretsmanager, config.secret_name(facts.username))
        inquiry.facts = replace(facts, record=whole, whole_record=True)
    elif need is Need.PREVIOUS_VERSION and known is not None:
        whole = record.with_previous(aws.secretsmanager, known)
        inquiry.facts = replace(facts, record=whole, whole_record=True)
    elif need is Need.KEYS:
        inquiry.facts = replace(facts, keys=tuple(list_access_keys(aws.iam, facts.username)))
    elif need is Need.STRAYS and known is not None and facts.keys is not None:
        proven = strays.prove(
            clients=(aws.iam, aws.sfn, aws.s3),
            config=config,
            username=facts.username,
            candidates=unexplained(facts.keys, known),
            attempt=strays.Attempt(inquiry.event["prefix"], inquiry.event["attempt"], facts.now),
        )
        inquiry.facts = replace(facts, strays=frozenset(proven))
    elif need is Need.PREVIOUS_USE:
        _judge_previous_use(inquiry)
    else:
        raise AssertionError(f"cannot gather {need.value} yet")


def _judge_previous_use(inquiry: Inquiry) -> None:
    known = inquiry.facts.record
    assert known is not None and known.superseded is not None and known.current is not None
    previous = (
        str(known.superseded.access_key_id),
        (str(known.current.access_key_id), known.current.create_date),
    )
    inquiry.judged = in_use.judge(
        (inquiry.aws.iam, inquiry.aws.secretsmanager),
        inquiry.config,
        inquiry.facts.username,
        previous,
        inquiry.event["prefix"],
    )
    inquiry.facts = replace(inquiry.facts, previous_use=inquiry.judged.verdict)
