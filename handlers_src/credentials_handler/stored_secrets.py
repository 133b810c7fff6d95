"""Reading secret values from Secrets Manager: the rotated key, the target's credentials."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from credentials_handler.errors import KeyMismatch, SecretUnreadable
from credentials_handler.event import Handoff
from credentials_handler.secrecy import keep_secret

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


@dataclass(frozen=True)
class RotatedKey:
    """The new access key; its secret part never shows in a repr."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


def read_rotated_key(secretsmanager: SecretsManagerClient, handoff: Handoff) -> RotatedKey:
    """The key of the secret version the handoff names, checked against what it announces."""
    try:
        version = secretsmanager.get_secret_value(
            SecretId=handoff.secret_id, VersionId=handoff.version_id
        )
    except ClientError as exc:
        raise SecretUnreadable(
            f"version {handoff.version_id} of {handoff.secret_id} cannot be read: {exc}"
        ) from exc
    try:
        value = json.loads(version.get("SecretString") or "")
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise KeyMismatch(f"version {handoff.version_id} of {handoff.secret_id} holds no key")
    secret_access_key = value.get("SecretAccessKey")
    if not isinstance(secret_access_key, str) or not secret_access_key:
        raise KeyMismatch(f"version {handoff.version_id} of {handoff.secret_id} holds no key")
    keep_secret(secret_access_key)
    if value.get("AccessKeyId") != handoff.access_key_id or value.get("UserName") != (
        handoff.username
    ):
        raise KeyMismatch(
            f"version {handoff.version_id} of {handoff.secret_id} holds key "
            f"{value.get('AccessKeyId')} of user {value.get('UserName')}, not the announced "
            f"{handoff.access_key_id} of {handoff.username}"
        )
    return RotatedKey(handoff.access_key_id, secret_access_key)


def read_credential(secretsmanager: SecretsManagerClient, secret_arn: str) -> str:
    """The current value of a secret that holds a target's credential (a token, a private key),
    registered as secret."""
    try:
        value = secretsmanager.get_secret_value(SecretId=secret_arn).get("SecretString") or ""
    except ClientError as exc:
        raise SecretUnreadable(f"the secret {secret_arn} cannot be read: {exc}") from exc
    if not value.strip():
        raise SecretUnreadable(f"the secret {secret_arn} holds no text")
    return keep_secret(value.strip())
