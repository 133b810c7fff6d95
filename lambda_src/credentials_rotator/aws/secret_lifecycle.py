"""The user's secret exists and can be used: the rotator creates it when it is missing and
restores it when someone scheduled it for deletion (docs/design.md, "The user's secret").

The rotator owns every user's secret (Terraform creates none), so a user that leaves the list and
comes back, a destroy followed by an apply, or a user the rotator already serves that is then
listed, never meets a secret of the same name in the way. A secret scheduled for deletion still
holds the user's record; AWS refuses to read or write it (``InvalidRequestException``) until it is
restored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from credentials_rotator.aws.failures import error_code
from credentials_rotator.settings.config import Config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)


def restore(secretsmanager: SecretsManagerClient, secret_name: str, exc: ClientError) -> bool:
    """Restore the secret when ``exc`` came from its being scheduled for deletion; True if so."""
    if error_code(exc) != "InvalidRequestException":
        return False
    if "DeletedDate" not in secretsmanager.describe_secret(SecretId=secret_name):
        return False
    secretsmanager.restore_secret(SecretId=secret_name)
    LOGGER.warning("restored a secret scheduled for deletion", extra={"secret_name": secret_name})
    return True


def create(secretsmanager: SecretsManagerClient, config: Config, username: str) -> None:
    """Create the user's secret, with the module's KMS key and tags; restore one of the same name
    that is scheduled for deletion."""
    options: dict[str, Any] = {}
    if config.secret_kms_key_id:
        options["KmsKeyId"] = config.secret_kms_key_id
    if config.secret_tags:
        options["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(config.secret_tags.items())]
    secret_name = config.secret_name(username)
    try:
        secretsmanager.create_secret(
            Name=secret_name,
            Description=f"Access key of IAM user {username}, kept by the credentials rotator",
            **options,
        )
    except ClientError as exc:
        if error_code(exc) != "ResourceExistsException" and not restore(
            secretsmanager, secret_name, exc
        ):
            raise
        return
    LOGGER.info("created secret", extra={"username": username, "secret_name": secret_name})
