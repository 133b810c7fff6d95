"""STS's GetCallerIdentity refuses a key as AWS does.

moto's ``sts:GetCallerIdentity`` authenticates any access key: one that belongs to no IAM user
gets a default identity (``user/moto``), and an inactive or deleted key still works. AWS refuses
those with ``InvalidClientTokenId`` (403, "The security token included in the request is
invalid."), and refuses a new key for some seconds after ``CreateAccessKey`` too (IAM is
eventually consistent). The patch refuses them so, a new key for as long as ``propagation()``,
the rule in force (testkit/key_propagation.py), says; and moto's CreateAccessKey tells that rule
when each key was created. Keys that are not IAM users' keys (the functions' ``testing``
credentials, standing for their roles) keep moto's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from moto.core.exceptions import InvalidClientTokenIdError
from moto.iam.models import IAMBackend, iam_backends
from moto.sts.models import STSBackend

from testkit.key_propagation import Propagation
from testkit.member_accounts import rotator_name

CHECKED_AGAINST = ("moto", "5.2.5")
IAM_USER_KEY_PREFIX = "AKIA"


def patch(monkeypatch: pytest.MonkeyPatch, propagation: Callable[[], Propagation]) -> None:
    original = STSBackend.get_caller_identity
    create_access_key = IAMBackend.create_access_key

    def created(backend: IAMBackend, user_name: str, *args: Any, **kwargs: Any) -> Any:
        key = create_access_key(backend, user_name, *args, **kwargs)
        propagation().created_now(key.access_key_id)
        return key

    def get_caller_identity(
        backend: STSBackend, access_key_id: str, region: str
    ) -> tuple[str, str, str]:
        if not access_key_id.startswith(IAM_USER_KEY_PREFIX):
            return original(backend, access_key_id, region)
        iam = iam_backends[backend.account_id][backend.partition]
        key = iam.access_keys.get(access_key_id)
        user = iam.users.get(key.user_name) if key and key.user_name else None
        if user is None or key is None or key.status != "Active":
            raise InvalidClientTokenIdError
        if propagation().refuses(access_key_id, rotator_name(backend.account_id, user.name)):
            raise InvalidClientTokenIdError
        return user.id, user.arn, user.account_id

    monkeypatch.setattr(STSBackend, "get_caller_identity", get_caller_identity)
    monkeypatch.setattr(IAMBackend, "create_access_key", created)
