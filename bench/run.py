"""`make bench`: rotate N users in one run, for several N, on an emulator; write bench/results.json.

Not a test. For each N it deploys the rotator in moto, in-process (the state machine rendered from
step_function.asl.json.tpl exactly as the module renders it, executed by moto; the Lambda handlers
run in this process through the workflow harness, testkit/harness.py), gives N IAM users a
delivered key each, and times one run with cleanup_wait_seconds = 0. Then it checks that every user
was rotated: one Active key each, the one its handler read, every user handed off exactly once.
Each row says which checks its run made (CHECKED_ROWS): the rows of SIZES make none and measure
the rotation's own budget; the others add the module's default checks.

The throttled row rotates THROTTLED_USERS users while moto throttles every request above AWS's
request-rate quotas (THROTTLED_QUOTAS; testkit/throttle_faults.py), and records the users rotated a
second against the rate the tightest quota allows at the requests a user took.

What it counts, and where from:
- AWS API calls: a botocore ``before-call`` hook on the session that makes every client of the
  run, the functions' and the ones Step Functions uses for its tasks (Lambda invokes, the
  MarkDelivered call, the Distributed Map's S3 read), the per-user events' ``PutEvents`` included
  (events on, to the default bus, as the module's default). The rotator's own Lambda invocations
  are not counted as API calls: they are the next figure. The test handler's own reads of its
  secret are not counted either: they are the user's code.
- Own Lambda invocations: the Lambda tasks of the execution histories (the run's and its child
  executions') that invoke plan, rotate, roll_back or finish, retries included.
- State transitions: the states entered in those histories.

moto keeps no history for a Distributed Map's child executions; the harness records their events
as they happen (``Harness.child_history``). And moto's Secrets Manager finds a secret by scanning
every secret, so each call costs time in proportion to the number of users, which AWS does not
do: the harness gives moto's store an index (``harness.index_moto_secrets``; the same answers), so
that the times measure the rotator rather than that scan. For the same reason the seeded emulator
state is frozen out of Python's garbage collector (``gc.freeze``) before the run starts.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from testkit.engine_environment import ENGINE_ENVIRONMENT, FAKE_AWS

os.environ.update(ENGINE_ENVIRONMENT)  # the functions read it when they are imported

import moto
import pytest
from credentials_rotator import clients, config

from testkit.harness import HARNESS_AGENT, Harness, deployed
from testkit.throttle_faults import RateQuota, RateQuotas

REPO = Path(__file__).resolve().parent.parent

SIZES = (10, 100, 500, 1000, 5000)
# The checks a run can make per user, as (verify_new_key, in_use_key_action). The rows of SIZES
# make neither (verify_new_key = false, in_use_key_action = "retire"): the rotation itself, whose
# budget is 5.2 calls per user. CHECKED_ROWS add them: the module's defaults (the new key proven
# with three sts:GetCallerIdentity, the previous key's last use asked before it is retired), and
# the last-use question alone. The waits between the checks of a new key are not slept (the
# harness's virtual clock), so wall times compare with the unchecked rows only in their calls.
UNCHECKED = (False, "retire")
CHECKED_ROWS = ((100, (True, "defer")), (1000, (True, "defer")), (1000, (False, "defer")))
VERIFY_SECONDS = "60"
MAX_CONCURRENCY = 10  # the module's default
BATCH_SIZE = 60  # the module's (state_machine.tf)
RESULTS = REPO / "bench" / "results.json"
THROTTLED_USERS = 1000
# AWS's request-rate quotas the throttled row enforces, per Region and second, on the requests
# every user of a run costs (services as in their endpoints).
THROTTLED_QUOTAS = (
    # AWS documents no rate for IAM; 10 mutating requests a second is a conservative figure, well
    # below what accounts observe before IAM answers Throttling.
    RateQuota(
        "iam_writes",
        10.0,
        frozenset(
            ("iam", operation)
            for operation in ("CreateAccessKey", "DeleteAccessKey", "UpdateAccessKey")
        ),
    ),
    # Secrets Manager: PutSecretValue and UpdateSecretVersionStage (with UpdateSecret and the
    # replication calls) share 50 requests a second (its quotas page, not adjustable).
    RateQuota(
        "secret_writes",
        50.0,
        frozenset(
            ("secretsmanager", operation)
            for operation in ("PutSecretValue", "UpdateSecretVersionStage")
        ),
    ),
    # Lambda: invocation requests up to 10 times the concurrency quota (1,000 by default).
    RateQuota("lambda_invokes", 10_000.0, frozenset({("lambda", "Invoke")})),
)

# The original design, the CDK construct this module replaces, per user, from its structure rather
# than measured (the README's "Cost of a run" gives the derivation): one execution per user started
# by an event handler Lambda; rotator, the user's handler, a wait, cleanup.
SEED_DESIGN_PER_USER = {
    # StartExecution; rotator: ListAccessKeys, CreateAccessKey, DeleteSecret (force), CreateSecret;
    # Invoke of the user's handler; cleanup: ListAccessKeys, DeleteAccessKey, DeleteSecret (force)
    "api_calls": 9,
    # rotator and cleanup (the event handler runs once per run, not per user)
    "own_lambda_invocations": 2,
    # RotateCredentials, HandleCredentials, Wait, CleanUp
    "state_transitions": 4,
}


def engine_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the workflow tests' ``engine_env`` fixture sets: the engine's variables, fake
    credentials, and no endpoint or profile that could reach a real account."""
    for name, value in {**ENGINE_ENVIRONMENT, **FAKE_AWS}.items():
        monkeypatch.setenv(name, value)
    for name in list(os.environ):
        if name == "AWS_PROFILE" or name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    # fresh clients and configuration, made inside this N's mock and hooked by its call log
    clients.clear_cache()
    config.load.cache_clear()


