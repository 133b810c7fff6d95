"""Handing a key to GitHub Actions: for every target, its public key first, then the two secrets.

Everything a write needs is fetched before the first write (tokens, public keys, the ids of an
organization's selected repositories), so that a missing permission or target is refused while
nothing was written. Then each target gets ``access_key_id_name`` and ``secret_access_key_name``,
each sealed to the target's public key and written with its key id. GitHub never returns a
secret's value: its 201 (created) or 204 (updated) confirms the write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from credentials_handler.calls import answer_field
from credentials_handler.clients import secretsmanager_client
from credentials_handler.entry import Delivery
from credentials_handler.stored_secrets import read_credential

from github_actions_handler.api import GitHubApi
from github_actions_handler.app_auth import app_jwt, installation_token
from github_actions_handler.sealed_box import seal
from github_actions_handler.settings import Settings
from github_actions_handler.targets import GitHubTarget


@dataclass(frozen=True)
class PreparedTarget:
    """A target with what its writes need."""

    target: GitHubTarget
    token: str
    key_id: str
    public_key: str
    repository_ids: tuple[int, ...]  # an organization's selected repositories

    def body(self, value: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "encrypted_value": seal(self.public_key, value, self.target.describe()),
            "key_id": self.key_id,
        }
        if self.target.organization is not None:
            body["visibility"] = self.target.visibility
            if self.target.visibility == "selected":
                body["selected_repository_ids"] = list(self.repository_ids)
        return body


def deliver(settings: Settings, delivery: Delivery[GitHubTarget]) -> None:
    api = GitHubApi(settings.api_url, delivery.deadline)
    token_of = tokens(settings, api, delivery.targets)
    prepared = [prepare(api, target, token_of(target)) for target in delivery.targets]
    key = delivery.key
    for ready in prepared:
        target = ready.target
        for name, value in (
            (target.access_key_id_name, key.access_key_id),
            (target.secret_access_key_name, key.secret_access_key),
        ):
            api.request("PUT", f"{target.secrets_path}/{name}", ready.token, ready.body(value))
            delivery.wrote(f"secret {name} of {target.describe()}")


def tokens(
    settings: Settings, api: GitHubApi, targets: tuple[GitHubTarget, ...]
) -> Callable[[GitHubTarget], str]:
    """The token that acts on each target: the configured token, or the app installation's."""
    secretsmanager = secretsmanager_client()
    if settings.app is None:
        token = read_credential(secretsmanager, str(settings.token_secret_arn))
        return lambda target: token
    app = settings.app
    jwt = app_jwt(app.app_id, read_credential(secretsmanager, app.private_key_secret_arn))
    owners = sorted({target.owner for target in targets})
    by_owner = {
        owner: installation_token(
            api, jwt, tuple(t for t in targets if t.owner == owner), app.installation_id
        )
        for owner in owners
    }
    return lambda target: by_owner[target.owner]


def prepare(api: GitHubApi, target: GitHubTarget, token: str) -> PreparedTarget:
    path = f"{target.secrets_path}/public-key"
    public_key = api.request("GET", path, token)
    repository_ids = []
    for name in target.selected_repositories:
        repository = f"/repos/{target.organization}/{name}"
        answer = api.request("GET", repository, token)
        repository_ids.append(int(answer_field(answer, "id", f"GET {repository}")))
    return PreparedTarget(
        target,
        token,
        str(answer_field(public_key, "key_id", f"GET {path}")),
        str(answer_field(public_key, "key", f"GET {path}")),
        tuple(repository_ids),
    )
