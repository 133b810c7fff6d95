"""The benchmark's model of a run on AWS (bench/aws_model.py), on cases small enough to lay out by
hand."""

from __future__ import annotations

import pytest

from bench.aws_model import (
    PRICES,
    Quotas,
    RunWork,
    Step,
    bound_seconds,
    dollars,
    lay_out,
    lay_out_batches,
    modelled_seconds,
    requests_by_quota,
)


def test_given_three_jobs_on_two_workers_then_the_third_starts_when_the_first_ends() -> None:
    """GIVEN three jobs of 1 s then 2 s, two workers WHEN laid out from 10 s THEN the first two
    end at 13 s, the third runs from 13 s to 16 s."""
    job = [Step(1.0), Step(2.0)]

    assert lay_out([job, job, job], 2, Quotas({}), 10.0) == pytest.approx(16.0)


def test_given_a_quota_of_two_a_second_then_four_requests_start_half_a_second_apart() -> None:
    """GIVEN four workers, each with one 0.5 s request of a quota of 2 a second WHEN laid out THEN
    they start at 0, 0.5, 1 and 1.5 s: the last ends at 2 s, not at 0.5 s."""
    job = [Step(0.5, "writes")]

    assert lay_out([job] * 4, 4, Quotas({"writes": 2.0}), 0.0) == pytest.approx(2.0)


def test_given_a_quota_spent_in_one_phase_then_the_next_phase_waits_for_it() -> None:
    """GIVEN a quota of 1 a second spent at 0 s WHEN the next phase asks at 0.2 s THEN its request
    starts at 1 s."""
    quotas = Quotas({"writes": 1.0})
    lay_out([[Step(0.1, "writes")]], 1, quotas, 0.0)

    assert lay_out([[Step(0.1, "writes")]], 1, quotas, 0.2) == pytest.approx(1.1)


def small_run(batches: int) -> RunWork:
    """plan (1 s); ``batches`` batches, each reading (0.5 s), three users of 2 s, writing its
    outcomes (0.5 s); a grace wait of 300 s; four retirements of 1 s; finish's own 1 s."""
    return RunWork(
        plan=[Step(1.0)],
        batches=[([Step(0.5)], [[Step(2.0)]] * 3, [Step(0.5)])] * batches,
        grace_seconds=300.0,
        finish_users=[[Step(1.0)]] * 4,
        finish_own=[Step(1.0)],
    )


def test_given_a_small_run_then_its_phases_follow_one_another() -> None:
    """GIVEN plan (1 s), two batches each reading (0.5 s), with three users of 2 s on two workers
    (4 s) and writing outcomes (0.5 s), a grace wait of 300 s, four retirements of 1 s on three
    workers (2 s) and finish's own 1 s WHEN modelled THEN 1 + 2 x (0.5 + 4 + 0.5) + 300 + 2 + 1."""
    seconds = modelled_seconds(small_run(2), user_slots=2, batch_slots=1, finish_slots=3, quotas={})

    assert seconds == pytest.approx(1 + 2 * (0.5 + 4 + 0.5) + 300 + 2 + 1)


def test_given_two_batch_slots_then_three_batches_take_two_batch_times() -> None:
    """GIVEN the run above with three batches and two batch slots WHEN modelled THEN the first two
    batches run side by side (0.5 + 4 + 0.5 s), the third in the slot the first frees: 1 + 2 x 5
    + 300 + 2 + 1."""
    seconds = modelled_seconds(small_run(3), user_slots=2, batch_slots=2, finish_slots=3, quotas={})

    assert seconds == pytest.approx(1 + 2 * 5 + 300 + 2 + 1)


def test_given_batches_side_by_side_then_their_requests_share_the_quota() -> None:
    """GIVEN two batches at once, each with one user whose 0.1 s request is of a quota of 1 a
    second WHEN laid out THEN the second batch's request waits for the quota: it ends at 1.1 s."""
    batch = ([Step(0.0)], [[Step(0.1, "writes")]], [Step(0.0)])

    end = lay_out_batches(
        [batch, batch], batch_slots=2, user_slots=10, quotas=Quotas({"writes": 1.0}), start=0.0
    )

    assert end == pytest.approx(1.1)


def test_a_batch_without_users_ends_after_its_reads_and_its_outcomes() -> None:
    """GIVEN a batch whose users all ended before the Map (none left) WHEN laid out THEN its reads
    and its outcomes' write follow one another."""
    end = lay_out_batches(
        [([Step(0.5)], [], [Step(0.25)])], batch_slots=1, user_slots=1, quotas=Quotas({}), start=2.0
    )

    assert end == pytest.approx(2.75)


def test_a_quotas_requests_add_up_every_operation_it_counts() -> None:
    """GIVEN 5,000 CreateAccessKey and 5,000 DeleteAccessKey, both IAM writes, and a call of no
    quota WHEN counted by quota THEN 10,000 IAM writes: the bound of a run that creates and
    deletes a key a user is twice that of one that only creates."""
    actions = {"iam:CreateAccessKey": 5000, "iam:DeleteAccessKey": 5000, "sts:GetCallerIdentity": 9}
    quota_of = {"iam:CreateAccessKey": "iam_writes", "iam:DeleteAccessKey": "iam_writes"}

    assert requests_by_quota(actions, quota_of) == {"iam_writes": 10_000}


def test_the_bound_is_the_tightest_quota_at_the_requests_made() -> None:
    """GIVEN 10,000 IAM writes at 10 a second and 10,000 secret writes at 50 WHEN bounded THEN
    1,000 s, set by the IAM writes."""
    requests = {"iam_writes": 10_000, "secret_writes": 10_000}

    bound = bound_seconds(requests, {"iam_writes": 10.0, "secret_writes": 50.0})

    assert bound == (pytest.approx(1000.0), "iam_writes")


def test_a_runs_bill_adds_each_priced_part() -> None:
    """GIVEN 1,000 transitions, two invocations of 0.5 s and 1.0001 s (billed by the
    millisecond: 1.501 s), 100 Secrets Manager calls, 10 S3 writes and 20 reads, 5 events and
    free IAM calls WHEN billed THEN each part at its list price."""
    actions = {
        "secretsmanager:PutSecretValue": 100,
        "s3:PutObject": 10,
        "s3:GetObject": 20,
        "iam:CreateAccessKey": 1_000,
    }

    bill = dollars(actions, transitions=1_000, invocations=[0.5, 1.0001], events=5)

    assert bill == pytest.approx(
        1_000 * PRICES["transition"]
        + 2 * PRICES["invocation"]
        + 1.501 * 0.25 * PRICES["gb_second"]
        + 100 * PRICES["secretsmanager"]
        + 10 * PRICES["s3_write"]
        + 20 * PRICES["s3_read"]
        + 5 * PRICES["event"]
    )
    assert bill == pytest.approx(
        0.025 + 0.0000004 + 0.00000625 + 0.0005 + 0.00005 + 0.000008 + 0.000005, rel=1e-3
    )
