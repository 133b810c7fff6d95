"""Entry point ``read_records``: read the delivery records of a batch's users, 20 secrets a call.

Each user's record is reduced to ids, dates and stages at once (``delivery_record.hint_of``); a
secret that does not exist gives a hint without a secret, one that could not be read gives None,
and ``rotate`` then reads that user's record itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from credentials_rotator.aws import clients
from credentials_rotator.handlers.entry import entry_point
from credentials_rotator.model import delivery_record
from credentials_rotator.model.shapes import ReadRecordsEvent, ReadRecordsResult, RecordHint
from credentials_rotator.run.events import parse_read_records_event
from credentials_rotator.settings import config

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

# BatchGetSecretValue returns at most 20 secrets a call (an AWS limit, not a setting).
SECRETS_PER_READ = 20
NO_SECRET: RecordHint = {
    "secretArn": None,
    "versionId": None,
    "accessKeyId": None,
    "createDate": None,
    "pending": False,
    "deferred": False,
}


@entry_point
def handler(event: Any, context: object) -> ReadRecordsResult:
    return read_records(
        clients.secretsmanager_client(), config.load(), parse_read_records_event(event)
    )


def read_records(
    secretsmanager: SecretsManagerClient, settings: config.Config, event: ReadRecordsEvent
) -> ReadRecordsResult:
    """The batch's entries, each with its user's record hint."""
    names = [settings.secret_name(entry["user"]["username"]) for entry in event["entries"]]
    hints = read_hints(secretsmanager, names)
    return {
        "entries": [
            {"user": entry["user"], "record": hints[name]}
            for entry, name in zip(event["entries"], names, strict=True)
        ]
    }


def read_hints(
    secretsmanager: SecretsManagerClient, secret_names: list[str]
) -> dict[str, RecordHint | None]:
    """The AWSCURRENT version of each secret, as a hint; None where it could not be read."""
    hints: dict[str, RecordHint | None] = dict.fromkeys(secret_names)
    for start in range(0, len(secret_names), SECRETS_PER_READ):
        chunk = secret_names[start : start + SECRETS_PER_READ]
        response = secretsmanager.batch_get_secret_value(SecretIdList=chunk)
        for value in response.get("SecretValues", []):
            name = value.get("Name")
            if name in hints and "VersionId" in value and "ARN" in value:
                hints[name] = delivery_record.hint_of(dict(value))
        for error in response.get("Errors", []):
            name = error.get("SecretId")
            if name in hints and error.get("ErrorCode") == "ResourceNotFoundException":
                hints[name] = dict(NO_SECRET)  # type: ignore[assignment]
    return hints
