"""The starting states of a user: one per row of the decision table (docs/design.md), each made
the way it arises, by real runs (some with a fault) or by hand where a person would make it.

Each makes the state for many users at once (the users of the parameter, which runs rotate
together), and sets ``consumer.stored`` to the key a user's consumer holds when a person gave it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from testkit.consumer.handler import REFUSE, STORE_THEN_TIME_OUT, TIME_OUT
from testkit.harness import Harness
from testkit.injector import Fault, Injector


def _run(harness: Harness, injector: Injector | None = None, fault: Fault | None = None) -> None:
    arn: list[str] = []
    if injector is None:
        harness.run()
        return
    with injector.injecting(fault, arn):
        arn.append(harness.start())
        harness.wait(arn[0])
    harness.wait_until_quiet()


def fresh(harness: Harness, injector: Injector, users: list[str]) -> None:
    """No key, no record."""


def one_key_never_delivered(harness: Harness, injector: Injector, users: list[str]) -> None:
    """One key a person gave the consumer; the rotator adopts it."""
    for user in users:
        harness.consumer.stored[user] = harness.create_key(user)


def delivered(harness: Harness, injector: Injector, users: list[str]) -> None:
    _run(harness)


def delivered_and_late_last_use(harness: Harness, injector: Injector, users: list[str]) -> None:
    """As ``delivered``, with IAM's last uses judged only an hour late (last_use_delay_seconds):
    the run leaves each previous key Active for a later run, and the runs after it keep it."""
    _run(harness)
    harness.set_settings(last_use_delay_seconds=3600, previous_keys_judged_later=True)


def delivered_and_inactive(harness: Harness, injector: Injector, users: list[str]) -> None:
    _run(harness)
    for user in users:
        harness.create_key(user, inactive=True)


def delivered_and_retired(harness: Harness, injector: Injector, users: list[str]) -> None:
    """The previous key outlived its run: the batch's outcomes were lost, so nothing retired it."""
    _run(harness)
    _run(harness, injector, Fault("die", function="record_outcomes", call=0, when="before"))


def delivered_and_in_use(harness: Harness, injector: Injector, users: list[str]) -> None:
    """The consumers never moved to their delivered keys: they keep using the previous ones,
    which the last run kept (a deferral) and which every run must keep."""
    _run(harness)
    harness.not_moved.update(users)
    _run(harness)


def delivered_and_deferred(harness: Harness, injector: Injector, users: list[str]) -> None:
    """The last run kept the previous keys in use (a deferral); the consumers have moved since."""
    delivered_and_in_use(harness, injector, users)
    harness.not_moved.difference_update(users)


def delivered_and_deferred_aged(harness: Harness, injector: Injector, users: list[str]) -> None:
    """As ``delivered_and_deferred``, with a key-age limit the delivered keys are far from: a run
    retires the deferred keys no longer in use, then skips the users."""
    delivered_and_deferred(harness, injector, users)
    harness.set_settings(max_key_age_days=30)


def rolled_back_key_left(harness: Harness, injector: Injector, users: list[str]) -> None:
    """The handlers refused the new keys and roll_back died before deleting them: each refused
    key stays, its version retired but still pending, used only by the rotator's proofs (seconds
    after the delivered key was created, as on AWS)."""
    _run(harness)
    harness.next_second()
    for user in users:
        harness.consumer.behaviour[user] = REFUSE
    _run(
        harness,
        injector,
        Fault("die", function="roll_back", when="before", operation="DeleteAccessKey"),
    )
    for user in users:
        harness.consumer.behaviour.pop(user)


def written_never_works(harness: Harness, injector: Injector, users: list[str]) -> None:
    """rotate died right after it recorded the new keys, before it proved them, and those keys
    never work: pending, never handed off, never to be (the consumers keep the delivered keys)."""
    _run(harness)
    delivered_keys = {user: harness.secret_key_id(user) for user in users}
    _run(
        harness, injector, Fault("die", function="rotate", when="after", operation="PutSecretValue")
    )
    for user in users:
        written = harness.secret_key_id(user)
        if written != delivered_keys[user]:
            harness.propagation.broken.add(written)


