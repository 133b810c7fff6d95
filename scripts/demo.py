"""`make demo`: apply examples/complete to LocalStack, rotate every demo user once, show what
happened, destroy. Run through `dev/localstack/run.sh`, which starts and always stops LocalStack.

Nothing here prints a secret access key: only key ids, versions and what the consumer recorded.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from testkit.stack import RunResult, Stack

REPO = Path(__file__).resolve().parent.parent

T = TypeVar("T")
LOCALSTACK_LOG = REPO / ".build" / "localstack.log"


class StepFailed(Exception):
    pass


def step(number: int, total: int, title: str, action: Callable[[], T]) -> T:
    print(f"[{number}/{total}] {title} ...", flush=True)
    started = time.monotonic()
    try:
        result = action()
    except Exception as error:
        raise StepFailed(f"step {number} ({title}) failed: {error}") from error
    print(f"[{number}/{total}] {title}: done in {time.monotonic() - started:.1f} s", flush=True)
    return result


def report(stack: Stack, old_keys: dict[str, str], run: RunResult) -> None:
    print(f"\nRun {run.execution_arn.rsplit(':', 1)[-1]} ended {run.status}.")
    for username in stack.usernames:
        keys = stack.keys(username)
        new_key = stack.secret_key_id(username)
        received = stack.received(username) or {}
        old = old_keys[username]
        print(f"  {username}")
        print(f"    key          {old} -> {new_key}")
        print(
            "    consumer got "
            f"accessKeyId={received.get('accessKeyId')} versionId={received.get('versionId')} "
            f"metadata={received.get('metadata')!r}"
        )
        print(
            f"    old key      {'gone' if old not in keys else 'STILL PRESENT (' + keys[old] + ')'}"
        )
        print(f"    keys now     {', '.join(f'{k} ({s})' for k, s in keys.items())}")


def main() -> int:
    endpoint = os.environ.get("LOCALSTACK_ENDPOINT")
    if not endpoint:
        print("LOCALSTACK_ENDPOINT is not set: run `make demo`", file=sys.stderr)
        return 2
    started = time.monotonic()
    stack = Stack(
        name=f"demo-{secrets.token_hex(2)}",
        endpoint=endpoint,
        # LocalStack publishes a key's use at once: the run judges the old keys at its end.
        variables={"cleanup_wait_seconds": 5, "last_use_delay_seconds": 0},
    )
    total = 5
    try:
        step(1, total, "Applying examples/complete with terraform", stack.apply)
        old_keys = step(
            2,
            total,
            "Giving each demo user the key it has today",
            lambda: {user: stack.reset_user(user)[0] for user in stack.usernames},
        )
        arn = step(
            3, total, "Starting a rotation the way the schedule does", stack.start_like_schedule
        )
        run = step(
            4, total, "Waiting for the run (handoff, grace wait, retire)", lambda: stack.wait(arn)
        )
        report(stack, old_keys, run)
        step(5, total, "Destroying the stack", stack.destroy)
    except StepFailed as error:
        print(f"\n{error}", file=sys.stderr)
        print(
            f"Logs: LocalStack {LOCALSTACK_LOG.relative_to(REPO)}; Terraform state and "
            f"variables {stack.workdir.relative_to(REPO)}",
            file=sys.stderr,
        )
        if not stack.destroyed and stack.workdir.joinpath("terraform.tfstate").exists():
            print("Cleaning up with terraform destroy ...", file=sys.stderr)
            try:
                stack.destroy()
            except Exception as cleanup_error:
                print(f"destroy failed too: {cleanup_error}", file=sys.stderr)
        return 1
    print(f"\nDemo finished in {time.monotonic() - started:.0f} s.")
    return 0 if run.status == "SUCCEEDED" else 1


if __name__ == "__main__":
    sys.exit(main())
