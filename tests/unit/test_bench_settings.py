"""The benchmark runs the module's defaults as state_machine.tf renders them: the same division of
max_concurrency (the figures of tests/state_machine.tftest.hcl) and the same grace wait."""

from __future__ import annotations

import pytest
from credentials_rotator.settings.config import Config

from bench.run import concurrency, grace_wait_seconds, row_settings
from testkit.engine_environment import MODULE_SETTINGS


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


@pytest.mark.parametrize(("in_use_key_action", "waited"), [("defer", 0.0), ("retire", 300.0)])
def test_the_run_waits_only_when_finish_retires_the_previous_keys(
    in_use_key_action: str, waited: float
) -> None:
    """GIVEN a row's settings WHEN the bench lays the run out THEN it waits the default grace
    wait only where finish judges the previous keys itself (in_use_key_action retire), as
    tests/settings.tftest.hcl asserts of the rendered settings and GraceWait."""
    settings = Config.from_document({**MODULE_SETTINGS, **row_settings(True, in_use_key_action)})

    assert grace_wait_seconds(settings) == waited
