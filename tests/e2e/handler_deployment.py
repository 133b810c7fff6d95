"""A ready-made handler's example applied on LocalStack, handing keys to a vendor's stand-in.

The example is applied as written, from a copy next to the repository's other build files with
one override file: the tier's short grace wait and a short handler timeout (an unreachable vendor
then leaves the handoff unconfirmed within seconds). The vendor's token lives in a secret the test
creates first, as a user would outside Terraform. The stand-in runs on 127.0.0.1, where
LocalStack's Lambda executor runs the handler's zip (its own wheels, on Python 3.13).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from leaks import assert_no_secret_leaked

from testkit.stack import RunResult, Stack
from testkit.standins.server import StandIn
from testkit.terraform import REPO

OVERRIDE = """\
# tests/e2e: a run ends within seconds, and so does a handoff to a vendor that does not answer
# (the shortest handoff the handler module accepts).
module "credentials_rotator" {
  cleanup_wait_seconds   = 2
  last_use_delay_seconds = 0 # LocalStack publishes a key's use at once
}

module "%s" {
  timeout_seconds = 10
}
"""


Key = tuple[str, str]  # (access key id, secret access key)


@dataclass
class HandlerDeployment:
    """The applied example: its demo users by role, and ``held(deployment, role)``, what the
    stand-in holds for the role's user."""

    stack: Stack
    stand_in: StandIn
    roles: tuple[str, ...]
    held: Callable[[HandlerDeployment, str], Key]

    def user(self, role: str) -> str:
        return f"{self.stack.name}-{role}"

    def keys_now(self) -> dict[str, Key]:
        return {role: self.new_key(self.user(role)) for role in self.roles}

    def assert_each_target_holds_a_new_key(self, run: RunResult, before: dict[str, Key]) -> None:
        """The run handed every user a key it did not have, every target holds it, and the
        previous key is gone."""
        assert run.status == "SUCCEEDED", run
        assert run.usernames("rotated") == sorted(self.user(role) for role in self.roles)
        for role in self.roles:
            username = self.user(role)
            key_id, _ = new = self.new_key(username)
            assert key_id != before.get(role, ("", ""))[0]
            assert self.stack.keys(username) == {key_id: "Active"}
            assert self.held(self, role) == new, f"the {role}'s target does not hold its new key"
        assert_no_secret_leaked(self.stack, run.execution_arn)

    def assert_rolled_back(self, run: RunResult, role: str, before: dict[str, Key]) -> str:
        """Only ``role``'s user failed, and kept its key, which its target still holds; the
        others were rotated. Returns the failure's message."""
        assert run.status == "FAILED", run
        username = self.user(role)
        (failed,) = run.summary["failed"]
        assert (failed["username"], failed["error"]) == (username, "TargetRefused")
        assert self.stack.keys(username) == {before[role][0]: "Active"}  # the new key was deleted
        assert self.new_key(username) == before[role]
        assert self.held(self, role) == before[role]
        others = sorted(self.user(other) for other in self.roles if other != role)
        assert run.usernames("rotated") == others
        return str(failed["message"])

    def assert_unconfirmed(self, run: RunResult, before: dict[str, Key]) -> None:
        """Every handoff's outcome is unknown: both keys stay Active, the targets unchanged."""
        assert run.status == "FAILED", run
        assert {(f["username"], f["error"]) for f in run.summary["failed"]} == {
            (self.user(role), "HandoffUnconfirmed") for role in self.roles
        }
        for role in self.roles:
            username = self.user(role)
            new_id = self.new_key(username)[0]
            assert new_id != before[role][0]
            assert self.stack.keys(username) == {before[role][0]: "Active", new_id: "Active"}
            assert self.held(self, role) == before[role]
        assert_no_secret_leaked(self.stack, run.execution_arn)

    def new_key(self, username: str) -> Key:
        """The key the user's secret holds now: (id, secret). The secret is for comparisons in
        the caller that must never print it."""
        value = self.stack.client("secretsmanager").get_secret_value(
            SecretId=self.stack.outputs["secret_names"][username]
        )
        key = json.loads(value["SecretString"])
        return key["AccessKeyId"], key["SecretAccessKey"]


@contextlib.contextmanager
def deploy(
    example: str,
    module: str,
    stand_in: StandIn,
    variables: dict[str, Any],
    token: tuple[str, str],
    roles: tuple[str, ...],
    held: Callable[[HandlerDeployment, str], Key],
) -> Iterator[HandlerDeployment]:
    """Apply ``example`` with ``variables`` (the handler ``module`` pointed at ``stand_in``) and
    ``token`` = (its variable, its value) in a secret; destroy it all after."""
    endpoint = os.environ.get("LOCALSTACK_ENDPOINT")
    if not endpoint:
        pytest.skip("LOCALSTACK_ENDPOINT is not set: run this tier with `make test-e2e`")
    name = f"e2e-{example[:2]}-{secrets.token_hex(3)}"
    config = REPO / ".build" / f"{name}-config"
    shutil.copytree(
        REPO / "examples" / example,
        config,
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"),
    )
    (config / "e2e_override.tf").write_text(OVERRIDE % module)
    stack = Stack(name=name, endpoint=endpoint, example=config)
    secretsmanager = stack.client("secretsmanager")
    token_arn = secretsmanager.create_secret(Name=f"{name}/token", SecretString=token[1])["ARN"]
    stack.variables = {**variables, token[0]: token_arn}
    try:
        with stand_in:
            stack.apply()
            yield HandlerDeployment(stack, stand_in, roles, held)
    finally:
        try:
            if not stack.destroyed:
                stack.destroy()
        finally:
            _delete_secrets(stack, name)
            shutil.rmtree(config, ignore_errors=True)


def _delete_secrets(stack: Stack, name: str) -> None:
    """What destroy leaves: the users' secrets (the rotator's), and the token's."""
    secretsmanager = stack.client("secretsmanager")
    for page in secretsmanager.get_paginator("list_secrets").paginate():
        for secret in page["SecretList"]:
            if secret["Name"].startswith(f"{name}/"):
                secretsmanager.delete_secret(
                    SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True
                )
