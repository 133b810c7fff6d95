"""The fault tier: every crash point of every function on every row of the decision table, every
state a run can be stopped at, and the faults of AWS and handlers that leave a handoff's outcome
unknown (docs/design.md, "Crash safety"). ``make test-faults`` runs it; it prints the matrix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testkit.injector import MATRIX_PROPERTY


@pytest.fixture
def retry_sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Step Functions retry intervals, recorded instead of slept."""
    from types import SimpleNamespace

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    sleeps: list[float] = []
    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=sleeps.append))
    yield sleeps


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    scenarios = 0
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", []):
                if name == MATRIX_PROPERTY and getattr(report, "when", "") == "call":
                    scenarios += int(value)
    if scenarios:
        terminalreporter.write_line(
            f"fault matrix: {scenarios} scenarios (rows x old key actions x faults), each "
            "followed by two runs, every invariant checked after each"
        )
