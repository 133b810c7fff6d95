"""What a benchmark run did, from the harness's records, as the AWS model's ``RunWork``.

The harness's call log names, for every AWS call, the function that made it (None: the state
machine itself) and the user it is about (None: many or none). A user's work in the Map is its
share of the child executions' state transitions, its ``rotate`` invocation with that function's
calls about the user and its waits (one ``INTERVAL_SECONDS`` between checks of a new key), its
handler's invocation and the state machine's ``MarkDelivered``. A batch's own work is its
``read_records`` and ``record_outcomes``, with their calls spread evenly over the batches.
``finish`` retires users ``MAX_CONCURRENCY`` at a time, then writes the summary and the events.
The first invocations of each function, one per worker that runs it at once, start cold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from credentials_rotator.verification import INTERVAL_SECONDS

from bench.aws_model import AWS, RunWork, Step, Timing, calls

# The module's default grace wait (cleanup_wait_seconds, variables.tf): the run waits it on AWS.
GRACE_SECONDS = 300.0
# (function, user) -> action -> calls
ByFunction = Mapping[tuple[str | None, str | None], Mapping[str, int]]


@dataclass(frozen=True)
class Recorded:
    """A run's records: its calls by (function, user) and action, its rotated users, its batches,
    its state transitions (the run's own, and its child executions'), how many workers ran users
    at once, and each quota's operations ("service:Operation" -> quota name)."""

    by_function: ByFunction
    users: Sequence[str]
    batches: int
    transitions: tuple[int, int]
    slots: int
    quota_of: Mapping[str, str]


def grouped(by_function: Mapping[tuple[str | None, str | None, str], int]) -> ByFunction:
    """The harness's calls by (function, user, action), grouped by (function, user)."""
    groups: dict[tuple[str | None, str | None], Counter[str]] = {}
    for (function, user, action), n in by_function.items():
        groups.setdefault((function, user), Counter())[action] += n
    return groups


def _actions(recorded: Recorded, function: str | None, user: str | None) -> Counter[str]:
    return Counter(recorded.by_function.get((function, user), {}))


def _invocation(timing: Timing, cold: bool) -> Step:
    return Step(timing.invoke_seconds + (timing.cold_start_seconds if cold else 0.0))


def _rotate(recorded: Recorded, user: str, cold: bool, timing: Timing) -> list[Step]:
    """The user's ``rotate`` invocation: its start, its calls about the user, its waits."""
    rotate = _actions(recorded, "rotate", user)
    checks = rotate.get("sts:GetCallerIdentity", 0)
    return [
        _invocation(timing, cold),
        *calls(rotate, timing, recorded.quota_of),
        Step(max(checks - 1, 0) * INTERVAL_SECONDS),
    ]


def user_job(recorded: Recorded, user: str, index: int, timing: Timing = AWS) -> list[Step]:
    """One user's work in the Map; the first ``slots`` users' functions start cold."""
    cold = index < recorded.slots
    own_transitions = recorded.transitions[1] / max(len(recorded.users), 1)
    return [
        Step(own_transitions * timing.transition_seconds),
        *_rotate(recorded, user, cold, timing),
        Step(_invocation(timing, cold).seconds + timing.handler_seconds),
        *calls(_actions(recorded, None, user), timing, recorded.quota_of),
    ]


def _spread(actions: Counter[str], parts: int) -> Counter[str]:
    return Counter({action: -(-n // parts) for action, n in actions.items()})


def run_work(recorded: Recorded, timing: Timing = AWS) -> RunWork:
    """The run's work, laid out as the model takes it."""
    quota_of, batches = recorded.quota_of, max(recorded.batches, 1)
    users = [user_job(recorded, user, n, timing) for n, user in enumerate(recorded.users)]
    per_batch = -(-len(users) // batches)
    reads = _spread(_actions(recorded, "read_records", None), batches)
    writes = _spread(_actions(recorded, "record_outcomes", None), batches)
    plan = [
        _invocation(timing, True),
        Step(recorded.transitions[0] * timing.transition_seconds),
        *calls(_actions(recorded, "plan", None) + _actions(recorded, None, None), timing, quota_of),
    ]
    return RunWork(
        plan=plan,
        batches=[
            (
                [
                    Step(timing.child_start_seconds),
                    _invocation(timing, n == 0),
                    *calls(reads, timing, quota_of),
                ],
                users[n * per_batch : (n + 1) * per_batch],
                [_invocation(timing, n == 0), *calls(writes, timing, quota_of)],
            )
            for n in range(batches)
        ],
        grace_seconds=GRACE_SECONDS,
        finish_users=[
            calls(_actions(recorded, "finish", user), timing, quota_of) for user in recorded.users
        ],
        finish_own=[
            _invocation(timing, True),
            *calls(_actions(recorded, "finish", None), timing, quota_of),
        ],
    )


def invocation_seconds(recorded: Recorded, work: RunWork, timing: Timing = AWS) -> list[float]:
    """How long each of the run's own invocations runs (what Lambda bills): ``plan``, each
    batch's two, each user's ``rotate`` and ``finish``."""
    rotate = [
        _seconds(_rotate(recorded, user, n < recorded.slots, timing))
        for n, user in enumerate(recorded.users)
    ]
    batches = [_seconds(part) for reads, _, outcomes in work.batches for part in (reads, outcomes)]
    finish = _seconds(work.finish_own) + sum(_seconds(job) for job in work.finish_users)
    return [_seconds(work.plan), *batches, *rotate, finish]


def _seconds(steps: Sequence[Step]) -> float:
    return sum(step.seconds for step in steps)
