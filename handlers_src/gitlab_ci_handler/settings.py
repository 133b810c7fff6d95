"""The handler's settings, read once from the function's environment (``modules/handler-gitlab-
ci`` sets them): the API's base URL and the secret that holds the access token."""

from __future__ import annotations

from dataclasses import dataclass

from credentials_handler import environment


@dataclass(frozen=True)
class Settings:
    api_url: str  # https://gitlab.com/api/v4, or the same path on a self-managed instance
    token_secret_arn: str


def load_settings() -> Settings:
    return Settings(
        api_url=environment.required("GITLAB_API_URL").rstrip("/"),
        token_secret_arn=environment.required("GITLAB_TOKEN_SECRET_ARN"),
    )
