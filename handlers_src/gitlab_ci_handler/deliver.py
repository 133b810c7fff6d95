"""Handing a key to GitLab CI/CD: for every target, two variables created or updated, then read
back.

Before the first write, each target's project or group is looked up and each variable too (in the
target's environment scope), so that a missing permission or target is refused while nothing was
written. Then each variable is created (POST) or updated (PUT, filtered by its environment scope)
with the target's settings, ``raw`` so that GitLab never expands a ``$`` in it. Last, each variable
is read back and compared, except a hidden variable, whose value GitLab never returns: the write's
own answer confirms it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from credentials_handler.clients import secretsmanager_client
from credentials_handler.entry import Delivery
from credentials_handler.errors import TargetRefused
from credentials_handler.stored_secrets import read_credential

from gitlab_ci_handler.api import GitLabApi
from gitlab_ci_handler.settings import Settings
from gitlab_ci_handler.targets import GitLabTarget

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VariableWrite:
    """One variable to write, and what GitLab holds under its key and scope now."""

    target: GitLabTarget
    key: str
    value: str
    existing: dict[str, Any] | None

    @property
    def path(self) -> str:
        return f"{self.target.path}/variables"

    @property
    def scope(self) -> dict[str, str]:
        return {"filter[environment_scope]": self.target.environment_scope}

    @property
    def hidden(self) -> bool:
        return bool(self.existing.get("hidden")) if self.existing else self.target.hidden

    def describe(self) -> str:
        return f"variable {self.key} of {self.target.describe()}"

    def body(self) -> dict[str, Any]:
        target = self.target
        body: dict[str, Any] = {
            "value": self.value,
            "protected": target.protected,
            "raw": True,
            "environment_scope": target.environment_scope,
        }
        if self.existing is None:
            body.update(
                key=self.key, variable_type="env_var", masked=target.masked or target.hidden
            )
            if target.hidden:
                body["masked_and_hidden"] = True
        elif not self.existing.get("hidden"):  # GitLab refuses `masked` on a hidden variable
            body["masked"] = target.masked
        return body


def deliver(settings: Settings, delivery: Delivery[GitLabTarget]) -> None:
    token = read_credential(secretsmanager_client(), settings.token_secret_arn)
    api = GitLabApi(settings.api_url, token, delivery.deadline)
    key = delivery.key
    writes = []
    for target in delivery.targets:
        api.request("GET", target.path)
        for name, value in (
            (target.access_key_id_name, key.access_key_id),
            (target.secret_access_key_name, key.secret_access_key),
        ):
            write = VariableWrite(target, name, value, None)
            existing = api.lookup(f"{write.path}/{name}", write.scope)
            writes.append(VariableWrite(target, name, value, existing))
    for write in writes:
        if write.existing is None:
            api.request("POST", write.path, write.body())
        else:
            api.request("PUT", f"{write.path}/{write.key}", write.body(), write.scope)
        delivery.wrote(write.describe())
    for write in writes:
        confirm(api, write)


def confirm(api: GitLabApi, write: VariableWrite) -> None:
    """Read the variable back: it holds the value, unless GitLab hides it."""
    stored = api.lookup(f"{write.path}/{write.key}", write.scope)
    if stored is None:
        raise TargetRefused(f"{write.describe()} is missing after it was written")
    if write.hidden:
        logger.info("hidden variable: its value cannot be read back", extra={"key": write.key})
        return
    if stored.get("value") != write.value:
        raise TargetRefused(f"{write.describe()} holds another value after it was written")
    if write.target.hidden and not stored.get("hidden"):
        logger.warning(
            "variable stays visible: GitLab hides a variable only when it is created",
            extra={"key": write.key, "target": write.target.describe()},
        )
