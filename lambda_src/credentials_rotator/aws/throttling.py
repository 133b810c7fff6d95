"""Retrying throttled AWS calls until the function's own time runs short.

IAM, Secrets Manager and S3 answer a request rate above their quota with ``Throttling``,
``TooManyRequestsException``, ``SlowDown`` or a ``LimitExceeded`` error that speaks of a rate.
Such a call changed nothing, so it is always safe to repeat. botocore's own retries give up after
a few attempts and, under sustained throttling, when their retry quota is spent; then a user would
fail only because AWS was busy. ``retry_throttling`` is registered first on every client's
``needs-retry`` event (see ``clients``): it retries throttling errors with exponential backoff and
full jitter, up to ``MAX_ATTEMPTS`` and never past the deadline the entry point set from the
Lambda context, so the error surfaces while the function can still report it. Every other error is
left to botocore. ``LimitExceeded`` about a quota (a user's two access keys) is not a rate and is
never retried here.
"""

from __future__ import annotations

import random
import re
import threading
from typing import Any

from botocore.exceptions import ClientError

from credentials_rotator.settings import clock

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
LIMIT_CODES = frozenset({"LimitExceeded", "LimitExceededException"})
# The one quota code botocore retries as throttling: a secret's versions (Secrets Manager).
RETRIED_BY_BOTOCORE = "LimitExceededException"
RATE_WORDING = re.compile(r"\brate\b|throttl|too many requests", re.IGNORECASE)

BASE_DELAY_SECONDS = 0.5
# A short cap: under a quota shared by every concurrent call (IAM's writes), long sleeps leave the
# quota unused while every caller waits; 5 s kept a throttled run of 1,000 users at 0.83 of the
# quota's rate where 20 s gave 0.70 (docs/design.md, "Throttling"). More attempts keep the
# patience: about two and a half minutes of throttling before a call gives up.
MAX_DELAY_SECONDS = 5.0
MAX_ATTEMPTS = 60
# What an entry point keeps back from its Lambda timeout for reporting after the last attempt.
RESERVE_SECONDS = 10.0

_random = random.SystemRandom()


class _Deadline:
    """The monotonic time after which no throttled call is retried; shared by threads."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.lock = threading.Lock()


_DEADLINE = _Deadline()


def is_throttling(code: str, message: str) -> bool:
    """Whether an AWS error means "too many requests", not a quota or a real failure."""
    if code in THROTTLING_CODES:
        return True
    return code in LIMIT_CODES and RATE_WORDING.search(message) is not None


def set_deadline(context: object) -> None:
    """Stop retrying throttled calls ``RESERVE_SECONDS`` before the invocation's timeout.

    ``context`` is the Lambda context; without ``get_remaining_time_in_millis`` (a plain call in a
    test) no deadline applies and ``MAX_ATTEMPTS`` alone bounds the retries.
    """
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    with _DEADLINE.lock:
        if callable(remaining):
            _DEADLINE.at = clock.monotonic() + float(remaining()) / 1000 - RESERVE_SECONDS
        else:
            _DEADLINE.at = None


def retry_throttling(
    response: Any = None, attempts: int = 1, operation: Any = None, **_: Any
) -> float | None:
    """botocore ``needs-retry`` handler: seconds to wait before the next attempt, or None.

    A quota error (``LimitExceeded*`` that does not speak of a rate) is not retried: IAM's
    ``LimitExceeded`` (a user's two access keys) botocore returns at once; Secrets Manager's
    ``LimitExceededException`` (a secret's versions) it would retry as throttling, for a minute,
    although nothing changes it, so that one ends the call here with its error.
    """
    if response is None:
        return None
    error = response[1].get("Error", {}) if isinstance(response[1], dict) else {}
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code in LIMIT_CODES and not is_throttling(code, message):
        if code == RETRIED_BY_BOTOCORE:
            raise ClientError(response[1], getattr(operation, "name", "the call"))
        return None
    if not is_throttling(code, message):
        return None
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = backoff_seconds(attempts)
    return delay if ends_before_deadline(delay) else None


def backoff_seconds(attempts: int) -> float:
    """The wait after ``attempts`` refused attempts: ``BASE_DELAY_SECONDS`` doubling with each, at
    most ``MAX_DELAY_SECONDS``, with full jitter (any time from none to that)."""
    return _random.uniform(0, min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** (attempts - 1)))


def ends_before_deadline(delay: float) -> bool:
    """Whether a wait of ``delay`` seconds ends before the invocation's deadline (always, without
    one)."""
    with _DEADLINE.lock:
        deadline = _DEADLINE.at
    return deadline is None or clock.monotonic() + delay <= deadline
