"""What a benchmark run did, from the harness's records, as the AWS model's ``RunWork``.

The harness's call log names, for every AWS call, the function that made it (None: the state
machine itself) and the user it is about (None: many or none). A user's work in the Map is its
share of the child executions' state transitions, its ``rotate`` invocation with that function's
calls about the user and its waits (``first_wait`` before the first check of a key it created,
one ``INTERVAL_SECONDS`` between checks), its
handler's invocation and the state machine's ``MarkDelivered``. A batch's own work is its
``read_records`` and ``record_outcomes``, with their calls spread evenly over the batches.
``finish`` retires users ``MAX_CONCURRENCY`` at a time, then writes the summary and the events.
The first invocations of each function, one per worker that runs it at once (``slots`` users in
each of the first ``batch_slots`` batches), start cold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from credentials_rotator.aws.verification import INTERVAL_SECONDS, first_wait

from bench.aws_model import Quotas, RunWork, Step, calls, lay_out
from testkit.aws_timing import AWS, Timing

# The module's default grace wait (cleanup_wait_seconds, variables.tf): the run waits it on AWS.
GRACE_SECONDS = 300.0
# The module's default verify_new_key_timeout_seconds (variables.tf): it bounds the first wait.
VERIFY_NEW_KEY_SECONDS = 60.0
# (function, user) -> action -> calls
ByFunction = Mapping[tuple[str | None, str | None], Mapping[str, int]]


@dataclass(frozen=True)
class Recorded:
    """A run's records: its calls by (function, user) and action, its rotated users, its batches,
    its state transitions (the run's own, and its child executions'), how many workers ran each
    batch's users at once and how many batches ran at once, each quota's operations
    ("service:Operation" -> quota name), and the run's grace wait."""

    by_function: ByFunction
    users: Sequence[str]
    batches: int
    transitions: tuple[int, int]
    slots: int
    batch_slots: int
    quota_of: Mapping[str, str]
    grace_seconds: float = GRACE_SECONDS

    def cold(self, index: int) -> bool:
        """Whether the ``index``-th user's functions start cold: it is among the first ``slots``
        users of one of the first ``batch_slots`` batches."""
        per_batch = -(-len(self.users) // max(self.batches, 1))
        return index % per_batch < self.slots and index // per_batch < self.batch_slots


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
    created = checks and rotate.get("iam:CreateAccessKey", 0)
    return [
        _invocation(timing, cold),
        *calls(rotate, timing, recorded.quota_of),
        Step(first_wait(VERIFY_NEW_KEY_SECONDS) if created else 0.0),
        Step(max(checks - 1, 0) * INTERVAL_SECONDS),
    ]


def user_job(recorded: Recorded, user: str, index: int, timing: Timing = AWS) -> list[Step]:
    """One user's work in the Map: its share of the transitions, its ``rotate``, its handler (the
    state machine's invoke, among its calls about the user, and the handler's own time) and
    ``MarkDelivered``; the first users of the first batches start cold (``Recorded.cold``)."""
    cold = recorded.cold(index)
    own_transitions = recorded.transitions[1] / max(len(recorded.users), 1)
    return [
        Step(own_transitions * timing.transition_seconds),
        *_rotate(recorded, user, cold, timing),
        Step(timing.handler_seconds + (timing.cold_start_seconds if cold else 0.0)),
        *calls(_actions(recorded, None, user), timing, recorded.quota_of),
    ]


def _spread(actions: Counter[str], parts: int) -> Counter[str]:
    return Counter({action: -(-n // parts) for action, n in actions.items()})


def _own(
    recorded: Recorded, function: str, cold: bool, timing: Timing, parts: int = 1
) -> list[Step]:
    """An invocation of ``function`` with its calls about no user (spread over ``parts``)."""
    actions = _spread(_actions(recorded, function, None), parts)
    return [_invocation(timing, cold), *calls(actions, timing, recorded.quota_of)]


def run_work(recorded: Recorded, timing: Timing = AWS) -> RunWork:
    """The run's work, laid out as the model takes it: ``plan`` after the run's own transitions and
    the Map's read of the items; each batch's child starting before its ``read_records``."""
    batches = max(recorded.batches, 1)
    users = [user_job(recorded, user, n, timing) for n, user in enumerate(recorded.users)]
    per_batch = -(-len(users) // batches)
    state_machine = calls(_actions(recorded, None, None), timing, recorded.quota_of)
    return RunWork(
        plan=[
            Step(recorded.transitions[0] * timing.transition_seconds),
            *state_machine,
            *_own(recorded, "plan", True, timing),
        ],
        batches=[
            (
                [
                    Step(timing.child_start_seconds),
                    *_own(recorded, "read_records", n == 0, timing, batches),
                ],
                users[n * per_batch : (n + 1) * per_batch],
                _own(recorded, "record_outcomes", n == 0, timing, batches),
            )
            for n in range(batches)
        ],
        grace_seconds=recorded.grace_seconds,
        finish_users=[
            calls(_actions(recorded, "finish", user), timing, recorded.quota_of)
            for user in recorded.users
        ],
        finish_own=_own(recorded, "finish", True, timing),
    )


def invocation_seconds(
    recorded: Recorded,
    work: RunWork,
    *,
    finish_slots: int,
    quotas: Mapping[str, float],
    timing: Timing = AWS,
) -> list[float]:
    """How long each of the run's own invocations runs (what Lambda bills): ``plan``, each
    batch's ``read_records`` and ``record_outcomes``, each user's ``rotate``, and ``finish``
    (its retirements ``finish_slots`` at a time under the ``quotas``, then its own calls)."""
    batches = max(recorded.batches, 1)
    rotate = [
        _seconds(_rotate(recorded, user, recorded.cold(n), timing))
        for n, user in enumerate(recorded.users)
    ]
    per_batch = [
        _seconds(_own(recorded, function, n == 0, timing, batches))
        for n in range(batches)
        for function in ("read_records", "record_outcomes")
    ]
    retiring = lay_out(work.finish_users, finish_slots, Quotas(quotas), 0.0)
    finish = retiring + _seconds(work.finish_own)
    return [_seconds(_own(recorded, "plan", True, timing)), *per_batch, *rotate, finish]


def _seconds(steps: Sequence[Step]) -> float:
    return sum(step.seconds for step in steps)
