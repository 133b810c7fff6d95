"""A run's duration and bill on AWS, modelled from the work the run did in moto.

moto answers every call at once and runs Lambda in this process; its wall time stands for nothing
on AWS. The model takes what the benchmark's run recorded (every AWS call, by function and user;
each user's waits; the invocations and state transitions of the execution histories) and lays it
out on AWS's timing (``Timing``): a discrete-event simulation of the run's phases, each user's
work on the Map's concurrency, every call subject to the request-rate quotas. Every number of
``AWS`` and ``PRICES`` names its source in docs/aws-limits.md ("The timing model"); where AWS
publishes none, the source says so and what the figure rests on.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


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

# us-east-1 list prices, in dollars (docs/aws-limits.md, "The timing model").
PRICES = {
    "transition": 0.025 / 1_000,  # Step Functions Standard, per state transition
    "invocation": 0.20 / 1_000_000,  # Lambda, per request
    "gb_second": 0.0000166667,  # Lambda x86, per GB-second
    "secretsmanager": 0.05 / 10_000,  # Secrets Manager, per API call
    "s3_write": 0.005 / 1_000,  # S3 Standard PUT, COPY, POST, LIST
    "s3_read": 0.0004 / 1_000,  # S3 Standard GET and others
    "event": 1.00 / 1_000_000,  # EventBridge custom events (one PutEvents entry each)
}
LAMBDA_GB = 256 / 1024  # the module's memory_size (lambda.tf)
RUNS_PER_MONTH = 730  # the module's default schedule, rate(1 hour): 24 x 365 / 12


@dataclass(frozen=True)
class Step:
    """One piece of a job: ``seconds`` long, and a request of ``quota`` (None: no quota)."""

    seconds: float
    quota: str | None = None


@dataclass
class Quotas:
    """Request-rate quotas (name -> requests a second) and when each next admits a request."""

    per_second: Mapping[str, float]
    next_free: dict[str, float] = field(default_factory=dict)

    def admit(self, quota: str | None, at: float) -> float:
        """When a request of ``quota`` asked for at ``at`` may start."""
        if quota is None or quota not in self.per_second:
            return at
        start = max(at, self.next_free.get(quota, 0.0))
        self.next_free[quota] = start + 1.0 / self.per_second[quota]
        return start


def lay_out(jobs: Sequence[Sequence[Step]], slots: int, quotas: Quotas, start: float) -> float:
    """Run ``jobs`` in order on ``slots`` workers from ``start``, each job's steps one after
    another, a free worker taking the next job; when the last ends."""
    ready: list[tuple[float, int, int]] = []  # (when, job, next step)
    queued = iter(range(len(jobs)))
    for _ in range(min(slots, len(jobs))):
        heapq.heappush(ready, (start, next(queued), 0))
    end = start
    while ready:
        at, job, index = heapq.heappop(ready)
        if index == len(jobs[job]):
            end = max(end, at)
            following = next(queued, None)
            if following is not None:
                heapq.heappush(ready, (at, following, 0))
            continue
        step = jobs[job][index]
        begins = quotas.admit(step.quota, at)
        heapq.heappush(ready, (begins + step.seconds, job, index + 1))
    return end


@dataclass(frozen=True)
class RunWork:
    """What one run did, as the model needs it: the run's own steps before the Map (``plan``),
    each batch's (its reads, its users' jobs, its outcomes' write), the grace wait, and
    ``finish``'s (the users' retirements, then its own)."""

    plan: Sequence[Step]
    batches: Sequence[tuple[Sequence[Step], Sequence[Sequence[Step]], Sequence[Step]]]
    grace_seconds: float
    finish_users: Sequence[Sequence[Step]]
    finish_own: Sequence[Step]


def modelled_seconds(
    work: RunWork, *, user_slots: int, finish_slots: int, quotas: Mapping[str, float]
) -> float:
    """How long the run takes on AWS: its phases one after another, the batches in turn (the
    module's default runs one batch at a time), each batch's users ``user_slots`` at a time."""
    limits = Quotas(quotas)
    at = lay_out([work.plan], 1, limits, 0.0)
    for reads, users, outcomes in work.batches:
        at = lay_out([reads], 1, limits, at)
        at = lay_out(users, user_slots, limits, at)
        at = lay_out([outcomes], 1, limits, at)
    at += work.grace_seconds
    at = lay_out(work.finish_users, finish_slots, limits, at)
    return lay_out([work.finish_own], 1, limits, at)


def bound_seconds(requests: Mapping[str, int], quotas: Mapping[str, float]) -> tuple[float, str]:
    """The shortest a run can take under the request-rate quotas: its requests of the tightest
    quota at that quota's rate; and that quota's name."""
    bounds = {name: requests.get(name, 0) / rate for name, rate in quotas.items()}
    tightest = max(bounds, key=bounds.__getitem__)
    return bounds[tightest], tightest


def calls(actions: Mapping[str, int], timing: Timing, quota_of: Mapping[str, str]) -> list[Step]:
    """The steps of these calls ("service:Operation" -> how many), each a request of its quota."""
    steps = []
    for action, count in sorted(actions.items()):
        service = action.split(":", 1)[0]
        seconds = timing.call_seconds.get(service, max(timing.call_seconds.values()))
        steps += [Step(seconds, quota_of.get(action))] * count
    return steps


def dollars(
    actions: Mapping[str, int], *, transitions: int, invocations: Sequence[float], events: int
) -> float:
    """One run's bill: its state transitions, its own invocations (each that many seconds long,
    billed by the millisecond at the module's memory), Secrets Manager's calls, S3's requests and
    the per-user events. IAM and STS charge nothing."""
    billed = sum(math.ceil(seconds * 1000) / 1000 for seconds in invocations)
    s3_writes = sum(n for a, n in actions.items() if a in ("s3:PutObject", "s3:ListObjectsV2"))
    s3_reads = sum(n for a, n in actions.items() if a.startswith("s3:")) - s3_writes
    secrets = sum(n for a, n in actions.items() if a.startswith("secretsmanager:"))
    return (
        transitions * PRICES["transition"]
        + len(invocations) * PRICES["invocation"]
        + billed * LAMBDA_GB * PRICES["gb_second"]
        + secrets * PRICES["secretsmanager"]
        + s3_writes * PRICES["s3_write"]
        + s3_reads * PRICES["s3_read"]
        + events * PRICES["event"]
    )
