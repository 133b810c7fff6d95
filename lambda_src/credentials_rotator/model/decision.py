"""The one decision of ``rotate``: from what is known of a user, rotate, skip, defer or fail, and
with which key plan, before anything is written (docs/design.md, "Deciding on a user's keys").

Pure: no AWS calls, no clock. ``decide`` takes the facts gathered so far and answers either a
verdict or the fact it needs next (``Need``); ``rotate`` gathers that fact and asks again. Every
path goes through the same rules: the normal path only starts with more facts (the batch's read
of the record) and gathers fewer. A new rule goes here, with the fact it needs.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

from credentials_rotator.model.delivery_record import DeliveryRecord, Version
from credentials_rotator.model.key_plan import ACTIVE, AccessKey, KeyPlan, check_record, plan_keys
from credentials_rotator.model.key_plan import unexplained as unexplained_keys
from credentials_rotator.model.verdicts import (
    CreateAtOnce,
    Defer,
    Planned,
    Resume,
    Rotate,
    Skip,
)


class Need(enum.Enum):
    """A fact the decision cannot do without, and that ``rotate`` gathers next."""

    RECORD = "the user's record"
    PREVIOUS_VERSION = "the AWSPREVIOUS version of the record"
    KEYS = "the user's access keys"
    STRAYS = "which unexplained keys are strays"
    PREVIOUS_USE = "whether the superseded key is still in use"


@dataclass(frozen=True)
class Policy:
    """What the settings and the run ask: the key-age limit (``force``: ignore it), a dry run,
    what becomes of a previous key (deleted, or deactivated), whether its uses are judged, and
    how long after its successor's creation they can be (grace wait and last-use delay)."""

    max_key_age_days: int | None
    force: bool
    dry_run: bool
    deletes_old_keys: bool
    judges_use: bool
    judge_wait: datetime.timedelta


class Use(enum.Enum):
    MAY_GO = "not used since its successor's handoff"
    TOO_SOON = "IAM may not have published its uses yet"
    IN_USE = "used since its successor's handoff, or kept by a deferral that stands"


@dataclass(frozen=True)
class PreviousUse:
    """The superseded key's uses as ``in_use.judge`` found them; ``detail`` says until when a
    key too soon to judge waits."""

    use: Use
    detail: str = ""


@dataclass(frozen=True)
class Facts:
    """What is known of a user when the decision runs; None: not gathered (yet)."""

    username: str
    now: datetime.datetime
    policy: Policy
    record: DeliveryRecord | None = None
    # The record's current version is the batch's read, taken before this run wrote anything
    # for the user (a first attempt); False: rotate read the record itself.
    from_batch: bool = False
    # The AWSPREVIOUS version was read too (the batch reads the current version only).
    whole_record: bool = False
    keys: tuple[AccessKey, ...] | None = None
    # IAM refused a new key: the user has two.
    two_keys: bool = False
    strays: frozenset[str] | None = None
    previous_use: PreviousUse | None = None


Verdict = Need | Skip | Defer | CreateAtOnce | Planned | Resume | Rotate


def decide(facts: Facts) -> Verdict:
    """The rules, in order; raise (``RotatorError``) when the user's keys cannot be decided on
    safely. See the module's docstring."""
    if facts.record is None:
        return Need.RECORD
    early = _before_the_keys(facts, facts.record)
    if early is not None:
        return early
    assert facts.keys is not None
    plan = _plan(facts, facts.record, facts.keys)
    if isinstance(plan, Need):
        return plan
    return _with_the_plan(facts, facts.record, facts.keys, plan)


def _before_the_keys(facts: Facts, record: DeliveryRecord) -> Verdict | None:
    """From the record alone. A settled record whose current version says its predecessor's
    retirement was deferred is checked before anything else, the key-age policy included; seen
    in the batch's read (an earlier run's deferral), the user waits while IAM cannot have
    published every use since the successor's creation (no use seen would prove nothing). A
    retry reads the record itself: a deferral there may be its own run's, which must stand.
    Otherwise a young delivered key skips the user."""
    policy, current = facts.policy, record.current
    if record.settled and current is not None:
        if record.retirement_deferred and policy.judges_use and current.create_date is not None:
            until = current.create_date + policy.judge_wait
            if facts.from_batch and facts.now < until:
                return Skip(waiting_detail(str(current.access_key_id), until))
        elif not record.retirement_deferred:
            skip = _skip_for_age(facts, current)
            if skip is not None:
                return skip
    if facts.keys is not None:
        return None
    # The normal path: from the batch's read of a settled record, with the previous key deleted
    # (deactivate leaves last run's key Inactive: a create would be refused), the key is created
    # before the keys are listed; a record rotate read itself (a retry) lists them first.
    at_once = policy.deletes_old_keys and facts.from_batch and not policy.dry_run
    if at_once and record.settled and not record.retirement_deferred and not facts.two_keys:
        assert current is not None
        return CreateAtOnce(current)
    return Need.KEYS


