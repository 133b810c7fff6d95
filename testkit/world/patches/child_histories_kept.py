"""A Distributed Map's child executions keep their events.

AWS keeps a history for each child execution of a Distributed Map run (the run's batches);
moto runs the children with an event manager of their own and then drops it, so no event of a
batch can be read. The patch hands every child's event manager to ``children`` (execution ARN of
the parent -> its children's managers), as AWS's children's own histories would hold them.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    distributed_iteration_component,
)
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(monkeypatch: pytest.MonkeyPatch, children: dict[str, list[Any]]) -> None:
    component = distributed_iteration_component.DistributedIterationComponent
    original = component._eval_body
    running = threading.local()

    def eval_body(self: Any, env: Any) -> None:
        running.execution = env.states.context_object.context_object_data["Execution"]["Id"]
        original(self, env)

    def event_manager(*args: Any, **kwargs: Any) -> EventManager:
        manager = EventManager(*args, **kwargs)
        children.setdefault(running.execution, []).append(manager)
        return manager

    monkeypatch.setattr(component, "_eval_body", eval_body)
    monkeypatch.setattr(distributed_iteration_component, "EventManager", event_manager)
