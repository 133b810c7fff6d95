"""The decision table of docs/design.md, row by row, as a pure function (no AWS), and the key-age
policy."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from credentials_rotator.model.decision import key_age_days, rotation_due
from credentials_rotator.model.delivery_record import DeliveryRecord, Version
from credentials_rotator.model.errors import (
    AmbiguousAccessKeys,
    RecordReplaced,
    RotatorError,
    UnconfirmedKeyInactive,
    UnknownAccessKey,
)
from credentials_rotator.model.key_plan import (
    AccessKey,
    KeyDeletion,
    KeyPlan,
    KeyRole,
    plan_keys,
    unexplained,
)

NOW = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def key(name: str, status: str = "Active") -> AccessKey:
    return AccessKey(f"AKIA{name.upper():0<16}", status, NOW - DAY)


def version(name: str, access_key: AccessKey | None, *, pending: bool = False) -> Version:
    return Version(name, access_key.access_key_id if access_key else None, NOW - DAY, pending)


def on_record(current: Version | None = None, previous: Version | None = None) -> DeliveryRecord:
    return DeliveryRecord("ci-keys/homer", "arn:secret" if current else None, current, previous)


DELIVERED = key("delivered")
NEWER = key("newer")  # written after DELIVERED, its handoff unconfirmed
RETIRED = key("retired")  # superseded by DELIVERED
STRAY = key("stray")
OTHER = key("other")
SECOND = key("second")
INACTIVE = key("inactive", "Inactive")
GONE = key("gone")  # recorded, but no longer in IAM

V_DELIVERED = version("v-delivered", DELIVERED)
V_NEWER = version("v-newer", NEWER, pending=True)
V_RETIRED = version("v-retired", RETIRED)
V_GONE = version("v-gone", GONE)
V_GONE_PENDING = version("v-gone-pending", GONE, pending=True)
V_EMPTY = version("v-empty", None)  # a value replaced by hand: no key


@dataclass(frozen=True)
class Row:
    """One row of the table: the user's keys and record, and the plan plan_keys makes."""

    keys: tuple[AccessKey, ...]
    record: DeliveryRecord
    plan: KeyPlan
    strays: frozenset[str] = field(default_factory=frozenset)


def deletion(access_key: AccessKey, role: KeyRole) -> KeyDeletion:
    return KeyDeletion(access_key.access_key_id, role)


