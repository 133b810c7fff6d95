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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from testkit.stack import Stack
from testkit.standins.server import StandIn
from testkit.terraform import REPO

OVERRIDE = """\
# tests/e2e: a run ends within seconds, and so does a handoff to a vendor that does not answer.
module "credentials_rotator" {
  cleanup_wait_seconds = 2
}

module "%s" {
  timeout_seconds = 15
}
"""


@dataclass
class HandlerDeployment:
    stack: Stack
    stand_in: StandIn

    def user(self, role: str) -> str:
        return f"{self.stack.name}-{role}"

    def new_key(self, username: str) -> tuple[str, str]:
        """The key the user's secret holds now: (id, secret). The secret is for comparisons in
        the caller that must never print it."""
        value = self.stack.client("secretsmanager").get_secret_value(
            SecretId=self.stack.outputs["secret_names"][username]
        )
        key = json.loads(value["SecretString"])
        return key["AccessKeyId"], key["SecretAccessKey"]


@contextlib.contextmanager
def deploy(
    example: str, module: str, stand_in: StandIn, variables: dict[str, Any], token: tuple[str, str]
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
            yield HandlerDeployment(stack, stand_in)
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
