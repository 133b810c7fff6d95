"""The one decision of ``rotate`` (docs/design.md, "Deciding on a user's keys"), as a pure
function: from the facts gathered so far, the fact it needs next, or its verdict. The decision
table itself (which key plays which role) is tested in test_key_plan.py."""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest
from credentials_rotator.model.decision import Facts, Need, Policy, PreviousUse, Use, decide
from credentials_rotator.model.delivery_record import DeliveryRecord, Version
from credentials_rotator.model.errors import RecordReplaced
from credentials_rotator.model.key_plan import AccessKey, KeyDeletion, KeyPlan, KeyRole
from credentials_rotator.model.verdicts import CreateAtOnce, Defer, Planned, Resume, Rotate, Skip

NOW = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)

RETIRED = AccessKey("AKIARETIRED000000000", "Active", NOW - 40 * DAY)
DELIVERED = AccessKey("AKIADELIVERED0000000", "Active", NOW - 2 * DAY)
NEWER = AccessKey("AKIANEWER00000000000", "Active", NOW - HOUR)
STRAY = AccessKey("AKIASTRAY00000000000", "Active", NOW - HOUR)

V_RETIRED = Version("v-retired", RETIRED.access_key_id, RETIRED.create_date, pending=False)
V_DELIVERED = Version("v-delivered", DELIVERED.access_key_id, DELIVERED.create_date, False)
V_DEFERRED = replace(V_DELIVERED, deferred=True)
V_NEWER = Version("v-newer", NEWER.access_key_id, NEWER.create_date, pending=True)

POLICY = Policy(
    max_key_age_days=None,
    force=False,
    dry_run=False,
    deletes_old_keys=True,
    judges_use=True,
    judge_wait=4 * HOUR,
)


def on_record(current: Version, previous: Version | None = None) -> DeliveryRecord:
    return DeliveryRecord("ci-keys/homer", "arn:secret", current, previous)


def batch_read(current: Version = V_DELIVERED, policy: Policy = POLICY) -> Facts:
    """The normal path's first facts: the batch's read of the current version."""
    return Facts("homer", NOW, policy, on_record(current), from_batch=True)


def rotate_read(current: Version, previous: Version | None, policy: Policy = POLICY) -> Facts:
    """A retry's first facts, once rotate read the whole record."""
    return Facts("homer", NOW, policy, on_record(current, previous), whole_record=True)


def with_policy(**changes: object) -> Policy:
    return replace(POLICY, **changes)  # type: ignore[arg-type]


# --- which facts each path gathers ---------------------------------------------------------------


def test_given_no_record_then_it_is_read_first() -> None:
    assert decide(Facts("homer", NOW, POLICY)) is Need.RECORD


def test_given_the_batchs_settled_record_then_the_key_is_created_before_any_listing() -> None:
    """GIVEN the normal path WHEN deciding THEN create at once, replacing the delivered version:
    nothing more is read."""
    assert decide(batch_read()) == CreateAtOnce(V_DELIVERED)


def test_given_iam_refused_the_create_then_the_keys_are_listed_and_decided_on() -> None:
    """GIVEN IAM answered that the user has two keys WHEN deciding again THEN the keys are
    listed; the superseded key among them is explained by the AWSPREVIOUS version, judged on its
    uses (in use: kept), and only then deleted as retired."""
    facts = replace(batch_read(), two_keys=True)
    assert decide(facts) is Need.KEYS
    facts = replace(facts, keys=(RETIRED, DELIVERED))
    assert decide(facts) is Need.PREVIOUS_VERSION
    facts = replace(facts, record=on_record(V_DELIVERED, V_RETIRED), whole_record=True)
    assert decide(facts) is Need.PREVIOUS_USE
    assert decide(replace(facts, previous_use=PreviousUse(Use.IN_USE))) == Defer()
    waiting = PreviousUse(Use.TOO_SOON, "later")
    assert decide(replace(facts, previous_use=waiting)) == Skip("later")
    plan = KeyPlan((KeyDeletion(RETIRED.access_key_id, KeyRole.RETIRED),), DELIVERED, V_DELIVERED)
    assert decide(replace(facts, previous_use=PreviousUse(Use.MAY_GO))) == Rotate(plan)


@pytest.mark.parametrize(
    "policy",
    [with_policy(dry_run=True), with_policy(deletes_old_keys=False)],
    ids=["dry run", "old keys deactivated"],
)
def test_given_a_dry_run_or_deactivate_mode_then_the_keys_are_listed_first(policy: Policy) -> None:
    assert decide(batch_read(policy=policy)) is Need.KEYS


def test_given_a_record_rotate_read_itself_then_the_keys_are_listed_first() -> None:
    """A retry (or a batch whose read failed) lists the keys before it creates."""
    assert decide(rotate_read(V_DELIVERED, None)) is Need.KEYS


