"""Authenticating as a GitHub App: a JSON Web Token signed with the app's private key (RS256),
exchanged for an installation access token in every invocation (tokens are never kept).

JWTs are a header and claims in base64url JSON and a signature: the standard library writes
them, and ``cryptography`` signs (PKCS #1 v1.5 with SHA-256, what RS256 names).
"""

from __future__ import annotations

import base64
import json

from credentials_handler import clock
from credentials_handler.calls import answer_field
from credentials_handler.errors import InvalidCredential
from credentials_handler.secrecy import keep_secret
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from github_actions_handler.api import GitHubApi
from github_actions_handler.targets import GitHubTarget

# GitHub accepts a JWT issued up to 60 s in the past (clock drift) for at most 10 minutes.
ISSUED_SECONDS_AGO = 60
VALID_SECONDS = 9 * 60


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def app_jwt(app_id: str, private_key_pem: str) -> str:
    """A JWT that authenticates as the app ``app_id`` (its client id or its app id)."""
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidCredential("the GitHub App private key is not an unencrypted PEM key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidCredential("the GitHub App private key is not an RSA key")
    issued = int(clock.now().timestamp()) - ISSUED_SECONDS_AGO
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {"iat": issued, "exp": issued + VALID_SECONDS, "iss": app_id}
    signing_input = ".".join(
        _base64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return keep_secret(f"{signing_input}.{_base64url(signature)}")


def installation_path(target: GitHubTarget) -> str:
    """Where GitHub says which installation of the app covers the target."""
    if target.organization is not None:
        return f"/orgs/{target.organization}/installation"
    return f"/repos/{target.repository}/installation"


def installation_token(
    api: GitHubApi,
    jwt: str,
    targets: tuple[GitHubTarget, ...],
    installation_id: int | None,
) -> str:
    """An installation access token for ``targets`` (all of one owner). When they are all of
    repositories, the token is limited to those repositories."""
    if installation_id is None:
        path = installation_path(targets[0])
        installation_id = int(answer_field(api.request("GET", path, jwt), "id", f"GET {path}"))
    body = None
    if all(target.repository is not None for target in targets):
        names = sorted({str(target.repository).split("/")[1] for target in targets})
        body = {"repositories": names}
    path = f"/app/installations/{installation_id}/access_tokens"
    answer = api.request("POST", path, jwt, body)
    return keep_secret(str(answer_field(answer, "token", f"POST {path}")))
