"""Every execution event is reported as it happens.

AWS's Step Functions tells a listener of each state an execution enters (EventBridge, for
example) while the execution runs; moto only records the events. The patch calls ``entered``
with the name of each state any execution (a child's too) enters, and ``happened`` after every
event: fault injection acts at a state, and a wait for a run wakes when something happened
instead of asking moto all the time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(
    monkeypatch: pytest.MonkeyPatch,
    happened: Callable[[], None],
    entered: Callable[[str], None],
) -> None:
    original = EventManager.add_event

    def add_event(manager: Any, context: Any, event_type: Any, *args: Any, **kwargs: Any) -> int:
        event_id: int = original(manager, context, event_type, *args, **kwargs)
        happened()
        details = kwargs.get("event_details") or (args[0] if args else None)
        if str(event_type).endswith("StateEntered") and details:
            entered(details.get("stateEnteredEventDetails", {}).get("name"))
        return event_id

    monkeypatch.setattr(EventManager, "add_event", add_event)
