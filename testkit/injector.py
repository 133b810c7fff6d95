"""Faults injected into one run: a function that dies at a call, a run stopped at a state, a
MarkDelivered that keeps failing, a handler that times out.

A function "dies" the way a Lambda process does: right before one of its AWS calls (the call never
happens) or right after it (the call took effect, its answer is lost), and nothing it would have
done afterwards happens: every later call of that invocation dies too, whatever thread makes it.
The harness reports the death as Lambda does, a ``Runtime.ExitError`` function error.

A run is stopped as AWS stops it: ABORTED at once, while a Lambda invocation in flight runs on to
its end (the harness patches moto so: testkit/world/patches/stop_aborts_at_once.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from testkit.harness import Harness
from testkit.runner.invocation import INVOCATION, FunctionDied, Invocation
from testkit.world.setting import HARNESS_AGENT

# The name under which each matrix test reports how many scenarios it played.
MATRIX_PROPERTY = "fault scenarios"
# The module's own functions, whose calls a fault can interrupt.
ENGINE_FUNCTIONS = ("plan", "read_records", "rotate", "roll_back", "record_outcomes", "finish")
# The Tasks that invoke a Lambda function: a stop can land while their invocation is in flight.
LAMBDA_TASKS = {
    "Plan": "plan",
    "ReadRecords": "read_records",
    "Rotate": "rotate",
    "Handoff": "credentials_handler",
    "RollBack": "roll_back",
    "RecordOutcomes": "record_outcomes",
    "Finish": "finish",
}


@dataclass(frozen=True)
class Fault:
    """One fault. ``kind``: ``die`` (``function`` dies ``when`` its ``call``-th AWS call happens,
    or, with ``operation``, each of its calls of that operation),
    ``stop`` (the run is stopped when it enters ``state``; with ``in_flight`` while that Task's
    invocation runs), ``mark-delivered-fails``, or a handler behaviour (``store-then-time-out``,
    ``time-out``). ``refuse``: the run's handler refuses keys (to reach roll_back);
    ``unusable``: the user's new keys never authenticate (to reach roll_back before a handoff)."""

    kind: str
    function: str | None = None
    call: int | None = None
    when: str | None = None
    state: str | None = None
    in_flight: bool = False
    refuse: bool = False
    unusable: bool = False
    operation: str | None = None

    @property
    def leaves_a_stray(self) -> bool:
        """Whether the fault may leave a key nobody recorded (rotate dies around its calls)."""
        return self.kind == "die" and self.function == "rotate"

    def __str__(self) -> str:
        refusing = " (handler refuses)" if self.refuse else ""
        refusing += " (new key never works)" if self.unusable else ""
        if self.kind == "die":
            call = f"call {self.call}" if self.operation is None else self.operation
            return f"{self.function} dies {self.when} {call}{refusing}"
        if self.kind == "stop":
            where = "during" if self.in_flight else "entering"
            return f"run stopped {where} {self.state}{refusing}"
        return f"{self.kind}{refusing}"


@dataclass
class CallRecord:
    """What each engine invocation of a run called, in order: (function, [operation, ...])."""

    invocations: list[tuple[str, list[str]]] = field(default_factory=list)
    states: list[str] = field(default_factory=list)


