"""``verification.prove_usable`` against moto's STS, made to answer as AWS does (an unknown,
inactive or deleted key is refused; testkit/key_propagation.py). Waits are virtual."""

from __future__ import annotations

import time
from itertools import chain, repeat
from typing import Any

import pytest
from credentials_rotator.aws.verification import (
    FIRST_CHECK_SECONDS,
    REQUIRED_SUCCESSES,
    first_wait,
    prove_usable,
)
from credentials_rotator.settings import clock

from testkit.key_propagation import Propagation
from testkit.member_accounts import client_in

HUB = "123456789012"  # moto's default account: the module's own
OTHER_ACCOUNT = "210987654321"


@pytest.fixture
def key(iam: Any) -> Any:
    iam.create_user(UserName="homer")
    return iam.create_access_key(UserName="homer")["AccessKey"]


def test_given_a_working_key_when_proved_then_three_checks_signed_with_it_suffice(
    key: Any, propagation: Propagation
) -> None:
    assert prove_usable(key, 60, hub_account_id=HUB, just_created=False) is None
    assert propagation.checks_of(key["AccessKeyId"]) == REQUIRED_SUCCESSES == 3


def test_given_a_key_refused_at_first_when_proved_then_it_passes_once_it_works(
    key: Any, propagation: Propagation
) -> None:
    propagation.checks = 4

    assert prove_usable(key, 60, hub_account_id=HUB, just_created=False) is None
    assert propagation.checks_of(key["AccessKeyId"]) == 4 + 3


def test_given_a_key_that_works_only_now_and_then_when_proved_then_successes_must_be_in_a_row(
    key: Any, propagation: Propagation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a key accepted, refused, accepted twice, refused, then always accepted THEN only the
    last three answers in a row prove it: eight checks."""
    answers = chain([False, True, False, False, True], repeat(False))
    original = propagation.refuses

    def refuses(access_key_id: str, username: str) -> bool:
        original(access_key_id, username)  # counts the check
        return next(answers)

    monkeypatch.setattr(propagation, "refuses", refuses)

    assert prove_usable(key, 60, hub_account_id=HUB, just_created=False) is None
    assert propagation.checks_of(key["AccessKeyId"]) == 8


def test_given_a_key_that_never_works_when_proved_then_it_is_refused_at_the_limit_in_no_time(
    key: Any, propagation: Propagation, caplog: pytest.LogCaptureFixture
) -> None:
    propagation.forever.add("homer")
    started = time.monotonic()

    refusal = prove_usable(key, 30, hub_account_id=HUB, just_created=False)

    assert time.monotonic() - started < 10  # the 30 s were waited on the virtual clock
    assert refusal is not None
    assert refusal.startswith(
        f"new access key {key['AccessKeyId']} did not authenticate as user homer 3 times in a "
        "row within 30 s ("
    )
    assert refusal.endswith(
        "last refusal: InvalidClientTokenId: The security token included in the request is "
        "invalid.)"
    )
    assert 30 <= propagation.checks_of(key["AccessKeyId"]) <= 31
    assert key["SecretAccessKey"] not in refusal + caplog.text


@pytest.mark.parametrize("change", ["deactivate", "delete"])
def test_given_a_key_deactivated_or_deleted_when_proved_then_it_is_refused(
    key: Any, iam: Any, change: str
) -> None:
    if change == "delete":
        iam.delete_access_key(UserName="homer", AccessKeyId=key["AccessKeyId"])
    else:
        iam.update_access_key(UserName="homer", AccessKeyId=key["AccessKeyId"], Status="Inactive")

    refusal = prove_usable(key, 5, hub_account_id=HUB, just_created=False)

    assert refusal is not None and "InvalidClientTokenId" in refusal


def test_given_a_key_of_another_user_when_proved_then_it_is_refused_naming_who_it_is(
    key: Any, iam: Any
) -> None:
    """GIVEN homer's key presented as bart's WHEN proved THEN it authenticates as homer: refused."""
    iam.create_user(UserName="bart")

    refusal = prove_usable({**key, "UserName": "bart"}, 5, hub_account_id=HUB, just_created=False)

    assert refusal is not None
    assert refusal.endswith(
        "last refusal: it authenticated as arn:aws:iam::123456789012:user/homer)"
    )


def test_given_a_user_name_in_another_case_when_proved_then_it_is_the_same_user(key: Any) -> None:
    """IAM user names ignore case: HOMER's key authenticating as homer is his."""
    assert (
        prove_usable({**key, "UserName": "HOMER"}, 5, hub_account_id=HUB, just_created=False)
        is None
    )


def test_given_a_key_of_a_same_named_user_in_another_account_when_proved_then_it_is_refused(
    key: Any,
) -> None:
    """GIVEN a key of a user named homer in another account WHEN it is proved as the module's own
    homer THEN it is refused: a user of the module's account must authenticate in that account,
    as a member account's user in its own."""
    other = client_in(OTHER_ACCOUNT, "iam")
    other.create_user(UserName="homer")
    foreign = other.create_access_key(UserName="homer")["AccessKey"]

    refusal = prove_usable(foreign, 5, hub_account_id=HUB, just_created=False)

    assert refusal is not None
    assert refusal.endswith(
        f"last refusal: it authenticated as arn:aws:iam::{OTHER_ACCOUNT}:user/homer)"
    )


def test_given_a_key_refused_for_5_s_after_its_creation_when_just_created_then_three_checks(
    iam: Any, propagation: Propagation
) -> None:
    """GIVEN a new key IAM refuses for its first 5 s (counted from CreateAccessKey, as AWS does)
    WHEN proved as just created THEN its first check comes FIRST_CHECK_SECONDS after creation and
    three checks in a row suffice: none is spent on a key IAM does not accept yet."""
    fresh = _new_key_of(iam, "marge")
    propagation.seconds = FIRST_CHECK_SECONDS
    started = clock.monotonic()

    assert prove_usable(fresh, 60, hub_account_id=HUB, just_created=True) is None

    assert propagation.checks_of(fresh["AccessKeyId"]) == REQUIRED_SUCCESSES
    assert clock.monotonic() - started == pytest.approx(FIRST_CHECK_SECONDS + 2, abs=0.1)


def test_given_a_key_refused_for_5_s_when_checked_at_once_then_the_refusals_cost_checks(
    iam: Any, propagation: Propagation
) -> None:
    """The same key checked at once (a key written before: no first wait) is refused for its
    first 5 s, one check a second: the calls the first wait saves."""
    fresh = _new_key_of(iam, "marge")
    propagation.seconds = FIRST_CHECK_SECONDS

    assert prove_usable(fresh, 60, hub_account_id=HUB, just_created=False) is None

    assert propagation.checks_of(fresh["AccessKeyId"]) == 5 + REQUIRED_SUCCESSES


@pytest.mark.parametrize(("limit", "waited"), [(60, 5.0), (5, 2.0), (3, 0.0)])
def test_given_a_short_time_limit_when_a_new_key_waits_then_the_checks_in_a_row_still_fit(
    limit: int, waited: float
) -> None:
    """GIVEN verify_new_key_timeout_seconds WHEN a new key waits before its first check THEN it
    waits FIRST_CHECK_SECONDS at most, and leaves the time for the checks in a row."""
    assert first_wait(limit) == waited


def _new_key_of(iam: Any, username: str) -> Any:
    iam.create_user(UserName=username)
    return iam.create_access_key(UserName=username)["AccessKey"]
