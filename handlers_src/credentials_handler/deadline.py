"""How long the invocation may still work, from the Lambda context, read through the clock."""

from __future__ import annotations

from dataclasses import dataclass

from credentials_handler import clock

# Kept back from Lambda's timeout: time to log the outcome and end before Lambda ends us.
RESERVED_SECONDS = 3.0
# The longest one request may take to answer.
REQUEST_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Deadline:
    """The moment, on ``clock.monotonic()``, after which no attempt may start."""

    ends_at: float

    @classmethod
    def from_context(cls, context: object) -> Deadline:
        remaining_ms = context.get_remaining_time_in_millis()  # type: ignore[attr-defined]
        return cls(clock.monotonic() + remaining_ms / 1000 - RESERVED_SECONDS)

    def seconds_left(self) -> float:
        return max(0.0, self.ends_at - clock.monotonic())

    def request_timeout(self) -> float:
        """The time one request may take: at most ``REQUEST_TIMEOUT_SECONDS``, never past the
        deadline (zero: no time for another request)."""
        return min(REQUEST_TIMEOUT_SECONDS, self.seconds_left())