def unconfirmed(harness: Harness, injector: Injector, users: list[str]) -> None:
    """A handoff timed out before the handler stored the new key."""
    _run(harness)
    _with_behaviour(harness, users, TIME_OUT)


def unconfirmed_then_late_last_use(harness: Harness, injector: Injector, users: list[str]) -> None:
    """As ``unconfirmed``, its key written while ``finish`` judged the previous keys itself (no
    last-use delay); the runs after it have one: the key handed off again is marked for the later
    run's check first, then handed off."""
    unconfirmed(harness, injector, users)
    harness.set_settings(last_use_delay_seconds=3600, previous_keys_judged_later=True)


def unconfirmed_and_held(harness: Harness, injector: Injector, users: list[str]) -> None:
    """The handler stored the new key, then timed out: it holds an unconfirmed key."""
    _run(harness)
    _with_behaviour(harness, users, STORE_THEN_TIME_OUT)


def stray(harness: Harness, injector: Injector, users: list[str]) -> None:
    """rotate died right after CreateAccessKey: a key nobody recorded."""
    _run(harness)
    _run(harness, injector, Fault("die", function="rotate", call=0, when="after"))


def unknown_key(harness: Harness, injector: Injector, users: list[str]) -> None:
    """A person added an Active key the rotator never made, seconds after the last run ended (to
    the second, as IAM dates keys: the same for every user, so each run after asks the same)."""
    _run(harness)
    harness.next_second()
    for user in users:
        harness.create_key(user)


def inactive_and_active_never_delivered(
    harness: Harness, injector: Injector, users: list[str]
) -> None:
    for user in users:
        harness.create_key(user, inactive=True)
        harness.consumer.stored[user] = harness.create_key(user)


def two_active_never_delivered(harness: Harness, injector: Injector, users: list[str]) -> None:
    for user in users:
        harness.consumer.stored[user] = harness.create_key(user)
        harness.create_key(user)


def current_replaced_by_hand(harness: Harness, injector: Injector, users: list[str]) -> None:
    """A person wrote a value without an access key as the secret's current version."""
    _run(harness)
    for user in users:
        harness.secretsmanager.put_secret_value(
            SecretId=harness.secret_name(user), SecretString=json.dumps({"note": "by hand"})
        )


def _with_behaviour(harness: Harness, users: list[str], behaviour: str) -> None:
    for user in users:
        harness.consumer.behaviour[user] = behaviour
    _run(harness)
    for user in users:
        harness.consumer.behaviour.pop(user)


# Rows the rotator must leave as they are: it cannot tell which key the handler holds, or the only
# key it could hand off (again) never works.
UNTOUCHABLE = frozenset({"unknown-key", "two-active-never-delivered", "written-never-works"})

ROWS: dict[str, Callable[[Harness, Injector, list[str]], None]] = {
    "fresh": fresh,
    "one-key-never-delivered": one_key_never_delivered,
    "delivered": delivered,
    "delivered+late-last-use": delivered_and_late_last_use,
    "delivered+inactive": delivered_and_inactive,
    "delivered+retired": delivered_and_retired,
    "delivered+in-use": delivered_and_in_use,
    "delivered+deferred": delivered_and_deferred,
    "delivered+deferred+key-age": delivered_and_deferred_aged,
    "rolled-back-key-left": rolled_back_key_left,
    "written-never-works": written_never_works,
    "unconfirmed": unconfirmed,
    "unconfirmed+late-last-use": unconfirmed_then_late_last_use,
    "unconfirmed-held": unconfirmed_and_held,
    "stray": stray,
    "unknown-key": unknown_key,
    "inactive+active-never-delivered": inactive_and_active_never_delivered,
    "two-active-never-delivered": two_active_never_delivered,
    "current-replaced-by-hand": current_replaced_by_hand,
}
