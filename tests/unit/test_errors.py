"""``errors``: every message of ours is cut to 1,000 characters, visibly."""

from __future__ import annotations

import pytest
from credentials_rotator.model import errors

MARK = " [… shortened]"


@pytest.mark.parametrize("length", [0, 1, 999, 1000])
def test_given_a_message_within_the_limit_when_cut_then_it_is_unchanged(length: int) -> None:
    message = "m" * length
    assert errors.cut(message) == message


@pytest.mark.parametrize("length", [1001, 5000, 100_000])
def test_given_a_longer_message_when_cut_then_its_start_stays_and_a_mark_ends_it(
    length: int,
) -> None:
    message = "".join(str(n % 10) for n in range(length))
    shortened = errors.cut(message)
    assert len(shortened) <= 1000
    assert shortened.endswith(MARK)
    kept = shortened.removesuffix(MARK)
    assert message.startswith(kept)
    assert len(kept) >= 980


def test_given_a_limit_when_cut_then_that_limit_applies() -> None:
    shortened = errors.cut("x" * 300, 200)
    assert len(shortened) <= 200 and shortened.endswith(MARK)


def rotator_errors() -> list[type[errors.RotatorError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.RotatorError)
    ]


@pytest.mark.parametrize("error", rotator_errors(), ids=lambda error: error.__name__)
def test_given_any_error_of_ours_with_a_long_message_then_its_message_is_cut(
    error: type[errors.RotatorError],
) -> None:
    raised = error("y" * 5000)
    assert len(str(raised)) <= 1000
    assert str(raised).endswith(MARK)
