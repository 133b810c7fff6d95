"""AWS's latencies in the test world.

moto answers every call at once, and the harness starts a function as fast as Python calls it. On
AWS each call and each invocation takes time, and the engine's own limits count it: the proof of a
new key within ``verify_new_key_timeout_seconds`` (``verification``), the throttling retries
within a function's remaining time (``throttling``). ``Latency`` gives every call the time of its
service and every invocation of the module's functions its start (the first of each function
cold), by the module's timing model (``testkit.aws_timing``), on the calling thread's clock
(``world_clock.engine_waits``), which those limits read. The world clock (moto's timestamps) does
not move: the invocations in flight run side by side, as on AWS, each on its own time.
``Harness.latency.timing = None`` takes the latencies away.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from credentials_rotator.settings import clock

from testkit.aws_timing import AWS, Timing


@dataclass
class Latency:
    """The latencies in force (None: none), and the functions started once already."""

    timing: Timing | None = AWS
    started: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before_call(self, model: Any, **_: Any) -> None:
        """botocore's before-call: the call takes its service's time."""
        timing = self.timing
        if timing is not None:
            slowest = max(timing.call_seconds.values())
            clock.sleep(timing.call_seconds.get(model.service_model.endpoint_prefix, slowest))

    def invoked(self, function: str) -> None:
        """An invocation of the module's ``function`` starts: warm, or cold the first time."""
        timing = self.timing
        if timing is None:
            return
        with self.lock:
            cold = function not in self.started
            self.started.add(function)
        clock.sleep(timing.invoke_seconds + (timing.cold_start_seconds if cold else 0.0))
