"""How a run of the state machine ended."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunResult:
    arn: str
    status: str
    output: dict[str, Any] | None
    error: str | None
    cause: str | None

    @property
    def summary(self) -> dict[str, Any]:
        """The run's summary: its output when it succeeded, its cause when it failed."""
        if self.output is not None:
            return self.output
        assert self.cause is not None, f"run {self.status} without a cause"
        parsed: dict[str, Any] = json.loads(self.cause)
        return parsed