ROWS = {
    "no keys, no record: create, retire nothing": Row((), on_record(), KeyPlan()),
    "the delivered key only: create, retire it": Row(
        (DELIVERED,), on_record(V_DELIVERED), KeyPlan((), DELIVERED, V_DELIVERED)
    ),
    "delivered + an inactive key: delete the inactive one": Row(
        (DELIVERED, INACTIVE),
        on_record(V_DELIVERED),
        KeyPlan((deletion(INACTIVE, KeyRole.INACTIVE),), DELIVERED, V_DELIVERED),
    ),
    "delivered + the retired one still active: delete the retired one": Row(
        (RETIRED, DELIVERED),
        on_record(V_DELIVERED, V_RETIRED),
        KeyPlan((deletion(RETIRED, KeyRole.RETIRED),), DELIVERED, V_DELIVERED),
    ),
    "delivered + a refused key rolled back (AWSPREVIOUS, still pending): it is retired": Row(
        (DELIVERED, NEWER),
        on_record(V_DELIVERED, V_NEWER),
        KeyPlan((deletion(NEWER, KeyRole.RETIRED),), DELIVERED, V_DELIVERED),
    ),
    "delivered + a retired key made inactive: retired wins over inactive": Row(
        (DELIVERED, key("retired", "Inactive")),
        on_record(V_DELIVERED, V_RETIRED),
        KeyPlan((deletion(RETIRED, KeyRole.RETIRED),), DELIVERED, V_DELIVERED),
    ),
    "delivered + a proven stray: delete the stray": Row(
        (DELIVERED, STRAY),
        on_record(V_DELIVERED),
        KeyPlan((deletion(STRAY, KeyRole.STRAY),), DELIVERED, V_DELIVERED),
        frozenset({STRAY.access_key_id}),
    ),
    "the delivered key made inactive: it is still the one to retire": Row(
        (key("delivered", "Inactive"),),
        on_record(V_DELIVERED),
        KeyPlan((), key("delivered", "Inactive"), V_DELIVERED),
    ),
    "an unconfirmed key, active, + delivered: hand it off again, create nothing": Row(
        (DELIVERED, NEWER),
        on_record(V_NEWER, V_DELIVERED),
        KeyPlan(previous=DELIVERED, previous_version=V_DELIVERED, resume=V_NEWER),
    ),
    "an unconfirmed key of a first rotation: hand it off again, retire nothing": Row(
        (NEWER,), on_record(V_NEWER), KeyPlan(resume=V_NEWER)
    ),
    "an unconfirmed key whose delivered key is gone: hand it off again, retire nothing": Row(
        (NEWER,), on_record(V_NEWER, V_DELIVERED), KeyPlan(resume=V_NEWER)
    ),
    "a dead unconfirmed key + delivered: AWSCURRENT back to the delivered version": Row(
        (DELIVERED,),
        on_record(V_GONE_PENDING, V_DELIVERED),
        KeyPlan((), DELIVERED, V_DELIVERED, restore=V_DELIVERED),
    ),
    "a dead unconfirmed key, nothing delivered: create, retire nothing": Row(
        (), on_record(V_GONE_PENDING), KeyPlan()
    ),
    "a dead unconfirmed key, nothing delivered, one active key: adopt it": Row(
        (OTHER,), on_record(V_GONE_PENDING), KeyPlan((), OTHER, adopt=OTHER)
    ),
    "a value replaced by hand over delivered: AWSCURRENT back to the delivered version": Row(
        (DELIVERED,),
        on_record(V_EMPTY, V_DELIVERED),
        KeyPlan((), DELIVERED, V_DELIVERED, restore=V_DELIVERED),
    ),
    "a value replaced by hand, nothing else: create, retire nothing": Row(
        (), on_record(V_EMPTY), KeyPlan()
    ),
    "one active key, no record: adopt it, retire it later": Row(
        (OTHER,), on_record(), KeyPlan((), OTHER, adopt=OTHER)
    ),
    "no record, an inactive and an active key: delete the inactive, adopt the active": Row(
        (INACTIVE, OTHER),
        on_record(),
        KeyPlan((deletion(INACTIVE, KeyRole.INACTIVE),), OTHER, adopt=OTHER),
    ),
    "no record, a stray and an active key: delete the stray, adopt the other": Row(
        (STRAY, OTHER),
        on_record(),
        KeyPlan((deletion(STRAY, KeyRole.STRAY),), OTHER, adopt=OTHER),
        frozenset({STRAY.access_key_id}),
    ),
    "no record, only a stray: delete it, adopt nothing": Row(
        (STRAY,),
        on_record(),
        KeyPlan((deletion(STRAY, KeyRole.STRAY),)),
        frozenset({STRAY.access_key_id}),
    ),
    "the delivered key is gone, another active key: adopt it": Row(
        (OTHER,), on_record(V_GONE), KeyPlan((), OTHER, adopt=OTHER)
    ),
    "the delivered key is gone, its retired one is left: delete it, adopt nothing": Row(
        (RETIRED,),
        on_record(V_GONE, V_RETIRED),
        KeyPlan((deletion(RETIRED, KeyRole.RETIRED),)),
    ),
    "two inactive keys, no record: delete both": Row(
        (INACTIVE, key("second", "Inactive")),
        on_record(),
        KeyPlan(
            (
                deletion(INACTIVE, KeyRole.INACTIVE),
                deletion(SECOND, KeyRole.INACTIVE),
            )
        ),
    ),
}


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_decision_table(row: Row) -> None:
    """GIVEN a user's keys and record WHEN deciding THEN the row's plan, and nothing else."""
    assert plan_keys("homer", row.keys, row.record, row.strays) == row.plan


REFUSALS = {
    "delivered + an active key nobody accounts for": (
        (DELIVERED, OTHER),
        on_record(V_DELIVERED),
        UnknownAccessKey,
        OTHER.access_key_id,
    ),
    "a dead unconfirmed key, delivered + an unknown key": (
        (DELIVERED, OTHER),
        on_record(V_GONE_PENDING, V_DELIVERED),
        UnknownAccessKey,
        OTHER.access_key_id,
    ),
    "no record and two active keys": (
        (OTHER, SECOND),
        on_record(),
        AmbiguousAccessKeys,
        f"{OTHER.access_key_id} and {SECOND.access_key_id}",
    ),
    "the delivered key is gone and two active keys": (
        (OTHER, SECOND),
        on_record(V_GONE),
        AmbiguousAccessKeys,
        "no delivery is recorded",
    ),
    "an unconfirmed key made inactive": (
        (DELIVERED, key("newer", "Inactive")),
        on_record(V_NEWER, V_DELIVERED),
        UnconfirmedKeyInactive,
        f"access key {NEWER.access_key_id} of user homer was handed off without confirmation "
        "and is now Inactive",
    ),
    "the value replaced by hand while a key awaited confirmation": (
        (DELIVERED, NEWER),
        on_record(V_EMPTY, V_NEWER),
        RecordReplaced,
        f"replaced while access key {NEWER.access_key_id} awaited confirmation",
    ),
}