def test_given_an_unexplained_key_then_the_record_is_checked_before_strays_are_sought() -> None:
    facts = replace(rotate_read(V_DELIVERED, None), keys=(DELIVERED, STRAY))
    assert decide(facts) is Need.STRAYS
    facts = replace(facts, strays=frozenset({STRAY.access_key_id}))
    deletion = KeyDeletion(STRAY.access_key_id, KeyRole.STRAY)
    assert decide(facts) == Rotate(KeyPlan((deletion,), DELIVERED, V_DELIVERED))
    replaced = on_record(Version("v-hand", None, NOW, False), V_NEWER)
    with pytest.raises(RecordReplaced):
        decide(replace(facts, record=replaced, strays=None))


def test_given_retire_mode_then_a_superseded_key_is_deleted_without_asking_its_uses() -> None:
    facts = replace(rotate_read(V_DELIVERED, V_RETIRED, with_policy(judges_use=False)))
    facts = replace(facts, keys=(RETIRED, DELIVERED))
    assert isinstance(decide(facts), Rotate)


def test_given_an_inactive_superseded_key_then_its_uses_are_not_asked() -> None:
    facts = rotate_read(V_DELIVERED, V_RETIRED)
    facts = replace(facts, keys=(replace(RETIRED, status="Inactive"), DELIVERED))
    assert isinstance(decide(facts), Rotate)


# --- the verdicts ---------------------------------------------------------------------------------


def test_given_a_dry_run_then_the_plan_is_said_and_no_use_is_asked() -> None:
    facts = rotate_read(V_DELIVERED, V_RETIRED, with_policy(dry_run=True))
    facts = replace(facts, keys=(RETIRED, DELIVERED))
    verdict = decide(facts)
    assert isinstance(verdict, Planned)
    assert verdict.plan.previous == DELIVERED


def test_given_an_unconfirmed_key_then_it_is_handed_off_again() -> None:
    facts = replace(rotate_read(V_NEWER, V_DELIVERED), keys=(DELIVERED, NEWER))
    assert decide(facts) == Resume(
        KeyPlan(previous=DELIVERED, previous_version=V_DELIVERED, resume=V_NEWER)
    )


@pytest.mark.parametrize("from_batch", [True, False], ids=["batch's read", "rotate's read"])
def test_given_a_young_delivered_key_then_the_user_is_skipped_before_any_listing(
    from_batch: bool,
) -> None:
    policy = with_policy(max_key_age_days=30)
    facts = batch_read(policy=policy) if from_batch else rotate_read(V_DELIVERED, None, policy)
    assert decide(facts) == Skip(
        f"access key {DELIVERED.access_key_id} is 2 days old; rotation is due at 30 days",
        DELIVERED.access_key_id,
    )
    assert decide(replace(facts, policy=replace(policy, force=True))) in (
        CreateAtOnce(V_DELIVERED),
        Need.KEYS,
    )


def test_given_an_earlier_runs_deferral_in_the_batchs_read_then_the_user_waits_for_uses() -> None:
    """GIVEN the stage on the delivered version, its key created less than the grace wait and
    the last-use delay ago WHEN deciding from the batch's read THEN skipped, nothing read; once
    they passed, the keys are listed (never created at once, the key-age policy not first)."""
    young = replace(V_DEFERRED, create_date=NOW - HOUR)
    policy = with_policy(max_key_age_days=30)
    verdict = decide(batch_read(young, policy))
    assert isinstance(verdict, Skip)
    assert "stays active until IAM has had time to publish its uses" in verdict.detail
    assert decide(batch_read(V_DEFERRED, policy)) is Need.KEYS


def test_given_a_deferral_a_retry_finds_then_it_is_judged_not_waited_for() -> None:
    """A retry reads the record itself: the deferral may be its own run's, which must stand."""
    young = replace(V_DEFERRED, create_date=NOW - HOUR)
    assert decide(rotate_read(young, V_RETIRED)) is Need.KEYS


def test_given_a_deferred_key_no_longer_used_of_a_young_key_then_retired_and_skipped() -> None:
    policy = with_policy(max_key_age_days=30)
    facts = replace(rotate_read(V_DEFERRED, V_RETIRED, policy), keys=(RETIRED, DELIVERED))
    facts = replace(facts, previous_use=PreviousUse(Use.MAY_GO))
    verdict = decide(facts)
    assert isinstance(verdict, Rotate)
    assert verdict.plan.delete == (KeyDeletion(RETIRED.access_key_id, KeyRole.RETIRED),)
    assert verdict.then_skip is not None
    assert "rotation is due at 30 days" in verdict.then_skip.detail


def test_given_a_dead_unconfirmed_key_marked_deferred_then_restored_and_rotated() -> None:
    """The deferral's stage means nothing on a pending version: a dead unconfirmed key that
    carries it is restored over and a key is created, whatever its age."""
    dead = replace(V_NEWER, deferred=True)
    facts = rotate_read(dead, V_DELIVERED, with_policy(max_key_age_days=30))
    verdict = decide(replace(facts, keys=(DELIVERED,)))
    assert verdict == Rotate(KeyPlan((), DELIVERED, V_DELIVERED, restore=V_DELIVERED))
