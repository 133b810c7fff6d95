"""What every Lambda entry point does before its own work, and with its errors, written once.

``@entry_point`` turns a plain function ``work(event, context)`` into a Lambda handler. When the
module is imported it sets up JSON logging and reads the configuration, so a missing environment
variable fails the function at once, naming it. On each invocation it sets the deadline of the
throttling retries from the Lambda context (``throttling.set_deadline``).

An error leaves the function short: Step Functions keeps Lambda's whole error cause in the state
(``RotateFailed``, ``RollBackFailed``), and Lambda's cause holds the error's message and its stack
trace, which for a batch of failing users would fill a good part of the state's 256 KB. So the
error is logged with its stack trace, and what Lambda reports carries the same name, a message cut
to ``errors.MESSAGE_LIMIT`` characters and no stack trace of the engine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from credentials_rotator.aws import throttling
from credentials_rotator.model.errors import MESSAGE_LIMIT, cut
from credentials_rotator.settings import config, log

LOGGER = log.get_logger(__name__)

Result = TypeVar("Result")


def entry_point(work: Callable[[Any, object], Result]) -> Callable[[Any, object], Result]:
    log.configure()
    config.load()

    @functools.wraps(work)
    def handler(event: Any, context: object) -> Result:
        throttling.set_deadline(context)
        try:
            return work(event, context)
        except Exception as exc:
            LOGGER.error("function failed", exc_info=exc, extra={"error": type(exc).__name__})
            raise short_error(exc) from None

    return handler


def short_error(exc: Exception) -> Exception:
    """``exc`` as Lambda should report it: its name, its message within ``MESSAGE_LIMIT``
    characters (an error of the same name carrying the cut message when it is longer), and no
    stack trace."""
    message = str(exc)
    if len(message) <= MESSAGE_LIMIT:
        return exc.with_traceback(None)
    same_name: type[Exception] = type(
        type(exc).__name__, (Exception,), {"__module__": type(exc).__module__}
    )
    return same_name(cut(message))
