"""`make bench`: rotate N users in one run, for several N, on an emulator; write bench/results.json.

Not a test. For each N it deploys the rotator in moto, in-process (the state machine rendered from
step_function.asl.json.tpl exactly as the module renders it, executed by moto; the Lambda handlers
run in this process through the workflow harness, testkit/harness.py), gives N IAM users a
delivered key each, and times one run with cleanup_wait_seconds = 0. Then it checks that every user
was rotated: one Active key each, the one its handler read, every user handed off exactly once.
Each row says which checks its run made (CHECKED_ROWS): the rows of SIZES make none and measure
the rotation's own budget; the others add the module's default checks. PROPAGATION_ROW runs the
module's defaults at 5,000 users with each new key refused for its first seconds, as AWS does.
Every row also gives the run on AWS's clock and bill (bench/aws_model.py): its modelled minutes,
the minutes the tightest request-rate quota allows at the requests it made, and its dollars per
run and per month at the default schedule.

The multi-account row rotates MULTI_ACCOUNT_USERS users spread evenly over MEMBER_ACCOUNTS member
accounts (none in the hub), each listed in the users parameter with its ``accountId``, each account
with the member role (``testkit.member_accounts``); moto's AssumeRole refuses a role that does not
exist, as AWS does (``testkit.world.patches.assume_role_as_aws``). It measures what a member user
costs on top of a hub user: the ``sts:AssumeRole`` of each account's role, counted with the other
calls.

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
- Execution environments: the harness runs every invocation in this one process, where one cache
  of assumed-role credentials (``credentials_rotator.aws.clients``) would serve every invocation of
  every function. Lambda runs each function in environments of its own, one per invocation in
  flight, and reuses a free one for the next: each environment assumes a member role once. The
  benchmark gives each invocation such an environment (``ExecutionEnvironments``), so AssumeRole
  is counted as often as Lambda's environments would call it, not once per process.

moto keeps no history for a Distributed Map's child executions; the harness records their events
as they happen (``Harness.child_history``). And moto's Secrets Manager finds a secret by scanning
every secret, so each call costs time in proportion to the number of users, which AWS does not
do: the harness gives moto's store an index (``testkit.world.patches.secrets_found_by_key``; the
same answers), so that the times measure the rotator rather than that scan. For the same reason
the seeded emulator state is frozen out of Python's garbage collector (``gc.freeze``) before the
run starts.
"""

from __future__ import annotations

import argparse
import contextvars
import gc
import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from testkit.engine_environment import ENGINE_ENVIRONMENT, FAKE_AWS, MODULE_SETTINGS

os.environ.update(ENGINE_ENVIRONMENT)  # the functions read it when they are imported

import boto3
import moto
import pytest
from credentials_rotator.aws import clients
from credentials_rotator.settings import config

from bench import aws_model
from bench.run_work import Recorded, grouped, invocation_seconds, run_work
from testkit.harness import Harness, deployed
from testkit.member_accounts import create_member_role
from testkit.throttle_faults import RateQuota, RateQuotas
from testkit.world.patches import assume_role_as_aws
from testkit.world.setting import HARNESS_AGENT, HARNESS_CLIENTS, REGION

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
# The module's defaults at 5,000 users with each new key refused for its first seconds, as AWS
# refuses it (public reports: 3 to 15 s; AWS gives no figure; docs/aws-limits.md).
PROPAGATION_ROW = (5000, (True, "defer"), 5.0)
# The module's defaults, as settings.tf renders them (tests/fixtures/settings.json): the new key's
# time limit, the last-use delay (a run's finish leaves each previous key for a later run to
# judge), the users at once, the batches' size, the grace wait (cleanup_wait_seconds).
VERIFY_SECONDS = MODULE_SETTINGS["verify_new_key_seconds"]
LAST_USE_DELAY_SECONDS = MODULE_SETTINGS["last_use_delay_seconds"]
MAX_CONCURRENCY = MODULE_SETTINGS["max_concurrency"]
BATCH_SIZE = MODULE_SETTINGS["batch_size"]
GRACE_WAIT_SECONDS = float(MODULE_SETTINGS["grace_wait_seconds"])
USERS_AT_ONCE_PER_BATCH = 20  # the module's (state_machine.tf)
# Whether a later run judges the previous keys, as settings.tf renders it for each
# in_use_key_action of the rows with the module's last-use delay (tests/settings.tftest.hcl).
JUDGED_LATER = {"defer": True, "retire": False}
RESULTS = REPO / "bench" / "results.json"
# The multi-account row: this many users, spread evenly over this many member accounts (12-digit
# ids, none the hub's), the same user names in every account.
MULTI_ACCOUNT_USERS = 1000
MEMBER_ACCOUNTS = 10
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


