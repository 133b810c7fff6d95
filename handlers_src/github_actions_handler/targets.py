"""Where a user's key goes in GitHub: the Actions secrets of a repository, of one of its
environments, or of an organization (with the repositories that may use them).

The module's ``targets`` input is validated at plan time and rendered into ``TARGETS``;
``parse_target`` reads one of its entries.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GitHubTarget:
    access_key_id_name: str
    secret_access_key_name: str
    repository: str | None = None  # owner/name
    environment: str | None = None  # of the repository
    organization: str | None = None
    visibility: str = "private"  # of an organization's secrets: all, private or selected
    selected_repositories: tuple[str, ...] = ()  # names in the organization, with "selected"

    @property
    def owner(self) -> str:
        """The account whose GitHub App installation acts on the target."""
        if self.organization is not None:
            return self.organization
        return str(self.repository).split("/")[0]

    @property
    def secrets_path(self) -> str:
        """Where the target's Actions secrets live in the REST API."""
        if self.organization is not None:
            return f"/orgs/{self.organization}/actions/secrets"
        if self.environment is not None:
            environment = urllib.parse.quote(self.environment, safe="")
            return f"/repos/{self.repository}/environments/{environment}/secrets"
        return f"/repos/{self.repository}/actions/secrets"

    def describe(self) -> str:
        if self.organization is not None:
            return f"organization {self.organization}"
        if self.environment is not None:
            return f"environment {self.environment} of repository {self.repository}"
        return f"repository {self.repository}"


def parse_target(raw: Mapping[str, Any]) -> GitHubTarget:
    if (raw.get("repository") is None) == (raw.get("organization") is None):
        raise ValueError("a GitHub target names either a repository or an organization")
    return GitHubTarget(
        access_key_id_name=str(raw["access_key_id_name"]),
        secret_access_key_name=str(raw["secret_access_key_name"]),
        repository=raw.get("repository"),
        environment=raw.get("environment"),
        organization=raw.get("organization"),
        visibility=raw.get("visibility") or "private",
        selected_repositories=tuple(raw.get("selected_repositories") or ()),
    )
