"""AssumeRole refuses as AWS does, for member roles.

moto answers every ``AssumeRole`` with credentials of the role's account, whether the role exists
or not, and ignores its trust policy. AWS refuses with ``AccessDenied`` ("... is not authorized to
perform: sts:AssumeRole on resource: <role ARN>") when the role does not exist, when its trust
policy names no principal, and when its trust policy requires an ``sts:ExternalId`` the caller did
not pass. The patch refuses those cases as AWS does; which principal the trust names is checked
by the workflow tier's authorization guard, which knows the function acting.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.core.exceptions import ServiceException
from moto.iam.models import iam_backends
from moto.sts.models import STSBackend

CHECKED_AGAINST = ("moto", "5.2.5")


class AccessDenied(ServiceException):
    code = "AccessDenied"


def refusal(role_arn: str, external_id: str | None) -> str | None:
    """Why AWS would refuse to assume ``role_arn`` (None: it would not)."""
    fields = role_arn.split(":")
    if len(fields) != 6 or not fields[5].startswith("role/"):
        return "not a role ARN"
    account_id, partition = fields[4], fields[1]
    backend = iam_backends[account_id][partition]
    name = fields[5].rsplit("/", 1)[-1]
    role = next((role for role in backend.roles.values() if role.name == name), None)
    if role is None:
        return "no such role"
    trust = json.loads(role.assume_role_policy_document)
    for statement in trust.get("Statement", []):
        conditions = statement.get("Condition", {}).get("StringEquals", {})
        wanted = conditions.get("sts:ExternalId")
        if statement.get("Effect") == "Allow" and wanted in (None, external_id):
            return None
    return "its trust policy does not allow the caller"


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    original = STSBackend.assume_role

    def assume_role(self: STSBackend, **kwargs: Any) -> Any:
        role_arn, external_id = kwargs["role_arn"], kwargs.get("external_id")
        if refusal(role_arn, external_id) is not None:
            raise AccessDenied(
                f"User: arn:aws:sts::{self.account_id}:assumed-role/caller is not authorized to "
                f"perform: sts:AssumeRole on resource: {role_arn}"
            )
        return original(self, **kwargs)

    monkeypatch.setattr(STSBackend, "assume_role", assume_role)
