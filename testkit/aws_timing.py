"""How long AWS takes, by the module's timing model: the figures the test world's calls and
invocations take (``testkit.aws_latency``) and the benchmark lays a run out on
(``bench/aws_model.py``). Every number names its source in docs/aws-limits.md ("The timing
model"); where AWS publishes none, the source says so and what the figure rests on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """How long AWS takes: a call, by service (as in its endpoint); a warm invocation's overhead
    and a cold start's; a state transition; a Distributed Map child execution's start; the
    user's credentials handler."""

    call_seconds: Mapping[str, float]
    invoke_seconds: float
    cold_start_seconds: float
    transition_seconds: float
    child_start_seconds: float
    handler_seconds: float


AWS = Timing(
    call_seconds={
        "iam": 0.15,
        "sts": 0.03,
        "secretsmanager": 0.05,
        "s3": 0.03,
        "events": 0.03,
        "states": 0.05,
        "ssm": 0.03,
        "lambda": 0.03,
    },
    invoke_seconds=0.03,
    cold_start_seconds=0.5,
    transition_seconds=0.05,
    child_start_seconds=0.25,
    handler_seconds=0.5,
)
