"""What every Lambda entry point does before its own work, written once.

``@entry_point`` turns a plain function ``work(event, context)`` into a Lambda handler. When the
module is imported it sets up JSON logging and reads the configuration, so a missing environment
variable fails the function at once, naming it. On each invocation it sets the deadline of the
throttling retries from the Lambda context (``throttling.set_deadline``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from credentials_rotator import config, log, throttling

Result = TypeVar("Result")


def entry_point(work: Callable[[Any, object], Result]) -> Callable[[Any, object], Result]:
    log.configure()
    config.load()

    @functools.wraps(work)
    def handler(event: Any, context: object) -> Result:
        throttling.set_deadline(context)
        return work(event, context)

    return handler