@pytest.mark.parametrize(
    ("keys", "record", "error", "named"), REFUSALS.values(), ids=REFUSALS.keys()
)
def test_decision_table_refusals(
    keys: tuple[AccessKey, ...], record: DeliveryRecord, error: type[RotatorError], named: str
) -> None:
    """GIVEN keys the rotator cannot decide on safely WHEN deciding THEN the user fails, saying
    which key and that nothing was changed."""
    with pytest.raises(error) as raised:
        plan_keys("homer", keys, record, set())
    assert named in str(raised.value)
    assert "nothing was changed" in str(raised.value)


def test_given_a_proven_stray_when_the_record_names_it_then_the_record_wins() -> None:
    """A key a version of the secret names may have been handed off: never a stray."""
    plan = plan_keys(
        "homer",
        [DELIVERED, RETIRED],
        on_record(V_DELIVERED, V_RETIRED),
        {
            DELIVERED.access_key_id,
            RETIRED.access_key_id,
        },
    )
    assert plan.previous == DELIVERED
    assert plan.delete == (deletion(RETIRED, KeyRole.RETIRED),)


def test_the_unexplained_keys_are_the_active_ones_no_version_names() -> None:
    """GIVEN keys and a record WHEN asked which keys the record does not explain THEN the Active
    ones no version names (candidates for strays)."""
    keys = [DELIVERED, RETIRED, STRAY, INACTIVE]
    assert unexplained(keys, on_record(V_DELIVERED, V_RETIRED)) == [STRAY]
    assert unexplained(keys, on_record(V_DELIVERED)) == [RETIRED, STRAY]
    assert unexplained(keys, on_record()) == [DELIVERED, RETIRED, STRAY]


@pytest.mark.parametrize(
    ("plan", "described"),
    [
        (
            plan_keys("homer", [DELIVERED, INACTIVE], on_record(V_DELIVERED), set()),
            f"delete inactive access key {INACTIVE.access_key_id}; "
            "create a new access key and hand it off; "
            f"then retire access key {DELIVERED.access_key_id}",
        ),
        (
            plan_keys("homer", [INACTIVE, OTHER], on_record(), set()),
            f"delete inactive access key {INACTIVE.access_key_id}; "
            f"adopt access key {OTHER.access_key_id} as the delivered key; "
            "create a new access key and hand it off; "
            f"then retire access key {OTHER.access_key_id}",
        ),
        (
            plan_keys("homer", [DELIVERED, NEWER], on_record(V_NEWER, V_DELIVERED), set()),
            f"hand off access key {NEWER.access_key_id} again; "
            f"then retire access key {DELIVERED.access_key_id}",
        ),
        (
            plan_keys("homer", [], on_record(), set()),
            "create a new access key and hand it off; retire nothing",
        ),
    ],
    ids=["deletes first", "adopts", "resumes", "first key"],
)
def test_given_a_plan_when_described_then_it_says_what_happens_in_order(
    plan: KeyPlan, described: str
) -> None:
    assert plan.describe() == described


@pytest.mark.parametrize(
    ("age_days", "max_age", "force", "due"),
    [
        (40, 30, False, True),
        (30, 30, False, True),
        (29, 30, False, False),
        (1, 30, True, True),
        (1, None, False, True),
    ],
)
def test_key_age_policy(age_days: int, max_age: int | None, force: bool, due: bool) -> None:
    """GIVEN a delivered key of some age WHEN the policy applies THEN only old keys rotate."""
    created = NOW - datetime.timedelta(days=age_days)
    assert rotation_due(created, NOW, max_age, force) is due


def test_given_no_creation_date_when_the_policy_applies_then_the_key_rotates() -> None:
    assert rotation_due(None, NOW, 30, force=False) is True


def test_given_a_key_dated_in_the_future_when_its_age_is_taken_then_it_is_zero_days() -> None:
    assert key_age_days(NOW + 3 * DAY, NOW) == 0
    assert key_age_days(NOW - 3 * DAY - datetime.timedelta(hours=23), NOW) == 3
