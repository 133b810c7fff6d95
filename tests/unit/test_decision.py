"""The decision table of docs/design.md, row by row, as a pure function."""

from __future__ import annotations

import datetime

import pytest
from credentials_rotator.decision import (
    AccessKey,
    KeyRole,
    decide,
    rotation_due,
)
from credentials_rotator.errors import AmbiguousAccessKeys, UnknownAccessKey

NOW = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)
DELIVERED = AccessKey("AKIADELIVERED0000001", "Active", NOW - datetime.timedelta(days=40))
OTHER_ACTIVE = AccessKey("AKIAOTHER00000000002", "Active", NOW - datetime.timedelta(days=1))
OTHER_INACTIVE = AccessKey("AKIAINACTIVE00000003", "Inactive", NOW - datetime.timedelta(days=9))


def deleted(plan_delete: tuple[object, ...]) -> list[tuple[str, KeyRole]]:
    return [(d.access_key_id, d.role) for d in plan_delete]  # type: ignore[attr-defined]


def test_given_no_keys_when_deciding_then_nothing_is_deleted_or_retired() -> None:
    plan = decide("homer", [], None, set())
    assert plan.delete == ()
    assert plan.retire is None


def test_given_one_key_and_no_delivery_when_deciding_then_it_is_adopted_and_retired_later() -> None:
    plan = decide("homer", [OTHER_ACTIVE], None, set())
    assert plan.delete == ()
    assert plan.retire == OTHER_ACTIVE
    assert plan.adopted


def test_given_only_the_delivered_key_when_deciding_then_it_is_retired_after_the_handoff() -> None:
    plan = decide("homer", [DELIVERED], DELIVERED.access_key_id, set())
    assert plan.delete == ()
    assert plan.retire == DELIVERED
    assert not plan.adopted


def test_given_delivered_and_an_inactive_key_when_deciding_then_the_inactive_one_goes() -> None:
    plan = decide("homer", [DELIVERED, OTHER_INACTIVE], DELIVERED.access_key_id, set())
    assert deleted(plan.delete) == [(OTHER_INACTIVE.access_key_id, KeyRole.INACTIVE)]
    assert plan.retire == DELIVERED


def test_given_delivered_and_an_undelivered_key_of_ours_when_deciding_then_ours_goes() -> None:
    plan = decide(
        "homer", [DELIVERED, OTHER_ACTIVE], DELIVERED.access_key_id, {OTHER_ACTIVE.access_key_id}
    )
    assert deleted(plan.delete) == [(OTHER_ACTIVE.access_key_id, KeyRole.ROTATORS)]
    assert plan.retire == DELIVERED


def test_given_delivered_and_an_unknown_active_key_when_deciding_then_the_user_fails() -> None:
    with pytest.raises(UnknownAccessKey, match=OTHER_ACTIVE.access_key_id):
        decide("homer", [DELIVERED, OTHER_ACTIVE], DELIVERED.access_key_id, set())


def test_given_no_delivery_and_one_inactive_key_when_deciding_then_delete_it_adopt_the_other() -> (
    None
):
    plan = decide("homer", [OTHER_INACTIVE, OTHER_ACTIVE], None, set())
    assert deleted(plan.delete) == [(OTHER_INACTIVE.access_key_id, KeyRole.INACTIVE)]
    assert plan.retire == OTHER_ACTIVE
    assert plan.adopted


def test_given_no_delivery_and_two_active_keys_when_deciding_then_the_user_fails() -> None:
    with pytest.raises(AmbiguousAccessKeys) as raised:
        decide("homer", [DELIVERED, OTHER_ACTIVE], None, set())
    assert DELIVERED.access_key_id in str(raised.value)
    assert OTHER_ACTIVE.access_key_id in str(raised.value)


def test_given_a_recorded_key_that_is_gone_when_deciding_then_no_delivery_is_assumed() -> None:
    plan = decide("homer", [OTHER_ACTIVE], "AKIAGONE000000000009", set())
    assert plan.retire == OTHER_ACTIVE
    assert plan.adopted


def test_given_a_plan_when_described_then_it_says_what_happens_in_order() -> None:
    plan = decide("homer", [DELIVERED, OTHER_INACTIVE], DELIVERED.access_key_id, set())
    assert plan.describe() == (
        f"delete inactive access key {OTHER_INACTIVE.access_key_id}; "
        "create a new access key and hand it off; "
        f"then retire access key {DELIVERED.access_key_id}"
    )


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
