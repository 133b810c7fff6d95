"""A stand-in for GitHub's REST API (GitHub.com, or GitHub Enterprise Server under ``/api/v3``):
the Actions secrets endpoints of repositories, environments and organizations with their public
keys, the repository lookup, and GitHub App authentication, as GitHub documents them.

- Every request needs ``Authorization: Bearer <token>`` (or ``token <token>``) and a
  ``User-Agent``; an ``X-GitHub-Api-Version`` must be ``2022-11-28``.
- A token the stand-in knows acts everywhere. A GitHub App authenticates with a JWT (RS256 with
  the app's private key; ``iss`` the app's id, ``exp`` at most 10 minutes after ``iat``) on the
  app endpoints only, and gets an installation access token per owner, limited to the
  repositories it asks for.
- ``PUT .../secrets/<name>`` takes ``encrypted_value`` (a libsodium sealed box to the public key
  of ``GET .../secrets/public-key``) and that key's ``key_id``; an organization's also
  ``visibility`` and, for ``selected``, ``selected_repository_ids``. 201 when it creates the
  secret, 204 when it updates it. The stand-in opens every box with its private key, so tests read
  what a target holds (``secret``).
- Refusals carry GitHub's ``{"message", "documentation_url"}``; a target a token cannot see is
  404 Not Found.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from nacl.encoding import Base64Encoder
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from testkit.standins.server import Answer, StandIn, StandInRequest

DOCS = "https://docs.github.com/rest/actions/secrets"
API_VERSION = "2022-11-28"
SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
JWT_LONGEST_SECONDS = 600


def _error(status: int, message: str) -> Answer:
    return Answer(status, {"message": message, "documentation_url": DOCS})


NOT_FOUND = _error(404, "Not Found")


@dataclass
class SecretStore:
    """The Actions secrets of a repository, an environment or an organization, and the key pair
    their values are sealed to."""

    private_key: PrivateKey = field(default_factory=PrivateKey.generate)
    key_id: str = field(default_factory=lambda: str(secrets.randbelow(10**18)))
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def public_key(self) -> dict[str, str]:
        key = self.private_key.public_key.encode(Base64Encoder).decode()
        return {"key_id": self.key_id, "key": key}

    def open(self, name: str) -> str:
        sealed = base64.b64decode(self.secrets[name]["encrypted_value"])
        return SealedBox(self.private_key).decrypt(sealed).decode()


@dataclass
class Repository:
    id: int
    store: SecretStore = field(default_factory=SecretStore)
    environments: dict[str, SecretStore] = field(default_factory=dict)


@dataclass
class App:
    app_id: str
    public_key: rsa.RSAPublicKey
    installations: dict[str, int]  # owner → installation id


@dataclass(frozen=True)
class Grant:
    """What a token may act on: everything, or one owner's repositories (an installation's)."""

    owner: str | None = None
    repositories: frozenset[str] | None = None

    def covers(self, owner: str, repository: str | None) -> bool:
        if self.owner is None:
            return True
        if owner.lower() != self.owner.lower():
            return False
        return repository is None or self.repositories is None or repository in self.repositories


class GitHubStandIn(StandIn):
    def __init__(
        self,
        prefix: str = "",
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        super().__init__(prefix)
        self.now = now
        self.grants: dict[str, Grant] = {}
        self.repositories: dict[str, Repository] = {}
        self.organizations: dict[str, SecretStore] = {}
        self.app: App | None = None
        self.refusals: list[tuple[str, str, Answer]] = []

    # --- what the test sets up --------------------------------------------------------------

    def add_token(self, token: str) -> None:
        self.grants[token] = Grant()

    def add_repository(self, full_name: str, environments: tuple[str, ...] = ()) -> Repository:
        repository = Repository(id=len(self.repositories) + 1000)
        repository.environments = {name: SecretStore() for name in environments}
        self.repositories[full_name] = repository
        return repository

    def add_organization(self, name: str) -> None:
        self.organizations[name] = SecretStore()

    def add_app(self, app_id: str, public_key: rsa.RSAPublicKey, owners: tuple[str, ...]) -> None:
        installations = {owner: 5000 + index for index, owner in enumerate(owners)}
        self.app = App(app_id, public_key, installations)

    def refuse(self, method: str, path_start: str, status: int, message: str) -> None:
        """Answer requests of ``method`` under ``path_start`` with a refusal, as GitHub does when
        a token lacks a permission."""
        self.refusals.append((method, path_start, _error(status, message)))

    # --- what the test reads -----------------------------------------------------------------

    def secret(self, full_name: str, name: str, environment: str | None = None) -> str:
        """The value a repository's (or an environment's) secret holds, unsealed."""
        repository = self.repositories[full_name]
        store = repository.store if environment is None else repository.environments[environment]
        return store.open(name)

    def organization_secret(self, organization: str, name: str) -> tuple[str, dict[str, Any]]:
        """The value of an organization's secret, and what it was written with."""
        store = self.organizations[organization]
        return store.open(name), store.secrets[name]

    # --- the API -------------------------------------------------------------------------------

    def route(self, request: StandInRequest) -> Answer:
        problem = self._check_headers(request)
        if problem is not None:
            return problem
        for method, path_start, answer in self.refusals:
            if request.method == method and request.path.startswith(path_start):
                return answer
        segments = request.segments
        if segments[0] == "app" or segments[-1] == "installation":
            return self._app_endpoint(request)
        grant = self.grants.get(_token(request))
        if grant is None:
            return _error(401, "Bad credentials")
        if segments[0] == "orgs" and len(segments) >= 4 and segments[2:4] == ("actions", "secrets"):
            return self._organization_secrets(request, grant, segments[1], segments[4:])
        if segments[0] == "repos" and len(segments) >= 3:
            return self._repository(request, grant, f"{segments[1]}/{segments[2]}", segments[3:])
        return NOT_FOUND

    def _check_headers(self, request: StandInRequest) -> Answer | None:
        if not request.headers.get("user-agent"):
            return _error(
                403,
                "Request forbidden by administrative rules. Please make sure your request has a "
                "User-Agent header",
            )
        version = request.headers.get("x-github-api-version")
        if version is not None and version != API_VERSION:
            return _error(400, f"Unsupported 'X-GitHub-Api-Version': {version}")
        if not _token(request):
            return _error(401, "Requires authentication")
        return None

    def _repository(
        self, request: StandInRequest, grant: Grant, full_name: str, rest: tuple[str, ...]
    ) -> Answer:
        repository = self.repositories.get(full_name)
        owner, name = full_name.split("/")
        if repository is None or not grant.covers(owner, name):
            return NOT_FOUND
        if not rest and request.method == "GET":
            return Answer(200, {"id": repository.id, "full_name": full_name, "name": name})
        if rest[:2] == ("actions", "secrets"):
            return self._secrets(request, repository.store, rest[2:], organization=False)
        if len(rest) >= 4 and rest[0] == "environments" and rest[2] == "secrets":
            store = repository.environments.get(rest[1])
            if store is None:
                return NOT_FOUND
            return self._secrets(request, store, rest[3:], organization=False)
        return NOT_FOUND

    def _organization_secrets(
        self, request: StandInRequest, grant: Grant, organization: str, rest: tuple[str, ...]
    ) -> Answer:
        store = self.organizations.get(organization)
        if store is None or not grant.covers(organization, None):
            return NOT_FOUND
        return self._secrets(request, store, rest, organization=True)

    def _secrets(
        self, request: StandInRequest, store: SecretStore, rest: tuple[str, ...], organization: bool
    ) -> Answer:
        if rest == ("public-key",) and request.method == "GET":
            return Answer(200, store.public_key())
        if len(rest) != 1 or request.method != "PUT":
            return NOT_FOUND
        name = rest[0]
        if not SECRET_NAME.fullmatch(name) or name.upper().startswith("GITHUB_"):
            return _error(
                422,
                "Invalid request.\n\nSecret names can only contain alphanumeric characters or "
                f"underscores, and must not start with GITHUB_: {name}",
            )
        body = request.body if isinstance(request.body, dict) else {}
        problem = _check_sealed(store, body) or (_check_visibility(body) if organization else None)
        if problem is not None:
            return problem
        created = name not in store.secrets
        store.secrets[name] = dict(body)
        return Answer(201 if created else 204)

    def _app_endpoint(self, request: StandInRequest) -> Answer:
        app = self.app
        if app is None or not self._valid_jwt(app, _token(request)):
            return _error(401, "A JSON web token could not be decoded")
        segments = request.segments
        if request.method == "GET" and segments[-1] == "installation":
            owner = segments[1]
            known = segments[0] == "orgs" and owner in self.organizations
            known = known or (
                segments[0] == "repos" and "/".join(segments[1:3]) in self.repositories
            )
            if not known or owner not in app.installations:
                return NOT_FOUND
            return Answer(200, {"id": app.installations[owner], "app_id": app.app_id})
        if request.method == "POST" and segments[:2] == ("app", "installations"):
            return self._installation_token(app, int(segments[2]), request.body)
        return NOT_FOUND

    def _installation_token(self, app: App, installation_id: int, body: Any) -> Answer:
        owners = [owner for owner, id_ in app.installations.items() if id_ == installation_id]
        if not owners:
            return NOT_FOUND
        names = (body or {}).get("repositories")
        token = "ghs_" + secrets.token_hex(18)
        self.grants[token] = Grant(owners[0], None if names is None else frozenset(names))
        expires = self.now() + datetime.timedelta(hours=1)
        return Answer(201, {"token": token, "expires_at": expires.isoformat()})

    def _valid_jwt(self, app: App, token: str) -> bool:
        try:
            header, claims, signature = (_unbase64url(part) for part in token.split("."))
            app.public_key.verify(
                signature,
                token.rsplit(".", 1)[0].encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            header, claims = json.loads(header), json.loads(claims)
        except (ValueError, InvalidSignature):
            return False
        now = self.now().timestamp()
        return (
            header.get("alg") == "RS256"
            and str(claims.get("iss")) == app.app_id
            and claims["iat"] <= now + 60
            and now < claims["exp"] <= claims["iat"] + JWT_LONGEST_SECONDS
        )


def _token(request: StandInRequest) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "token") else ""


