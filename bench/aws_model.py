"""A run's duration and bill on AWS, modelled from the work the run did in moto.

moto answers every call at once and runs Lambda in this process; its wall time stands for nothing on
AWS. The model takes what the benchmark's run recorded (every AWS call, by function and user; each
user's waits; the invocations and state transitions of the execution histories) and lays it out on
AWS's timing (``testkit.aws_timing``, which the test world's calls take too): a discrete-event
simulation of the run's phases, each user's work on the Map's concurrency, every call subject to the
request-rate quotas. Every number of ``AWS`` and ``PRICES`` names its source in docs/aws-limits.md
("The timing model"); where AWS publishes none, the source says so and what the figure rests on.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from testkit.aws_timing import Timing

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


# A batch: its reads, its users' jobs, its outcomes' write.
Batch = tuple[Sequence[Step], Sequence[Sequence[Step]], Sequence[Step]]


@dataclass(frozen=True)
class RunWork:
    """What one run did, as the model needs it: the run's own steps before the Map (``plan``),
    each batch's (its reads, its users' jobs, its outcomes' write), the grace wait, and
    ``finish``'s (the users' retirements, then its own)."""

    plan: Sequence[Step]
    batches: Sequence[Batch]
    grace_seconds: float
    finish_users: Sequence[Sequence[Step]]
    finish_own: Sequence[Step]


def lay_out_batches(
    batches: Sequence[Batch], *, batch_slots: int, user_slots: int, quotas: Quotas, start: float
) -> float:
    """Run ``batches`` in order, ``batch_slots`` at a time from ``start`` (the Distributed Map's
    child executions), each its reads, then its users ``user_slots`` at a time (its inline Map),
    then its outcomes' write; a batch's slot takes the next batch when it ends. When the last
    ends. Every batch's requests share the quotas."""
    phases = [
        [([reads], 1), (users, user_slots), ([outcomes], 1)] for reads, users, outcomes in batches
    ]
    # batch -> [its phase, the phase's next job, its jobs running]
    progress: dict[int, list[int]] = {}
    events: list[
        tuple[float, int, int, Sequence[Step], int]
    ] = []  # (when, order, batch, job, step)
    order = itertools.count()
    waiting = iter(range(len(batches)))
    end = start

    def launch(batch: int, at: float) -> None:
        phase, job, _ = progress[batch]
        progress[batch][1:] = [job + 1, progress[batch][2] + 1]
        heapq.heappush(events, (at, next(order), batch, phases[batch][phase][0][job], 0))

    def begin(batch: int, phase: int, at: float) -> None:
        nonlocal end
        while phase < len(phases[batch]) and not phases[batch][phase][0]:
            phase += 1
        progress[batch] = [phase, 0, 0]
        if phase == len(phases[batch]):
            end = max(end, at)
            following = next(waiting, None)
            if following is not None:
                begin(following, 0, at)
            return
        jobs, slots = phases[batch][phase]
        for _ in range(min(slots, len(jobs))):
            launch(batch, at)

    for _ in range(min(batch_slots, len(batches))):
        begin(next(waiting), 0, start)
    while events:
        at, _, batch, job, index = heapq.heappop(events)
        if index < len(job):
            begins = quotas.admit(job[index].quota, at)
            heapq.heappush(
                events, (begins + job[index].seconds, next(order), batch, job, index + 1)
            )
            continue
        phase, started, _ = progress[batch]
        progress[batch][2] -= 1
        if started < len(phases[batch][phase][0]):
            launch(batch, at)
        elif progress[batch][2] == 0:
            begin(batch, phase + 1, at)
    return end


def modelled_seconds(
    work: RunWork,
    *,
    user_slots: int,
    batch_slots: int,
    finish_slots: int,
    quotas: Mapping[str, float],
) -> float:
    """How long the run takes on AWS: its phases one after another; in the Map, ``batch_slots``
    batches at a time, each batch's users ``user_slots`` at a time (``lay_out_batches``)."""
    limits = Quotas(quotas)
    at = lay_out([work.plan], 1, limits, 0.0)
    at = lay_out_batches(
        work.batches, batch_slots=batch_slots, user_slots=user_slots, quotas=limits, start=at
    )
    at += work.grace_seconds
    at = lay_out(work.finish_users, finish_slots, limits, at)
    return lay_out([work.finish_own], 1, limits, at)


def requests_by_quota(actions: Mapping[str, int], quota_of: Mapping[str, str]) -> Counter[str]:
    """The run's requests of each quota: its calls ("service:Operation" -> how many) summed over
    the operations that quota counts."""
    requests: Counter[str] = Counter()
    for action, count in actions.items():
        if action in quota_of:
            requests[quota_of[action]] += count
    return requests


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