def seed(world: Harness, users: list[str]) -> dict[str, str]:
    """Each user with one Active key, recorded in its secret as delivered (a past run's state);
    the users parameter lists them. Returns user -> its delivered key id. Not counted."""
    world.configure_users(*users, create=True)
    delivered = {}
    for user in users:
        key = world.iam.create_access_key(UserName=user)["AccessKey"]
        world.secretsmanager.create_secret(
            Name=world.secret_name(user),
            SecretString=json.dumps(
                {
                    "UserName": user,
                    "AccessKeyId": key["AccessKeyId"],
                    "Status": key["Status"],
                    "SecretAccessKey": key["SecretAccessKey"],
                    "CreateDate": key["CreateDate"].isoformat(),
                }
            ),
        )
        delivered[user] = key["AccessKeyId"]
    return delivered


def own_invocations(events: list[dict[str, Any]], own: set[str]) -> int:
    count = 0
    for event in events:
        details = event.get("taskScheduledEventDetails")
        if details and details.get("resourceType") == "lambda":
            parameters = json.loads(details.get("parameters") or "{}")
            if str(parameters.get("FunctionName", "")).rsplit(":", 1)[-1] in own:
                count += 1
    return count


def transitions(events: list[dict[str, Any]]) -> int:
    return sum(1 for event in events if str(event.get("type", "")).endswith("StateEntered"))


def check(world: Harness, delivered: dict[str, str], summary: dict[str, Any]) -> int:
    """Every user the run does not report failed was rotated: one Active key, the one its handler
    read, handed off exactly once. Returns how many were rotated."""
    failed = {entry["username"] for entry in summary["failed"]}
    handed = Counter(delivery.username for delivery in world.consumer.deliveries)
    problems = [user for user in delivered if handed[user] != 1 and user not in failed]
    for delivery in world.consumer.deliveries:
        keys = world.keys(delivery.username)
        if keys != {delivery.read_key_id: "Active"} or delivered[delivery.username] in keys:
            problems.append(delivery.username)
    if problems:
        raise SystemExit(f"run broke an invariant for {len(problems)} users: {problems[:5]}")
    return int(summary["counts"]["rotated"])