def _unbase64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _check_sealed(store: SecretStore, body: dict[str, Any]) -> Answer | None:
    if not isinstance(body.get("encrypted_value"), str) or not isinstance(body.get("key_id"), str):
        return _error(422, "Invalid request.\n\nencrypted_value and key_id are required.")
    if body["key_id"] != store.key_id:
        return _error(422, "Invalid request.\n\nkey_id is not the current key's id.")
    try:
        SealedBox(store.private_key).decrypt(base64.b64decode(body["encrypted_value"]))
    except (CryptoError, ValueError):
        return _error(422, "Invalid request.\n\nencrypted_value cannot be decrypted.")
    return None


def _check_visibility(body: dict[str, Any]) -> Answer | None:
    visibility = body.get("visibility")
    if visibility not in ("all", "private", "selected"):
        return _error(422, "Invalid request.\n\nvisibility must be all, private or selected.")
    ids = body.get("selected_repository_ids")
    if visibility == "selected" and not (
        isinstance(ids, list) and all(isinstance(i, int) for i in ids)
    ):
        return _error(422, "Invalid request.\n\nselected_repository_ids must be integers.")
    return None


def rsa_key_pair() -> tuple[str, rsa.RSAPublicKey]:
    """A GitHub App's key pair: the private key as GitHub gives it (PKCS #1 PEM), the public."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return pem.decode(), key.public_key()