def _plan(facts: Facts, record: DeliveryRecord, keys: tuple[AccessKey, ...]) -> KeyPlan | Need:
    """The decision table (``key_plan``), once every Active key is explained or proven a stray:
    the AWSPREVIOUS version explains a key the batch's read cannot."""
    unexplained = unexplained_keys(keys, record)
    if unexplained and not facts.whole_record:
        return Need.PREVIOUS_VERSION
    check_record(record)
    if unexplained and facts.strays is None:
        return Need.STRAYS
    return plan_keys(facts.username, keys, record, facts.strays or frozenset())


def _with_the_plan(
    facts: Facts, record: DeliveryRecord, keys: tuple[AccessKey, ...], plan: KeyPlan
) -> Verdict:
    """A dry run says the plan; an unconfirmed key is handed off again; a superseded key still
    in use is kept. A deferred retirement of a user the key-age policy skips ends with the
    plan's deletions; otherwise the plan is carried out and a key created."""
    if facts.policy.dry_run:
        return Planned(plan)
    if plan.resume is not None:
        return Resume(plan)
    kept = _previous_key_kept(facts, record, keys)
    if kept is not None:
        return kept
    current = record.current
    if record.settled and record.retirement_deferred and current is not None:
        return Rotate(plan, then_skip=_skip_for_age(facts, current))
    return Rotate(plan)


def _previous_key_kept(
    facts: Facts, record: DeliveryRecord, keys: tuple[AccessKey, ...]
) -> Verdict | None:
    """A superseded key (delivered, then replaced by a confirmed successor) still Active is
    judged on its uses before anything is written, unless in_use_key_action is ``retire``: in
    use, it is kept (``Defer``); too soon to tell, the user waits; not used (None), the plan
    deletes it as retired. Only the listing tells that it is still Active."""
    superseded = record.superseded
    active = {key.access_key_id for key in keys if key.status == ACTIVE}
    if not facts.policy.judges_use or superseded is None or superseded.access_key_id not in active:
        return None
    if facts.previous_use is None:
        return Need.PREVIOUS_USE
    if facts.previous_use.use is Use.IN_USE:
        return Defer()
    if facts.previous_use.use is Use.TOO_SOON:
        return Skip(facts.previous_use.detail)
    return None


def _skip_for_age(facts: Facts, delivered: Version) -> Skip | None:
    """The key-age policy: skip while the delivered key is younger than the limit."""
    created, limit = delivered.create_date, facts.policy.max_key_age_days
    if created is None or rotation_due(created, facts.now, limit, facts.policy.force):
        return None
    detail = (
        f"access key {delivered.access_key_id} is {key_age_days(created, facts.now)} days old; "
        f"rotation is due at {limit} days"
    )
    return Skip(detail, delivered.access_key_id)


def key_age_days(create_date: datetime.datetime, now: datetime.datetime) -> int:
    return max(0, (now - create_date).days)


def rotation_due(
    delivered_create_date: datetime.datetime | None,
    now: datetime.datetime,
    max_key_age_days: int | None,
    force: bool,
) -> bool:
    """The key-age policy: rotate unless the delivered key is younger than the limit."""
    if force or max_key_age_days is None or delivered_create_date is None:
        return True
    return key_age_days(delivered_create_date, now) >= max_key_age_days


def waiting_detail(successor_key_id: str, until: datetime.datetime) -> str:
    """What a previous key left unjudged until ``until`` means."""
    return (
        f"the access key that {successor_key_id} replaced stays active until IAM has "
        "had time to publish its uses (last_use_delay_seconds): the first run after "
        f"{until.isoformat(timespec='seconds')} checks it, and retires it unless it was "
        "used after the handoff"
    )
