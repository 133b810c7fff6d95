"""What must hold at every moment of every run, whatever fault struck (docs/design.md, "Crash
safety"), checked on the emulated account.

- The key the handler stores last is never deleted nor deactivated, nor is the previous key a
  consumer that has not moved still uses (``in_use_key_action = "defer"``): a guard sees every
  DeleteAccessKey and UpdateAccessKey the functions send, before it happens.
- After each run that key exists, is Active and works (a handler is never left with a key that
  never authenticates), and the user has at most two keys.
- The first run after a fault recovers the user (its handler then holds the delivered key),
  unless the user's row is one the rotator must not touch.
- After the second run following a fault, every key the rotator created that still exists is
  recorded in the user's secret: nothing is left that nobody can account for.
"""

from __future__ import annotations

import threading
from typing import Any

from testkit.checks.call_log import account_of_call
from testkit.harness import Harness
from testkit.member_accounts import rotator_name
from testkit.runner.invocation import INVOCATION


class KeyGuard:
    """Records every call that would retire the key a handler holds, and the keys the functions
    create."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.violations: list[str] = []
        self.created: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        # before-parameter-build: the handler gets the call's own parameters
        harness.hook("before-parameter-build.iam.DeleteAccessKey", self._retiring)
        harness.hook("before-parameter-build.iam.UpdateAccessKey", self._retiring)
        harness.hook("after-call.iam.CreateAccessKey", self._created)

    def _retiring(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        invocation = INVOCATION.get()
        if invocation is None or invocation.function == "credentials_handler":
            return  # the test's own calls
        if model.name == "UpdateAccessKey" and params.get("Status") != "Inactive":
            return
        username, key = params.get("UserName"), params.get("AccessKeyId")
        held = self.harness.consumer.stored.get(str(username))
        if key == held:
            with self._lock:
                self.violations.append(
                    f"{invocation.function} sent {model.name} on access key {key} of {username}, "
                    "the key its handler holds"
                )
        if username in self.harness.not_moved and key == self.harness.used_by_consumer.get(
            str(username)
        ):
            with self._lock:
                self.violations.append(
                    f"{invocation.function} sent {model.name} on access key {key} of {username}, "
                    "the key its consumer still uses"
                )

    def _created(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        invocation = INVOCATION.get()
        if invocation is not None and "AccessKey" in parsed:
            key = parsed["AccessKey"]
            # A member account's IAM names its user without the account (this hook runs before
            # the member client puts it back): the rotator's name is <account_id>/<username>.
            name = rotator_name(account_of_call(context), key["UserName"])
            with self._lock:
                self.created.setdefault(name, set()).add(key["AccessKeyId"])


def after_run(harness: Harness, username: str) -> list[str]:
    """What is wrong with the user's keys after a run."""
    problems = []
    keys = harness.keys(username)
    if len(keys) > 2:
        problems.append(f"{username} has {len(keys)} keys")
    held = harness.consumer.stored.get(username)
    if held is not None and keys.get(held) != "Active":
        problems.append(f"the key {username}'s handler holds, {held}, is {keys.get(held, 'gone')}")
    if held is not None and held in harness.propagation.broken:
        problems.append(f"the key {username}'s handler holds, {held}, never worked")
    return problems


def recovered(harness: Harness, username: str) -> list[str]:
    """What keeps the user from the settled state: its handler holds the delivered key."""
    held = harness.consumer.stored.get(username)
    try:
        current, stages = harness.secret_key_id(username), harness.current_stages(username)
    except Exception:
        return [f"{username} has no delivered key after a run that could deliver one"]
    # Settled: the current version is delivered (no pending handoff); a deferral's stage may
    # stay on it while the superseded key is still in use.
    if held != current or "PENDING_HANDOFF" in stages or "AWSCURRENT" not in stages:
        return [
            f"{username} did not recover: its handler holds {held}, the secret {current} "
            f"({', '.join(stages)})"
        ]
    return []


def nothing_unaccounted(harness: Harness, guard: KeyGuard, username: str) -> list[str]:
    """Keys the rotator created that exist but that the user's secret does not record."""
    recorded = set()
    for stage in ("AWSCURRENT", "AWSPREVIOUS"):
        try:
            recorded.add(harness.secret_key_id(username, stage))
        except Exception:
            continue
    stray = guard.created.get(username, set()) & set(harness.keys(username)) - recorded
    return [f"{username} keeps access key {key} that nothing records" for key in sorted(stray)]
