"""The Terraform-rendered state machine in moto: its runs, and what moto recorded of them.

The run's batches are child executions of a Distributed Map. moto runs them but keeps no history
of them; the harness records their events per run (``child_history``,
testkit/world/patches/child_histories_kept.py), as AWS would keep them in the children's own
histories, so tests and the benchmark can see every state a run entered.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from credentials_rotator.settings import config
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from testkit import asl_render
from testkit.authorization import Authorization
from testkit.runner.progress import Progress
from testkit.runner.run_result import RunResult
from testkit.world.setting import ACCOUNT, REGION


@functools.cache
def _definition(cleanup_wait_seconds: int, overrides: tuple[tuple[str, Any], ...] = ()) -> str:
    return asl_render.render_text({"grace_wait_seconds": cleanup_wait_seconds, **dict(overrides)})


class Executions:
    """The harness's part that starts runs of the state machine, waits for them and reads them."""

    # Given by the harness.
    sfn: Any
    role_arn: str
    authorization: Authorization | None
    _use_previous_keys: Callable[[str], None]  # the consumer's (testkit/consumer/key_use.py)

    def _set_up_executions(self) -> None:
        self.executions: list[str] = []
        self.progress = Progress()
        self._definition: str | None = None
        self.children: dict[str, list[Any]] = {}  # execution arn -> its child executions' events
        # Called with the name of each state an execution enters (fault injection).
        self.state_hooks: list[Any] = [self._use_previous_keys]
        # template variables other than the fixture's, for the state machines created from now on
        self.template_overrides: dict[str, Any] = {}
        self._run_users: set[str] | None = None  # the last run's on-demand users

    def entered_state(self, name: str) -> None:
        """Tell ``state_hooks`` that an execution entered the state ``name``."""
        for hook in list(self.state_hooks):
            hook(name)

    def state_machine(self, cleanup_wait_seconds: int = 0) -> str:
        """The state machine (its ARN is the functions' ``state_machine_arn`` setting), its
        definition rendered with this grace wait; a run keeps the definition it started with."""
        definition = _definition(
            cleanup_wait_seconds, tuple(sorted(self.template_overrides.items()))
        )
        arn = config.load().state_machine_arn
        if self._definition is None:
            created = self.sfn.create_state_machine(
                name=arn.rsplit(":", 1)[-1],
                definition=definition,
                roleArn=self.role_arn,
                type="STANDARD",
            )["stateMachineArn"]
            assert created == arn, f"the state machine is {created}, the functions expect {arn}"
        elif definition != self._definition:
            self.sfn.update_state_machine(stateMachineArn=arn, definition=definition)
        self._definition = definition
        return arn

    def start(
        self,
        run_input: dict[str, Any] | None = None,
        cleanup_wait_seconds: int = 0,
        name: str | None = None,
    ) -> str:
        if self.authorization is not None:
            self.authorization.prepare()
        users = (run_input or {}).get("users")
        self._run_users = None if users is None else set(users)  # None: every user
        self._use_previous_keys("before the run")
        arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine(cleanup_wait_seconds),
            name=name or f"run-{uuid.uuid4().hex[:12]}",
            input=json.dumps(run_input if run_input is not None else {}),
        )["executionArn"]
        self.executions.append(arn)
        return arn

    def wait(self, arn: str, timeout: float = 30.0) -> RunResult:
        deadline = time.monotonic() + timeout
        while True:
            mark = self.progress.mark()
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {arn} still running after {timeout} s")
            self.progress.wait_after(mark, ends_only=True)
        output = described.get("output")
        return RunResult(
            arn=arn,
            status=described["status"],
            output=json.loads(output) if output else None,
            error=described.get("error"),
            cause=described.get("cause"),
        )

    def run(
        self,
        run_input: dict[str, Any] | None = None,
        cleanup_wait_seconds: int = 0,
        timeout: float = 30.0,
    ) -> RunResult:
        return self.wait(self.start(run_input, cleanup_wait_seconds), timeout=timeout)

    def wait_for_state(self, arn: str, state: str, timeout: float = 30.0) -> None:
        """Wait until the execution has entered ``state``."""
        deadline = time.monotonic() + timeout
        mark = self.progress.mark()
        while state not in self.states_entered(arn):
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {arn} did not reach {state}")
            self.progress.wait_after(mark)
            mark = self.progress.mark()

    def history(self, arn: str) -> list[dict[str, Any]]:
        """The run's events, as moto holds them: what GetExecutionHistory answers (moto answers
        every event at once), without serializing them to parse them again."""
        execution = stepfunctions_backend(ACCOUNT, REGION).describe_execution(execution_arn=arn)
        return [dict(event) for event in execution.to_history_output()["events"]]

    def child_history(self, arn: str) -> list[dict[str, Any]]:
        """The events of the run's child executions (the batches), in the order they happened."""
        return [
            dict(event)
            for manager in self.children.get(arn, [])
            for event in manager.get_event_history()
        ]

    def states_entered(self, arn: str, *, children: bool = True) -> list[str]:
        """Names of the states the run entered, its batches' states too unless ``children`` is
        False."""
        events = self.history(arn) + (self.child_history(arn) if children else [])
        return [
            e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e
        ]
