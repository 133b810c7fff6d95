"""The handler's settings, read once from the function's environment (``modules/handler-github-
actions`` sets them): the API's base URL and how to authenticate."""

from __future__ import annotations

from dataclasses import dataclass

from credentials_handler import environment
from credentials_handler.errors import ConfigError


@dataclass(frozen=True)
class AppSettings:
    """A GitHub App: its client id (or app id) and the secret that holds its private key."""

    app_id: str
    private_key_secret_arn: str
    installation_id: int | None  # None: found for each target's owner


@dataclass(frozen=True)
class Settings:
    api_url: str  # https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server
    token_secret_arn: str | None
    app: AppSettings | None


def load_settings() -> Settings:
    token_secret_arn = environment.optional("GITHUB_TOKEN_SECRET_ARN")
    app_id = environment.optional("GITHUB_APP_ID")
    if (token_secret_arn is None) == (app_id is None):
        raise ConfigError("set exactly one of GITHUB_TOKEN_SECRET_ARN and GITHUB_APP_ID")
    app = None
    if app_id is not None:
        installation = environment.optional("GITHUB_APP_INSTALLATION_ID")
        if installation is not None and not installation.isdigit():
            raise ConfigError("environment variable GITHUB_APP_INSTALLATION_ID must be a number")
        app = AppSettings(
            app_id=app_id,
            private_key_secret_arn=environment.required("GITHUB_APP_PRIVATE_KEY_SECRET_ARN"),
            installation_id=None if installation is None else int(installation),
        )
    return Settings(
        api_url=environment.required("GITHUB_API_URL").rstrip("/"),
        token_secret_arn=token_secret_arn,
        app=app,
    )
