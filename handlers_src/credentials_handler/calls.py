"""A call to a target's API: retried with back-off while the target is busy or silent, inside
the invocation's time.

The target's package judges each answer (``Verdict``): done, refused with the API's message, or
busy with the wait the API asks for (a rate limit's ``retry-after``, its reset time) or none (a
server error: back off). A refusal raises ``TargetRefused`` at once. A busy or silent target is
tried again after the wait (exponential back-off with full jitter when the API names none) as long
as the wait ends before the deadline; then ``NoAnswer``.
"""

from __future__ import annotations

import logging
import random
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from credentials_handler import clock
from credentials_handler.deadline import Deadline
from credentials_handler.errors import NoAnswer, TargetRefused
from credentials_handler.secrecy import scrub
from credentials_handler.transport import NoAnswerYet, Request, Response, send

BASE_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0

logger = logging.getLogger(__name__)
_random = random.SystemRandom()


@dataclass(frozen=True)
class Verdict:
    """How the target answered one request."""

    outcome: Literal["done", "refused", "busy"]
    message: str = ""
    wait_seconds: float | None = None  # busy: the wait the API asks for; None: back off


DONE = Verdict("done")

Judge = Callable[[Response], Verdict]


def judgement(response: Response, message: str, rate_limited: bool, wait: float | None) -> Verdict:
    """What most APIs mean: 2xx done; a rate limit busy (``wait``: the API's wait, or None to
    back off); a server error busy; anything else refused, with the API's ``message``."""
    if 200 <= response.status < 300:
        return DONE
    if rate_limited:
        return Verdict("busy", f"rate limited: {response.status} {message}", wait)
    if response.status >= 500:
        return Verdict("busy", f"{response.status} {message}")
    return Verdict("refused", f"{response.status} {message}")


def retry_after(response: Response) -> float | None:
    """The seconds of a ``Retry-After`` header, when it gives seconds."""
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def seconds_until(epoch_seconds: str) -> float | None:
    """Seconds from now until just after a reset time in epoch seconds (a rate limit's reset)."""
    if not epoch_seconds.isdigit():
        return None
    return max(0.0, int(epoch_seconds) - clock.now().timestamp()) + 1


def answer_field(answer: Any, name: str, what: str) -> Any:
    """``answer[name]`` of a JSON answer; an answer without it is refused as unexpected."""
    if isinstance(answer, dict) and answer.get(name) is not None:
        return answer[name]
    raise TargetRefused(f"{what}: the answer has no {name}")


def call(request: Request, judge: Judge, deadline: Deadline) -> Response:
    """The answer the target judged done; raises ``TargetRefused`` or ``NoAnswer``."""
    what = f"{request.method} {urllib.parse.urlsplit(request.url).path}"
    attempt = 0
    while True:
        attempt += 1
        timeout = deadline.request_timeout()
        if timeout <= 0:
            raise NoAnswer(f"{what}: no time left for attempt {attempt}")
        try:
            response = send(request, timeout)
        except NoAnswerYet as exc:
            verdict = Verdict("busy", f"no answer ({exc})")
        else:
            verdict = judge(response)
            if verdict.outcome == "done":
                return response
        if verdict.outcome == "refused":
            raise TargetRefused(f"{what} was refused: {verdict.message}")
        _wait_or_give_up(what, attempt, verdict, deadline)


def _wait_or_give_up(what: str, attempt: int, verdict: Verdict, deadline: Deadline) -> None:
    wait = verdict.wait_seconds
    if wait is None:
        wait = _random.uniform(0, min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**attempt))
    if wait >= deadline.seconds_left():
        raise NoAnswer(
            f"{what}: {verdict.message}; gave up after {attempt} attempt(s), as the next would "
            "start after the invocation's time"
        )
    logger.warning(
        "target busy, trying again",
        extra={
            "request": what,
            "attempt": attempt,
            "waitSeconds": round(wait, 1),
            "reason": scrub(verdict.message),
        },
    )
    clock.sleep(wait)
