"""Secrets Manager's versions and their staging labels as AWS keeps them; moto differs four times.

1. UpdateSecretVersionStage: in AWS, GetSecretValue without a stage returns the AWSCURRENT
   version and PutSecretValue moves AWSPREVIOUS to the version that was AWSCURRENT. moto tracks
   a separate default version that UpdateSecretVersionStage leaves behind, so after AWSCURRENT
   moves back (a roll back) both calls would use the wrong version. The patch moves the
   default with the stage.
2. PutSecretValue with a custom staging label in VersionStages (``PENDING_HANDOFF``): AWS
   moves that label off the version that had it, so one version at most carries it, and the
   version that loses AWSCURRENT keeps its other labels (it gains AWSPREVIOUS). moto leaves
   the custom label on the other version too, unless that version was AWSCURRENT, whose
   labels it then replaces with AWSPREVIOUS alone (so a pending version overwritten by hand
   would lose PENDING_HANDOFF). The patch gives every older version AWS's labels.
3. A secret scheduled for deletion: AWS refuses PutSecretValue and UpdateSecretVersionStage
   on it, and CreateSecret of its name, with ``InvalidRequestException``; moto accepts the
   first two and answers the third ``ResourceExistsException``. The patch answers as AWS.
4. The versions quota: Secrets Manager keeps every version younger than 24 hours and removes
   unlabelled ones only beyond 100, so a secret written more than about 100 times a day
   refuses the next write (``LimitExceededException``); moto keeps any number. The patch
   removes what AWS would remove and refuses what AWS would refuse.

``tests/unit/test_moto_patches.py`` proves them; a test asks for them with the fixture
``moto_secret_stages`` (tests/conftest.py).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from moto.secretsmanager.exceptions import InvalidRequestException, SecretsManagerClientError
from moto.secretsmanager.models import SecretsManagerBackend

CHECKED_AGAINST = ("moto", "5.2.5")

# Versions of a secret Secrets Manager keeps (it removes unlabelled ones beyond these once they are
# 24 hours old).
SECRET_VERSIONS_KEPT = 100


class LimitExceededException(SecretsManagerClientError):
    def __init__(self, message: str) -> None:
        super().__init__("LimitExceededException", message)


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto keep a secret's versions and stages as AWS does (undone with ``monkeypatch``)."""

    original_update = SecretsManagerBackend.update_secret_version_stage
    original_put = SecretsManagerBackend.put_secret_value
    original_create = SecretsManagerBackend.create_secret

    def refuse_if_scheduled_for_deletion(self: SecretsManagerBackend, secret_id: str) -> None:
        if self._is_valid_identifier(secret_id) and self.secrets[secret_id].is_deleted():
            raise InvalidRequestException(
                "You can't perform this operation on the secret because it was marked for deletion."
            )

    def keep_within_the_version_quota(self: SecretsManagerBackend, secret_id: str) -> None:
        if not self._is_valid_identifier(secret_id):
            return
        versions = self.secrets[secret_id].versions
        day_ago = time.time() - 24 * 3600
        removable = [
            version_id
            for version_id, version in versions.items()
            if not version["version_stages"] and version["createdate"] < day_ago
        ]
        for version_id in removable[: max(0, len(versions) - SECRET_VERSIONS_KEPT)]:
            del versions[version_id]
        if len(versions) >= SECRET_VERSIONS_KEPT:
            raise LimitExceededException(
                f"You have exceeded the maximum number of versions ({SECRET_VERSIONS_KEPT}) of "
                "this secret; versions created in the last 24 hours are kept."
            )

    def create_secret(self: SecretsManagerBackend, name: str, *args: Any, **kwargs: Any) -> str:
        if self._is_valid_identifier(name) and self.secrets[name].is_deleted():
            raise InvalidRequestException(
                "You can't create this secret because a secret with this name is already "
                "scheduled for deletion."
            )
        result: str = original_create(self, name, *args, **kwargs)
        return result

    def update_secret_version_stage(
        self: SecretsManagerBackend,
        secret_id: str,
        version_stage: str,
        remove_from_version_id: str,
        move_to_version_id: str,
    ) -> tuple[str, str]:
        refuse_if_scheduled_for_deletion(self, secret_id)
        result = original_update(
            self, secret_id, version_stage, remove_from_version_id, move_to_version_id
        )
        if version_stage == "AWSCURRENT" and move_to_version_id:
            self.secrets[secret_id].default_version_id = move_to_version_id
        return result

    def put_secret_value(
        self: SecretsManagerBackend,
        secret_id: str,
        secret_string: str,
        secret_binary: str,
        client_request_token: str,
        version_stages: list[str],
    ) -> str:
        refuse_if_scheduled_for_deletion(self, secret_id)
        keep_within_the_version_quota(self, secret_id)
        # moto keeps the list it is given as the new version's labels: read it before the call.
        taken = set(version_stages)
        before = (
            {v: list(s["version_stages"]) for v, s in self.secrets[secret_id].versions.items()}
            if self._is_valid_identifier(secret_id)
            else {}
        )
        result: str = original_put(
            self, secret_id, secret_string, secret_binary, client_request_token, version_stages
        )
        new_version = json.loads(result)["VersionId"]
        if new_version in before:  # a repeated request (same token): AWS changes nothing
            return result
        versions = self.secrets[secret_id].versions
        for version_id, labels in before.items():
            kept = [label for label in labels if label not in taken]
            if "AWSCURRENT" in taken:  # AWSPREVIOUS goes to the version that was AWSCURRENT
                kept = [label for label in kept if label != "AWSPREVIOUS"]
                kept += ["AWSPREVIOUS"] if "AWSCURRENT" in labels else []
            versions[version_id]["version_stages"] = kept
        return result

    monkeypatch.setattr(
        SecretsManagerBackend, "update_secret_version_stage", update_secret_version_stage
    )
    monkeypatch.setattr(SecretsManagerBackend, "put_secret_value", put_secret_value)
    monkeypatch.setattr(SecretsManagerBackend, "create_secret", create_secret)
