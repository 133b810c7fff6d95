"""Where a user's key goes in GitLab: the CI/CD variables of a project or a group, with their
environment scope and whether they are protected, masked and hidden.

The module's ``targets`` input is validated at plan time and rendered into ``TARGETS``;
``parse_target`` reads one of its entries.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GitLabTarget:
    access_key_id_name: str
    secret_access_key_name: str
    project: str | None = None  # id or full path, group/subgroup/project
    group: str | None = None  # id or full path
    environment_scope: str = "*"
    protected: bool = True
    masked: bool = True
    hidden: bool = False  # masked and hidden: set when the variable is created

    @property
    def path(self) -> str:
        if self.group is not None:
            return f"/groups/{urllib.parse.quote(self.group, safe='')}"
        return f"/projects/{urllib.parse.quote(str(self.project), safe='')}"

    def describe(self) -> str:
        kind, name = ("group", self.group) if self.group is not None else ("project", self.project)
        return f"{kind} {name} (environment scope {self.environment_scope})"


def parse_target(raw: Mapping[str, Any]) -> GitLabTarget:
    if (raw.get("project") is None) == (raw.get("group") is None):
        raise ValueError("a GitLab target names either a project or a group")
    return GitLabTarget(
        access_key_id_name=str(raw["access_key_id_name"]),
        secret_access_key_name=str(raw["secret_access_key_name"]),
        project=None if raw.get("project") is None else str(raw["project"]),
        group=None if raw.get("group") is None else str(raw["group"]),
        environment_scope=str(raw.get("environment_scope") or "*"),
        protected=bool(raw.get("protected", True)),
        masked=bool(raw.get("masked", True)),
        hidden=bool(raw.get("hidden", False)),
    )
