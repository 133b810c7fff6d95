"""The benchmark runs the module's defaults as state_machine.tf renders them: the same division of
max_concurrency (the figures of tests/state_machine.tftest.hcl) and the same grace wait."""

from __future__ import annotations

import pytest

from bench.run import concurrency, grace_wait_seconds


@pytest.mark.parametrize(
    ("max_concurrency", "users_and_batches"),
    [(5, (5, 1)), (20, (20, 1)), (30, (15, 2)), (100, (20, 5)), (200, (20, 10))],
)
def test_max_concurrency_is_divided_as_the_module_divides_it(
    max_concurrency: int, users_and_batches: tuple[int, int]
) -> None:
    """GIVEN max_concurrency WHEN divided THEN the users at once per batch and the batches at once
    that state_machine.tftest.hcl asserts of the rendered definition."""
    assert concurrency(max_concurrency) == users_and_batches


def test_the_run_waits_only_when_finish_retires_the_previous_keys() -> None:
    """GIVEN the default last_use_delay_seconds WHEN a later run judges the previous keys THEN no
    grace wait in the run; with retire, the default 300 s."""
    assert grace_wait_seconds("defer") == grace_wait_seconds("deactivate") == 0.0
    assert grace_wait_seconds("retire") == 300.0
