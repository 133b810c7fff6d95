"""The benchmark runs the module's defaults as state_machine.tf renders them: the same division of
max_concurrency (the figures of tests/state_machine.tftest.hcl) and the same grace wait."""

from __future__ import annotations

import pytest
from credentials_rotator.settings.config import Config

from bench.run import concurrency, grace_wait_seconds
from testkit.engine_environment import ENGINE_ENVIRONMENT


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


@pytest.mark.parametrize(
    ("in_use_key_action", "last_use_delay_seconds", "waited"),
    [
        ("defer", "14400", 0.0),
        ("deactivate", "14400", 0.0),
        ("retire", "14400", 300.0),
        ("defer", "0", 300.0),
    ],
)
def test_the_run_waits_only_when_finish_retires_the_previous_keys(
    in_use_key_action: str, last_use_delay_seconds: str, waited: float
) -> None:
    """GIVEN the engine's settings WHEN the bench lays the run out THEN it waits the default
    grace wait only where finish judges the previous keys itself (in_use_key_action retire, or no
    last-use delay), as tests/state_machine.tftest.hcl asserts of the rendered GraceWait."""
    settings = Config.from_environ(
        {
            **ENGINE_ENVIRONMENT,
            "IN_USE_KEY_ACTION": in_use_key_action,
            "LAST_USE_DELAY_SECONDS": last_use_delay_seconds,
        }
    )

    assert grace_wait_seconds(settings) == waited
