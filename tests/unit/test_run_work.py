"""A benchmark run's records as the AWS model's work (bench/run_work.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from terraform.engine_actions import CLIENTS

from bench.run_work import Recorded, grouped, invocation_seconds, run_work, user_job
from testkit.aws_timing import AWS, Timing

TIMING = Timing(
    call_seconds={"iam": 0.2, "secretsmanager": 0.1, "sts": 0.05, "lambda": 0.01},
    invoke_seconds=0.01,
    cold_start_seconds=1.0,
    transition_seconds=0.1,
    child_start_seconds=0.3,
    handler_seconds=0.5,
)


def recorded(users: list[str], slots: int = 1, batches: int = 1, batch_slots: int = 1) -> Recorded:
    by_function = {}
    for user in users:
        by_function[("rotate", user, "iam:CreateAccessKey")] = 1
        by_function[("rotate", user, "secretsmanager:PutSecretValue")] = 1
        by_function[("rotate", user, "sts:GetCallerIdentity")] = 8  # 5 refused, then 3 in a row
        by_function[(None, user, "lambda:Invoke")] = 1  # the state machine invokes the handler
        by_function[(None, user, "secretsmanager:UpdateSecretVersionStage")] = 1
        by_function[("finish", user, "iam:DeleteAccessKey")] = 1
    return Recorded(
        by_function=grouped(by_function),
        users=users,
        batches=batches,
        transitions=(10, 5 * len(users)),
        slots=slots,
        batch_slots=batch_slots,
        quota_of={"iam:CreateAccessKey": "iam_writes", "iam:DeleteAccessKey": "iam_writes"},
    )


def test_a_users_job_is_its_transitions_rotate_its_waits_its_handler_and_the_confirmation() -> None:
    """GIVEN a user whose rotate created a key, wrote it and checked it 8 times WHEN the first of
    one worker's users (its functions start cold) THEN 5 transitions, a cold rotate with its
    calls, the first check's wait (5 s after the key's creation), 7 one-second waits between the
    checks, the state machine's invoke of a cold handler
    (counted once) and MarkDelivered; the key's creation is a request of the IAM writes'
    quota."""
    job = user_job(recorded(["bart"]), "bart", 0, TIMING)

    assert sum(step.seconds for step in job) == pytest.approx(
        5 * 0.1 + (0.01 + 1.0) + 0.2 + 0.1 + 8 * 0.05 + 5.0 + 7 * 1.0 + (0.5 + 1.0) + 0.01 + 0.1
    )
    assert [step.quota for step in job].count("iam_writes") == 1


def test_a_later_users_functions_are_warm() -> None:
    """GIVEN one worker WHEN the second user's job THEN its functions start warm: two cold starts
    less than the first's."""
    work = recorded(["bart", "lisa"])
    first, second = user_job(work, "bart", 0, TIMING), user_job(work, "lisa", 1, TIMING)

    assert sum(s.seconds for s in first) - sum(s.seconds for s in second) == pytest.approx(2.0)


def test_a_key_handed_off_again_waits_for_no_first_check() -> None:
    """GIVEN a user whose rotate checked a key 3 times, once a key it created and once a key
    written before (handed off again) WHEN their jobs THEN they differ by the creation's call
    (0.2 s) and the first check's wait (5 s), which only a key just created waits."""
    checks = {
        ("rotate", "bart", "sts:GetCallerIdentity"): 3,
        ("rotate", "bart", "secretsmanager:GetSecretValue"): 1,
    }
    created = {**checks, ("rotate", "bart", "iam:CreateAccessKey"): 1}
    jobs = [
        user_job(replace(recorded(["bart"]), by_function=grouped(calls)), "bart", 0, TIMING)
        for calls in (created, checks)
    ]

    new, again = (sum(step.seconds for step in job) for job in jobs)
    assert new - again == pytest.approx(0.2 + 5.0)


def test_with_two_batches_at_once_the_first_users_of_each_start_cold() -> None:
    """GIVEN four users in two batches of two, one worker per batch, two batches at once WHEN
    their jobs THEN the first user of each batch starts cold, the second of each warm."""
    work = recorded(["bart", "lisa", "maggie", "homer"], slots=1, batches=2, batch_slots=2)

    assert [work.cold(n) for n in range(4)] == [True, False, True, False]


def test_rotate_is_billed_for_its_calls_and_waits_not_for_the_handler() -> None:
    """GIVEN one user WHEN its invocations are timed THEN rotate's is its start, its calls and its
    waits; plan, the batch's two and finish come with it."""
    records = recorded(["bart"])
    seconds = invocation_seconds(
        records, run_work(records, TIMING), finish_slots=1, quotas={}, timing=TIMING
    )

    rotate = 0.01 + 1.0 + 0.2 + 0.1 + 8 * 0.05 + 5.0 + 7 * 1.0
    assert rotate in [pytest.approx(s) for s in seconds]
    assert len(seconds) == 1 + 2 + 1 + 1


def test_finish_is_billed_for_its_retirements_side_by_side_under_the_quotas() -> None:
    """GIVEN four users, each with one DeleteAccessKey (0.2 s) in finish, two at a time WHEN
    finish's invocation is timed THEN 0.4 s of retirements plus its cold start; under a quota of
    one IAM write a second THEN the four writes take 3.2 s."""
    records = recorded(["bart", "lisa", "homer", "marge"])
    work = run_work(records, TIMING)

    free = invocation_seconds(records, work, finish_slots=2, quotas={}, timing=TIMING)
    quota = {"iam_writes": 1.0}
    bound = invocation_seconds(records, work, finish_slots=2, quotas=quota, timing=TIMING)

    assert free[-1] == pytest.approx(0.4 + 0.01 + 1.0)
    assert bound[-1] == pytest.approx(3.2 + 0.01 + 1.0)


def test_the_models_default_timing_names_every_service_the_engine_calls() -> None:
    """Every service the functions have a client of (tests/terraform/engine_actions.py), and
    Lambda (the state machine's invokes), has a latency of its own in the model: a service added
    to the engine without one would take the slowest latency unnoticed."""
    services = {prefix for _, prefix in CLIENTS.values()} | {"lambda"}

    assert services <= set(AWS.call_seconds)
