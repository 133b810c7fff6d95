"""Which targets each user's key goes to: the ``TARGETS`` environment variable, a JSON object
from the user's name in the rotator (``event.Handoff.rotator_name``) to a list of targets, which
the module's ``targets`` input renders. Each target package parses its own targets."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from credentials_handler.errors import ConfigError, UnmappedUser
from credentials_handler.event import Handoff

Target = TypeVar("Target")


@dataclass(frozen=True)
class TargetMap(Generic[Target]):
    by_user: Mapping[str, tuple[Target, ...]]

    def targets_of(self, handoff: Handoff) -> tuple[Target, ...]:
        targets = self.by_user.get(handoff.rotator_name)
        if not targets:
            raise UnmappedUser(
                f"no target is configured for user {handoff.rotator_name}: add it to the "
                "handler module's targets (its key was not handed off)"
            )
        return targets


def load_target_map(
    raw: str, parse_target: Callable[[Mapping[str, Any]], Target]
) -> TargetMap[Target]:
    try:
        mapping = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError("environment variable TARGETS is not valid JSON") from exc
    if not isinstance(mapping, dict) or not all(
        isinstance(targets, list) and all(isinstance(t, dict) for t in targets)
        for targets in mapping.values()
    ):
        raise ConfigError("environment variable TARGETS must map user names to lists of objects")
    try:
        return TargetMap(
            {user: tuple(parse_target(t) for t in targets) for user, targets in mapping.items()}
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"environment variable TARGETS holds an invalid target: {exc}") from exc