def concurrency(max_concurrency: int) -> tuple[int, int]:
    """Users at once in each batch, and batches at once, as state_machine.tf divides
    ``max_concurrency``: as few batches as ``USERS_AT_ONCE_PER_BATCH`` allows, an equal share
    each."""
    batches = -(-max_concurrency // USERS_AT_ONCE_PER_BATCH)
    return max_concurrency // batches, batches


def row_settings(verify: bool, in_use: str) -> dict[str, Any]:
    """The engine's settings in a row: the module's defaults, the new key checked or not, and
    ``in_use`` for in_use_key_action."""
    return {
        "max_concurrency": MAX_CONCURRENCY,
        "batch_size": BATCH_SIZE,
        "verify_new_key_seconds": VERIFY_SECONDS if verify else None,
        "in_use_key_action": in_use,
        "last_use_delay_seconds": LAST_USE_DELAY_SECONDS,
        "previous_keys_judged_later": JUDGED_LATER[in_use],
    }


def grace_wait_seconds(settings: config.Config) -> float:
    """The run's grace wait on AWS with these settings of the engine: none when a later run judges
    the previous keys (``Config.previous_keys_judged_later``, as state_machine.tf renders it)."""
    return 0.0 if settings.previous_keys_judged_later else GRACE_WAIT_SECONDS


def modelled(world: Harness, run_arn: str, users: list[str]) -> dict[str, Any]:
    """The run on AWS's clock and bill (bench/aws_model.py): how long it takes, how long the
    tightest request-rate quota lets it take at the requests it made, what it costs."""
    quota_of = {f"{s}:{o}": q.name for q in THROTTLED_QUOTAS for s, o in q.operations}
    quotas = {q.name: q.per_second for q in THROTTLED_QUOTAS}
    parent, children = world.history(run_arn), world.child_history(run_arn)
    recorded = Recorded(
        by_function=grouped(world.calls.by_function),
        users=users,
        batches=-(-len(users) // BATCH_SIZE),
        transitions=(transitions(parent), transitions(children)),
        slots=concurrency(MAX_CONCURRENCY)[0],
        batch_slots=concurrency(MAX_CONCURRENCY)[1],
        quota_of=quota_of,
        grace_seconds=grace_wait_seconds(config.load()),
    )
    work = run_work(recorded)
    seconds = aws_model.modelled_seconds(
        work,
        user_slots=recorded.slots,
        batch_slots=recorded.batch_slots,
        finish_slots=MAX_CONCURRENCY,
        quotas=quotas,
    )
    requests = aws_model.requests_by_quota(world.calls.actions, quota_of)
    bound, tightest = aws_model.bound_seconds(requests, quotas)
    per_run = aws_model.dollars(
        world.calls.actions,
        transitions=sum(recorded.transitions),
        invocations=invocation_seconds(recorded, work, finish_slots=MAX_CONCURRENCY, quotas=quotas),
        events=len(users),
    )
    return {
        "modelled_minutes": round(seconds / 60, 1),
        "bound_minutes": round(bound / 60, 1),
        "tightest_quota": tightest,
        "dollars_per_run": round(per_run, 4),
        "dollars_per_month": round(per_run * aws_model.RUNS_PER_MONTH, 2),
    }


def check(
    world: Harness, delivered: dict[str, str], summary: dict[str, Any], *, previous_stays: bool
) -> int:
    """Every user the run does not report failed was rotated: the one Active key its handler
    read, and the delivered one when ``previous_stays`` (left for a later run to judge), handed
    off exactly once. Returns how many were rotated."""
    failed = {entry["username"] for entry in summary["failed"]}
    handed = Counter(delivery.username for delivery in world.consumer.deliveries)
    problems = [user for user in delivered if handed[user] != 1 and user not in failed]
    for delivery in world.consumer.deliveries:
        expected = {delivery.read_key_id: "Active"}
        if previous_stays:
            expected[delivered[delivery.username]] = "Active"
        if world.keys(delivery.username) != expected:
            problems.append(delivery.username)
    if problems:
        raise SystemExit(f"run broke an invariant for {len(problems)} users: {problems[:5]}")
    return int(summary["counts"]["rotated"])


def member_accounts(count: int) -> list[str]:
    """``count`` member account ids, none the hub's (testkit.harness.ACCOUNT)."""
    return [f"2222{n:08d}" for n in range(1, count + 1)]


def member_client(account_id: str, service: str) -> Any:
    """A client acting in ``account_id`` as the harness's own clients do: not on the session whose
    calls are counted (testkit.member_accounts.client_in is), so checking costs the run nothing."""
    made = boto3.Session(region_name=REGION).client(service, config=HARNESS_CLIENTS)  # type: ignore[call-overload]

    def to_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account_id

    made.meta.events.register("before-sign", to_account)
    return made


def seed_members(world: Harness, accounts: list[str], per_account: int) -> dict[str, str]:
    """``per_account`` users in each member account, each with one Active key recorded in its
    secret in the hub (``<prefix><account_id>/<username>``) as delivered; the member role in each
    account; the users parameter lists them with their ``accountId``. Returns the rotator's name
    of each user (``<account_id>/<username>``) -> its delivered key id. Not counted."""
    entries: list[dict[str, Any]] = []
    delivered = {}
    for account_id in accounts:
        create_member_role(account_id)
        iam = member_client(account_id, "iam")
        for n in range(per_account):
            user = f"bench-user-{n:05d}"
            iam.create_user(UserName=user)
            key = iam.create_access_key(UserName=user)["AccessKey"]
            name = f"{account_id}/{user}"
            world.secretsmanager.create_secret(
                Name=world.secret_name(name),
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
            entries.append({"username": user, "accountId": account_id})
            delivered[name] = key["AccessKeyId"]
    world.configure_users(*entries, create=False)
    return delivered


def check_members(world: Harness, delivered: dict[str, str], summary: dict[str, Any]) -> int:
    """``check`` for member users: each was handed off once, with the ``accountId`` of its
    account, and holds one Active key in that account, the one its handler read."""
    failed = {entry["username"] for entry in summary["failed"]}
    handed = Counter(
        f"{delivery.payload['accountId']}/{delivery.username}"
        for delivery in world.consumer.deliveries
    )
    problems = [user for user in delivered if handed[user] != 1 and user not in failed]
    iams = {
        account_id: member_client(account_id, "iam")
        for account_id in {name.split("/", 1)[0] for name in delivered}
    }
    for delivery in world.consumer.deliveries:
        account_id = delivery.payload["accountId"]
        name = f"{account_id}/{delivery.username}"
        listed = iams[account_id].list_access_keys(UserName=delivery.username)
        keys = {k["AccessKeyId"]: k["Status"] for k in listed["AccessKeyMetadata"]}
        if keys != {delivery.read_key_id: "Active"} or delivered[name] in keys:
            problems.append(name)
    if problems:
        raise SystemExit(f"run broke an invariant for {len(problems)} users: {problems[:5]}")
    return int(summary["counts"]["rotated"])


class ExecutionEnvironments:
    """Lambda's execution environments for what a process keeps between invocations: the member
    roles' credentials (``credentials_rotator.aws.clients._assumed``).

    An invocation of a function runs in a free environment of that function, or in a new one when
    every one is busy, as Lambda does; each environment has its own cache of assumed-role clients,
    so each one assumes a member role the first time it acts in that role's account. Without this
    the harness's one process would assume each role once for every function and invocation.
    """

    def __init__(self) -> None:
        self._free: dict[str, list[dict[Any, Any]]] = {}
        self._lock = threading.Lock()
        self.made: Counter[str] = Counter()  # function -> environments made
        self.assumed: Counter[str] = Counter()  # function -> roles assumed
        self.current: contextvars.ContextVar[tuple[str, dict[Any, Any]] | None] = (
            contextvars.ContextVar("environment", default=None)
        )
        self.outside: dict[Any, Any] = {}  # a cache for calls outside any invocation

    def install(self, world: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        invoke = world.invoke

        def in_environment(function_name: str, body: Any, response_headers: Any) -> bytes:
            function = world.function_keys[function_name]
            with self._lock:
                free = self._free.setdefault(function, [])
                cache = free.pop() if free else None
                if cache is None:
                    cache = {}
                    self.made[function] += 1
            token = self.current.set((function, cache))
            try:
                return invoke(function_name, body, response_headers)
            finally:
                self.current.reset(token)
                with self._lock:
                    self._free[function].append(cache)

        monkeypatch.setattr(world, "invoke", in_environment)
        monkeypatch.setattr(clients, "_assumed", _EnvironmentCache(self))

    def cache(self) -> dict[Any, Any]:
        current = self.current.get()
        return self.outside if current is None else current[1]

    def count_assumed(self) -> None:
        current = self.current.get()
        self.assumed["(none)" if current is None else current[0]] += 1


class _EnvironmentCache(MutableMapping[Any, Any]):
    """``clients._assumed`` as the invocation's environment sees it."""

    def __init__(self, environments: ExecutionEnvironments) -> None:
        self.environments = environments

    def __getitem__(self, key: Any) -> Any:
        return self.environments.cache()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self.environments.count_assumed()  # clients sets an entry for each role it assumes
        self.environments.cache()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self.environments.cache()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.environments.cache())

    def __len__(self) -> int:
        return len(self.environments.cache())


def bench(
    size: int,
    quotas: tuple[RateQuota, ...] = (),
    *,
    checks: tuple[bool, str] = UNCHECKED,
    accounts: int = 0,
    propagation_s: float = 0.0,
) -> dict[str, Any]:
    """One run of ``size`` users; with ``quotas``, AWS's request rates are enforced on it;
    ``checks``: (verify_new_key, in_use_key_action); ``accounts``: the users are spread over this
    many member accounts (0: every user is the hub's); ``propagation_s``: IAM refuses each new
    key for its first seconds, as AWS does (testkit/key_propagation.py)."""
    verify, in_use = checks
    monkeypatch = pytest.MonkeyPatch()
    try:
        engine_environment(monkeypatch)
        # Authorization is left out: the benchmark counts the engine's calls, and lists more users
        # than a deployed module may (they would be selected by path in an account this size).
        with deployed(monkeypatch, authorize=False) as world:
            # The module's defaults, as state_machine.tf and settings.tf pass them on.
            user_concurrency, batch_concurrency = concurrency(MAX_CONCURRENCY)
            world.template_overrides = {
                "user_concurrency": user_concurrency,
                "batch_concurrency": batch_concurrency,
            }
            world.set_settings(**row_settings(verify, in_use))
            world.propagation.seconds = propagation_s
            if accounts:
                # as AWS does: a role that does not exist cannot be assumed
                assume_role_as_aws.patch(monkeypatch)
                delivered = seed_members(world, member_accounts(accounts), size // accounts)
            else:
                delivered = seed(world, [f"bench-user-{n:05d}" for n in range(size)])
            environments = ExecutionEnvironments()
            environments.install(world, monkeypatch)
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
            calls = dict(sorted(world.calls.actions.items()))
            if accounts:
                rotated = check_members(world, delivered, run.summary)
            else:
                rotated = check(world, delivered, run.summary, previous_stays=in_use != "retire")
            if quotas:
                throttled = throttled_row(size, rotated, wall, run.summary, limiter)
                return {**throttled, **modelled(world, run.arn, sorted(delivered))}
            events = world.history(run.arn) + world.child_history(run.arn)
            own = {name for key, name in world.functions.items() if key != "credentials_handler"}
            invocations = own_invocations(events, own)
            if invocations != world.calls.own_invocations:
                raise SystemExit("the histories and the call hook disagree on our invocations")
            if calls.get("sts:AssumeRole", 0) != sum(environments.assumed.values()):
                raise SystemExit("the call hook and the environments disagree on AssumeRole")
            row = {
                "users": size,
                "verify_new_key": verify,
                "in_use_key_action": in_use,
                "rotated": rotated,
                "wall_s": round(wall, 2),
                "api_calls_per_user": round(sum(calls.values()) / rotated, 3),
                "api_calls_by_operation": calls,
                "own_lambda_invocations_per_user": round(invocations / rotated, 3),
                "state_transitions_per_user": round(transitions(events) / rotated, 3),
                "propagation_s": propagation_s,
                **modelled(world, run.arn, sorted(delivered)),
            }
            if accounts:
                row = {
                    "accounts": accounts,
                    **row,
                    "assume_role_by_function": dict(sorted(environments.assumed.items())),
                    "execution_environments": {
                        function: made
                        for function, made in sorted(environments.made.items())
                        if function != "credentials_handler"  # the user's, not the module's
                    },
                }
            return row
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
    parser.add_argument(
        "--multi-account-users",
        type=int,
        default=MULTI_ACCOUNT_USERS,
        help=f"users of the multi-account row, over {MEMBER_ACCOUNTS} accounts (0: no such row)",
    )
    parser.add_argument(
        "--only-multi-account",
        action="store_true",
        help="only the multi-account row (give --output to keep bench/results.json whole)",
    )
    args = parser.parse_args()
    if args.only_multi_account:
        args.users, args.no_checked_rows, args.throttled_users = "", True, 0
    sizes = [int(n) for n in args.users.split(",") if n]
    # The engine's log lines (one per key created, stored, retired) are not what is measured.
    os.environ["LOG_LEVEL"] = "WARNING"
    # moto's Map workers recurse once per item they process: a deep stack for 250 batches.
    sys.setrecursionlimit(20_000)
    threading.stack_size(256 * 1024 * 1024)

    emulator = f"moto {moto.__version__}, in-process"
    print(f"emulator: {emulator}; max_concurrency {MAX_CONCURRENCY}, batches of {BATCH_SIZE}")
    print(
        f"{'users':>6} {'rotated':>8} {'wall s':>8} {'calls/user':>11} {'invocations/user':>17} "
        f"{'transitions/user':>17}"
    )
    rows = [(n, UNCHECKED, 0.0) for n in sizes]
    if not args.no_checked_rows:
        rows += [(n, checks, 0.0) for n, checks in CHECKED_ROWS] + [PROPAGATION_ROW]
    runs = []
    for size, checks, propagation_s in rows:
        row = bench(size, checks=checks, propagation_s=propagation_s)
        runs.append(row)
        print(
            f"{row['users']:>6} {row['rotated']:>8} {row['wall_s']:>8.1f} "
            f"{row['api_calls_per_user']:>11.3f} {row['own_lambda_invocations_per_user']:>17.3f} "
            f"{row['state_transitions_per_user']:>17.3f}  verify_new_key={checks[0]}, "
            f"in_use_key_action={checks[1]}, propagation {propagation_s:g} s: "
            f"{row['modelled_minutes']} modelled minutes (the quotas allow "
            f"{row['bound_minutes']}), ${row['dollars_per_run']} a run",
            flush=True,
        )
    results: dict[str, Any] = {"emulator": emulator, "runs": runs}
    if args.multi_account_users:
        multi = bench(args.multi_account_users, accounts=MEMBER_ACCOUNTS)
        single = next(
            (
                row
                for row in runs
                if row["users"] == multi["users"]
                and (row["verify_new_key"], row["in_use_key_action"]) == UNCHECKED
            ),
            None,
        )
        if single is not None:
            growth = multi["api_calls_per_user"] - single["api_calls_per_user"]
            multi["api_calls_per_user_over_one_account"] = round(growth, 3)
        results["multi_account"] = multi
        print(
            f"{multi['users']:>6} {multi['rotated']:>8} {multi['wall_s']:>8.1f} "
            f"{multi['api_calls_per_user']:>11.3f} "
            f"{multi['own_lambda_invocations_per_user']:>17.3f} "
            f"{multi['state_transitions_per_user']:>17.3f}  over {multi['accounts']} member "
            f"accounts: {multi['api_calls_by_operation'].get('sts:AssumeRole', 0)} AssumeRole "
            f"in {sum(multi['execution_environments'].values())} execution environments"
            + (
                f", {multi['api_calls_per_user_over_one_account']:+.3f} calls a user over one "
                "account"
                if single is not None
                else ""
            ),
            flush=True,
        )
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
