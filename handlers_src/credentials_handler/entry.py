"""A ready-made credentials handler's Lambda entry point, and how its outcome reaches the rotator.

``entry_point(deliver, parse_target, package)`` reads the targets at import (a bad configuration
fails the function at once) and returns ``handler(event, context)``, which for each handoff:

1. checks the event and finds the user's targets (``UnmappedUser`` when there are none);
2. reads the new key from the secret version the event names, checked against the announced key
   and user;
3. calls ``deliver`` with a ``Delivery``, whose ``wrote`` the target's code calls each time a
   write has landed at the target;
4. returns once ``deliver`` returned: the targets hold the key, the rotator confirms the handoff.

How it ends otherwise is the rotator's contract (README, "Handler contract"):

- A refusal while nothing was written is raised as it is: the targets do not hold the key, the
  rotator tries again, then rolls the new key back.
- No answer from the target in the invocation's time (``NoAnswer``), or any failure once a write
  has landed (a target may hold part of the key, or all of it), leaves the outcome unknown: the
  handler ends its process (exit status 1, which Lambda reports as ``Runtime.ExitError``). The
  rotator then keeps both keys and hands the same key off again at its next run; never rolls back
  a key a target may hold.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn

from credentials_handler import environment, log
from credentials_handler.clients import secretsmanager_client
from credentials_handler.deadline import Deadline
from credentials_handler.errors import NoAnswer
from credentials_handler.event import Handoff, parse_event
from credentials_handler.secrecy import forget_secrets, scrub
from credentials_handler.stored_secrets import RotatedKey, read_rotated_key
from credentials_handler.targets import Target, load_target_map

logger = logging.getLogger(__name__)

# The process's exit status when the outcome is unknown.
OUTCOME_UNKNOWN_EXIT_STATUS = 1


@dataclass
class Delivery(Generic[Target]):
    """One handoff as the target's code sees it."""

    handoff: Handoff
    key: RotatedKey
    targets: tuple[Target, ...]
    deadline: Deadline
    written: list[str] = field(default_factory=list)

    def wrote(self, what: str) -> None:
        """Record a write that landed at a target (``what`` names it: never a value)."""
        self.written.append(what)
        logger.info("written", extra={**self.facts, "written": what})

    @property
    def facts(self) -> dict[str, Any]:
        return {"username": self.handoff.rotator_name, "accessKeyId": self.handoff.access_key_id}


Deliver = Callable[[Delivery[Target]], None]
Handler = Callable[[Any, Any], None]


def entry_point(
    deliver: Deliver[Target], parse_target: Callable[[Mapping[str, Any]], Target], package: str
) -> Handler:
    log.configure(package)
    target_map = load_target_map(environment.required("TARGETS"), parse_target)

    def handler(event: Any, context: Any) -> None:
        forget_secrets()
        deadline = Deadline.from_context(context)
        handoff = parse_event(event, own_account_id(context))
        targets = target_map.targets_of(handoff)
        key = read_rotated_key(secretsmanager_client(), handoff)
        delivery = Delivery(handoff, key, targets, deadline)
        try:
            deliver(delivery)
        except NoAnswer as exc:
            end_with_unknown_outcome(delivery, exc)
        except Exception as exc:
            if delivery.written:
                end_with_unknown_outcome(delivery, exc)
            raise
        logger.info("handed off", extra={**delivery.facts, "targets": len(targets)})

    return handler


def own_account_id(context: Any) -> str:
    """The account of the invoked function: ``arn:<partition>:lambda:<region>:<account>:…``."""
    return str(context.invoked_function_arn).split(":")[4]


def end_with_unknown_outcome(delivery: Delivery[Any], exc: Exception) -> NoReturn:
    logger.error(
        "handoff outcome unknown: ending the process, the rotator keeps both keys",
        extra={
            **delivery.facts,
            "written": delivery.written,
            "error": type(exc).__name__,
            "reason": scrub(str(exc)),
        },
    )
    raise SystemExit(OUTCOME_UNKNOWN_EXIT_STATUS) from exc
