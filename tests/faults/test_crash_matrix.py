"""Crash safety by enumeration: for each row of the decision table, in both old-key actions,
every fault a run can meet, each followed by two runs (the second with a handler that refuses).

For each row a probe run records every AWS call each function makes and every state the run
enters (a second probe, with a refusing handler, reaches roll_back; a third, whose new keys never
authenticate, reaches it before any handoff, through NewKeyNotUsable). Then each scenario takes a
user of the same row and injects one fault into an on-demand run of that user:
- each function dies right before its first call, and right after each of its calls took effect
  (dying right before a later call leaves the account exactly as dying right after the one
  before it, so each of those crash points is played once; of the checks of a new key, which
  change nothing, only the first);
- the run is stopped as it enters each state, and during each Lambda invocation in flight (rotate's
  while it checks a new key that never works included);
- MarkDelivered fails all its retries; the handler stores the key and then times out; the handler
  times out before storing it.
After every run the invariants hold (invariants.py): the key the handler holds is never retired,
the user never has more than two keys, the first run after the fault recovers the user, and after
the last run nothing the rotator created is left unrecorded. No secret is in any history, log or
run data, no state passes Step Functions' limits, and IAM allowed every call the functions made,
faults and recoveries included (testkit/authorization.py; checked at the end of each row).

The same matrix runs for users of a member account on the rows whose calls differ there
(``MEMBER_ROWS``): every IAM call then goes through the member role, which each run assumes
afresh (its first call in the member account is ``sts:AssumeRole``, a crash point of its own),
and the member role's planned policy must allow every call.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from invariants import KeyGuard, after_run, nothing_unaccounted, recovered
from rows import ROWS, UNTOUCHABLE

from testkit.checks.recorded import captured_text
from testkit.consumer.handler import REFUSE, STORE_THEN_TIME_OUT, TIME_OUT
from testkit.harness import Harness, deployed
from testkit.injector import LAMBDA_TASKS, MATRIX_PROPERTY, CallRecord, Fault, Injector
from testkit.member_accounts import create_member_role
from testkit.stories import AFTER_A_STOP

pytestmark = pytest.mark.faults

# Users made ready for each row: three probes and at most this many scenarios.
MOST_SCENARIOS = 80
# A member account, and the rows (with their old-key action) played for its users: the normal
# path in both actions (rotate, roll_back and finish through the member role: keys created,
# deleted, deactivated, last run's Inactive key deleted, the previous key's last use asked) and a
# stray proven there. Not the rows of a previous key in use: tests/workflow/test_multi_account.py
# keeps a member user's key in use.
MEMBER = "111122223333"
MEMBER_ROWS = (("delivered", "delete"), ("delivered", "deactivate"), ("stray", "delete"))
# A member user's run has a crash point more in each rotate that assumes the role.
MOST_MEMBER_SCENARIOS = MOST_SCENARIOS + 4


@pytest.fixture
def world(
    engine_env: pytest.MonkeyPatch,
    moto_secret_stages: None,
    retry_sleeps: list[float],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Iterator[tuple[Harness, Injector, KeyGuard]]:
    """The rotator in moto, the fault injector and the key guard; at the end, no secret may be
    in any history, run data, log or output, and IAM must have allowed every call."""
    with deployed(engine_env) as harness:
        yield harness, Injector(harness), KeyGuard(harness)
        harness.assert_no_secret_leaked(captured_text(capsys, caplog))
        harness.assert_payloads_fit()
        assert harness.authorization is not None
        harness.authorization.assert_all_allowed()


def run_once(harness: Harness, injector: Injector, user: str, fault: Fault | None) -> CallRecord:
    """One on-demand run of ``user``, with ``fault``; what it called and entered."""
    arn: list[str] = []
    # Each run's functions assume the member role afresh, so its calls are the same every run.
    harness.new_execution_environments()
    with injector.injecting(fault, arn) as record:
        arn.append(harness.start({"users": [user]}))
        harness.wait(arn[0])
    harness.wait_until_quiet()
    if fault is not None and fault.kind == "stop":
        harness.advance_clock(AFTER_A_STOP)
    return record


def scenarios(probe: CallRecord, refusing: CallRecord, unusable: CallRecord) -> list[Fault]:
    """Every fault the probes show a run can meet."""
    faults: list[Fault] = []
    probes = (
        (probe, {}, ("plan", "read_records", "rotate", "record_outcomes", "finish")),
        (refusing, {"refuse": True}, ("roll_back",)),
        (unusable, {"unusable": True}, ("rotate", "roll_back")),
    )
    for record, kind, functions in probes:
        for function, calls in record.invocations:
            if function not in functions or not calls:
                continue  # the others' calls are the same as in the probe; no call, no crash point
            faults.append(Fault("die", function=function, call=0, when="before", **kind))
            faults += [
                Fault("die", function=function, call=index, when="after", **kind)
                for index in _crash_points(calls)
            ]
    for state in dict.fromkeys(probe.states):
        faults.append(Fault("stop", state=state))
        if state in LAMBDA_TASKS:
            faults.append(Fault("stop", state=state, in_flight=True))
    if "RollBack" in refusing.states:
        faults.append(Fault("stop", state="RollBack", in_flight=True, refuse=True))
    if "NewKeyNotUsable" in unusable.states:
        faults += [
            Fault("stop", state="Rotate", in_flight=True, unusable=True),
            Fault("stop", state="NewKeyNotUsable", unusable=True),
            Fault("stop", state="RollBack", unusable=True),
            Fault("stop", state="RollBack", in_flight=True, unusable=True),
        ]
    if "Handoff" in probe.states:
        faults += [Fault("mark-delivered-fails"), Fault(STORE_THEN_TIME_OUT), Fault(TIME_OUT)]
    return faults


def _crash_points(calls: list[str]) -> list[int]:
    """The calls to die after: each one, but of the checks of a new key (which change nothing)
    only the first: dying after a later one leaves the account as dying after the first."""
    checks = [index for index, call in enumerate(calls) if call == "GetCallerIdentity"]
    return [index for index in range(len(calls)) if index not in checks[1:]]


def play(world: tuple[Harness, Injector, KeyGuard], row: str, user: str, fault: Fault) -> list[str]:
    """One scenario: the fault, then two runs; what went wrong."""
    harness, injector, guard = world
    behaviour = REFUSE if fault.refuse else None
    if fault.kind in (STORE_THEN_TIME_OUT, TIME_OUT):
        behaviour = fault.kind
    if behaviour:
        harness.consumer.behaviour[user] = behaviour
    if fault.unusable:
        harness.propagation.forever.add(user)
    timeouts = harness.consumer.timeouts_of(user)
    run_once(harness, injector, user, fault)
    struck = injector.fired or harness.consumer.timeouts_of(user) > timeouts
    problems = [] if struck else ["the fault never struck"]
    problems += after_run(harness, user)
    harness.consumer.behaviour.pop(user, None)
    harness.propagation.forever.discard(user)
    run_once(harness, injector, user, None)
    problems += after_run(harness, user)
    problems += [] if row in UNTOUCHABLE else recovered(harness, user)
    harness.consumer.behaviour[user] = REFUSE
    run_once(harness, injector, user, None)
    harness.consumer.behaviour.pop(user)
    problems += after_run(harness, user) + nothing_unaccounted(harness, guard, user)
    problems += [v for v in guard.violations if f" of {user}," in v]
    return [f"{row} / {fault}: {problem}" for problem in problems]


# Collected first: its rows are among the tier's longest, and a long test handed out last keeps one
# worker busy while the other has nothing left to run.
@pytest.mark.parametrize(("row", "old_key_action"), MEMBER_ROWS)
def test_no_fault_retires_a_key_the_handler_holds_in_a_member_account(
    world: tuple[Harness, Injector, KeyGuard],
    row: str,
    old_key_action: str,
    record_property: pytest.RecordProperty,
) -> None:
    """The matrix for users of a member account, listed in the users parameter with its
    accountId and rotated through its member role (the same names in every row: one plan of the
    module per old-key action and one of the member role)."""
    world[0].set_settings(old_key_action=old_key_action)
    create_member_role(MEMBER)
    users = [f"{MEMBER}/user-{index:02d}" for index in range(MOST_MEMBER_SCENARIOS + 3)]
    play_row(world, row, users, record_property)


@pytest.mark.parametrize("old_key_action", ["delete", "deactivate"])
@pytest.mark.parametrize("row", list(ROWS))
def test_no_fault_retires_a_key_the_handler_holds(
    world: tuple[Harness, Injector, KeyGuard],
    row: str,
    old_key_action: str,
    record_property: pytest.RecordProperty,
) -> None:
    world[0].set_settings(old_key_action=old_key_action)
    # The same names in every row: each row plans the module once per old-key action for the
    # authorization of its calls, and the rows share those two plans.
    users = [f"user-{index:02d}" for index in range(MOST_SCENARIOS + 3)]
    play_row(world, row, users, record_property)


def play_row(
    world: tuple[Harness, Injector, KeyGuard],
    row: str,
    users: list[str],
    record_property: pytest.RecordProperty,
) -> None:
    """Every fault the probes of ``row`` show, each on a user of its own; no problem."""
    harness, injector, _ = world
    harness.configure_users(*users)
    ROWS[row](harness, injector, users)
    probe = _probe(harness, injector, users.pop())
    refusing = _probe(harness, injector, users.pop(), refuse=True)
    unusable = _probe(harness, injector, users.pop(), unusable=True)
    faults = scenarios(probe, refusing, unusable)
    assert len(faults) <= len(users), f"{len(faults)} scenarios for {len(users)} prepared users"
    record_property(MATRIX_PROPERTY, len(faults))

    problems = [
        problem
        for user, fault in zip(users, faults, strict=False)
        for problem in play(world, row, user, fault)
    ]

    assert problems == [], "\n".join(problems)


def _probe(
    harness: Harness, injector: Injector, user: str, *, refuse: bool = False, unusable: bool = False
) -> CallRecord:
    if refuse:
        harness.consumer.behaviour[user] = REFUSE
    if unusable:
        harness.propagation.forever.add(user)
    record = run_once(harness, injector, user, None)
    harness.consumer.behaviour.pop(user, None)
    harness.propagation.forever.discard(user)
    return record