def bench(
    size: int, quotas: tuple[RateQuota, ...] = (), *, checks: tuple[bool, str] = UNCHECKED
) -> dict[str, Any]:
    """One run of ``size`` users; with ``quotas``, AWS's request rates are enforced on it;
    ``checks``: (verify_new_key, in_use_key_action)."""
    verify, in_use = checks
    monkeypatch = pytest.MonkeyPatch()
    try:
        engine_environment(monkeypatch)
        # Authorization is left out: the benchmark counts the engine's calls, and lists more users
        # than a deployed module may (they would be selected by path in an account this size).
        with deployed(monkeypatch, authorize=False) as world:
            # The module's defaults, as state_machine.tf and lambda.tf pass them on.
            user_concurrency = min(MAX_CONCURRENCY, BATCH_SIZE)
            world.template_overrides = {
                "user_concurrency": user_concurrency,
                "batch_concurrency": max(1, MAX_CONCURRENCY // user_concurrency),
            }
            world.set_engine_variable("MAX_CONCURRENCY", str(MAX_CONCURRENCY))
            world.set_engine_variable("BATCH_SIZE", str(BATCH_SIZE))
            world.set_engine_variable("VERIFY_NEW_KEY_SECONDS", VERIFY_SECONDS if verify else "")
            world.set_engine_variable("IN_USE_KEY_ACTION", in_use)
            users = [f"bench-user-{n:05d}" for n in range(size)]
            delivered = seed(world, users)
            world.calls.reset()
            # The seeded emulator state lives as long as the run: keep Python's collector from
            # scanning it again and again (it would charge the run for the emulator's size).
            gc.collect()
            gc.freeze()
            limiter = RateQuotas(quotas, spare_agent=HARNESS_AGENT)
            if quotas:
                limiter.install(monkeypatch)

            started = time.monotonic()
            run = world.wait(world.start(cleanup_wait_seconds=0), timeout=3600)
            wall = time.monotonic() - started

            if run.status != "SUCCEEDED" and not quotas:
                raise SystemExit(f"the run of {size} users ended {run.status}: {run.cause}")
            rotated = check(world, delivered, run.summary)
            if quotas:
                return throttled_row(size, rotated, wall, run.summary, limiter)
            events = world.history(run.arn) + world.child_history(run.arn)
            own = {name for key, name in world.functions.items() if key != "credentials_handler"}
            invocations = own_invocations(events, own)
            if invocations != world.calls.own_invocations:
                raise SystemExit("the histories and the call hook disagree on our invocations")
            calls = dict(sorted(world.calls.actions.items()))
            return {
                "users": size,
                "verify_new_key": verify,
                "in_use_key_action": in_use,
                "rotated": rotated,
                "wall_s": round(wall, 2),
                "api_calls_per_user": round(sum(calls.values()) / rotated, 3),
                "api_calls_by_operation": calls,
                "own_lambda_invocations_per_user": round(invocations / rotated, 3),
                "state_transitions_per_user": round(transitions(events) / rotated, 3),
            }
    finally:
        monkeypatch.undo()
        gc.unfreeze()


def throttled_row(
    size: int, rotated: int, wall: float, summary: dict[str, Any], limiter: RateQuotas
) -> dict[str, Any]:
    """The throttled run's figures: its rate, and the rate the tightest quota allows at the
    requests per user it took (each quota's requests that passed, per rotated user)."""
    per_user = {q.name: limiter.passed[q.name] / max(rotated, 1) for q in limiter.quotas}
    bounds = {q.name: q.per_second / per_user[q.name] for q in limiter.quotas if per_user[q.name]}
    tightest = min(bounds, key=bounds.__getitem__)
    users_per_s = rotated / wall
    return {
        "users": size,
        "rotated": rotated,
        "failed": int(summary["counts"]["failed"]),
        "wall_s": round(wall, 2),
        "users_per_s": round(users_per_s, 2),
        "bound_users_per_s": round(bounds[tightest], 2),
        "tightest_quota": tightest,
        "throughput_ratio": round(users_per_s / bounds[tightest], 3),
        "quotas_per_s": {q.name: q.per_second for q in limiter.quotas},
        "requests_per_user": {name: round(value, 3) for name, value in per_user.items()},
        "throttled_requests": dict(sorted(limiter.throttled.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default=",".join(map(str, SIZES)), help="comma-separated N")
    parser.add_argument(
        "--no-checked-rows", action="store_true", help="only the rows without the checks"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--throttled-users",
        type=int,
        default=THROTTLED_USERS,
        help="users of the throttled row (0: no throttled row)",
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.users.split(",")]
    # The engine's log lines (one per key created, stored, retired) are not what is measured.
    os.environ["LOG_LEVEL"] = "WARNING"
    # moto's Map workers recurse once per item they process: a deep stack for 250 batches.
    sys.setrecursionlimit(20_000)
    threading.stack_size(256 * 1024 * 1024)

    emulator = f"moto {moto.__version__}, in-process"
    print(f"emulator: {emulator}; max_concurrency {MAX_CONCURRENCY}, batches of {BATCH_SIZE}")
    print(f"{'users':>6} {'rotated':>8} {'wall s':>8} {'calls/user':>11} {'invocations/user':>17} "
          f"{'transitions/user':>17}")  # fmt: skip
    rows = [(n, UNCHECKED) for n in sizes] + ([] if args.no_checked_rows else list(CHECKED_ROWS))
    runs = []
    for size, checks in rows:
        row = bench(size, checks=checks)
        runs.append(row)
        print(
            f"{row['users']:>6} {row['rotated']:>8} {row['wall_s']:>8.1f} "
            f"{row['api_calls_per_user']:>11.3f} {row['own_lambda_invocations_per_user']:>17.3f} "
            f"{row['state_transitions_per_user']:>17.3f}  verify_new_key={checks[0]}, "
            f"in_use_key_action={checks[1]}",
            flush=True,
        )
    results: dict[str, Any] = {"emulator": emulator, "runs": runs}
    if args.throttled_users:
        throttled = bench(args.throttled_users, THROTTLED_QUOTAS)
        results["throttled"] = throttled
        print(
            f"throttled: {throttled['users']} users, {throttled['failed']} failed, "
            f"{throttled['users_per_s']} users/s of {throttled['bound_users_per_s']} the "
            f"{throttled['tightest_quota']} quota allows: ratio {throttled['throughput_ratio']}",
            flush=True,
        )
    results["seed_design_per_user"] = SEED_DESIGN_PER_USER
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    walls = {
        row["users"]: row["wall_s"]
        for row in runs
        if (row["verify_new_key"], row["in_use_key_action"]) == UNCHECKED
    }
    if 500 in walls and 5000 in walls:
        print(f"T(5000)/T(500) = {walls[5000] / walls[500]:.2f}")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