class Injector:
    """Botocore hooks on the session every engine and Step Functions client comes from."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.fault: Fault | None = None
        self.record: CallRecord | None = None
        self.fired = False  # whether the fault of the current run struck
        # Whether runs take AWS's time around the keys they create (``_take_aws_time``).
        self.latency_for_strays = False
        self._calls: dict[Invocation, list[str]] = {}
        self._dead: set[Invocation] = set()
        self._lock = threading.Lock()
        harness.hook("before-call", self._before_call)
        harness.hook("after-call", self._after_call)
        harness.state_hooks.append(self._entered)
        harness.invoke_hooks.append(self._invoked)

    @contextmanager
    def injecting(self, fault: Fault | None, run_arn: list[str]) -> Iterator[CallRecord]:
        """Inject ``fault`` (None: record only) into the run whose ARN ``run_arn[0]`` will be."""
        self.fault, self.record, self._run = fault, CallRecord(), run_arn
        self.fired = False
        self._calls.clear()
        self._dead.clear()
        try:
            yield self.record
        finally:
            self.fault, self.record = None, None

    # --- hooks --------------------------------------------------------------------------------

    def _invoked(self, invocation: Invocation) -> None:
        fault = self.fault
        if self.record is not None and invocation.function in ENGINE_FUNCTIONS:
            with self._lock:
                self._calls[invocation] = []
                self.record.invocations.append((invocation.function, self._calls[invocation]))
        stopping = fault is not None and fault.kind == "stop" and fault.in_flight
        if stopping and LAMBDA_TASKS.get(str(fault.state)) == invocation.function:
            self._stop()

    def _entered(self, state: str) -> None:
        if self.record is not None:
            self.record.states.append(state)
        fault = self.fault
        if fault and fault.kind == "stop" and not fault.in_flight and fault.state == state:
            self._stop()

    def _stop(self) -> None:
        self.fault, self.fired = None, True  # once
        self.harness.sfn.stop_execution(executionArn=self._run[0])

    def _before_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        if _is_harness_call(context):
            return
        invocation = INVOCATION.get()
        strays = self.latency_for_strays or (self.fault and self.fault.leaves_a_stray)
        if strays and invocation is not None:
            self._take_aws_time(invocation.function, model.name)
        if invocation is None:
            self._state_machine_call(model.name)
            return
        key = invocation
        with self._lock:
            if key in self._dead:
                raise FunctionDied(f"{invocation.function} died earlier")
            calls = self._calls.get(key)
            if calls is None:
                return
            calls.append(model.name)
            ordinal = len(calls) - 1
        if self._dies(invocation, ordinal, "before", model.name):
            self._dead.add(key)
            self.fired = True
            raise FunctionDied(f"{invocation.function} died before {model.name}")
        context["fault_ordinal"] = ordinal

    def _after_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        invocation = INVOCATION.get()
        ordinal = context.get("fault_ordinal")
        if (
            invocation is not None
            and ordinal is not None
            and self._dies(invocation, ordinal, "after", model.name)
        ):
            self._dead.add(invocation)
            self.fired = True
            raise FunctionDied(f"{invocation.function} died after {model.name}")

    def _dies(self, invocation: Invocation, ordinal: int, when: str, operation: str) -> bool:
        fault = self.fault
        return bool(
            fault
            and fault.kind == "die"
            and fault.function == invocation.function
            and (fault.call == ordinal if fault.operation is None else fault.operation == operation)
            and fault.when == when
        )

    def _take_aws_time(self, function: str, operation: str) -> None:
        """Let the next whole second begin before a run creates a key, and before a batch records
        its outcomes. On AWS each takes longer than a second after what precedes it (the Map Run,
        a child execution and two invocations start before a key is created; a crashed rotate is
        reported when its invocation ends), and IAM and S3 give times to the second: the engine
        relies on that to tell its strays (``strays``). The harness runs all of it in
        milliseconds, so it moves the clock instead."""
        if (function, operation) in (
            ("rotate", "CreateAccessKey"),
            ("record_outcomes", "PutObject"),
        ):
            self.harness.clock.to_next_second()

    def _state_machine_call(self, operation: str) -> None:
        """A call of the state machine itself (an aws-sdk Task, the Map's reader)."""
        fault = self.fault
        if (
            fault
            and fault.kind == "mark-delivered-fails"
            and operation == "UpdateSecretVersionStage"
        ):
            self.fired = True
            error = {"Code": "InternalServiceError", "Message": "Secrets Manager is down"}
            metadata = {"HTTPStatusCode": 500, "RequestId": "fault", "HTTPHeaders": {}}
            raise ClientError({"Error": error, "ResponseMetadata": metadata}, operation)


def _is_harness_call(context: dict[str, Any]) -> bool:
    """The harness's own clients (setting up, checking, the test handler) say so."""
    config = context.get("client_config")
    return HARNESS_AGENT in str(getattr(config, "user_agent_extra", "") or "")
