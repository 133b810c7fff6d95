"""Users of other accounts (members): how the rotator names them, and the IAM client that acts on
them.

A member user is ``<account_id>/<username>`` everywhere in the rotator: in its batches, outcomes,
summary and events, and in its secret's name (``<name>/<account_id>/<username>``). IAM user names
cannot hold '/', so the name is unambiguous, and a hub user keeps its bare name (and its secret
``<name>/<username>``). Only IAM ever sees a member user's bare name: the member account's client,
signed with the credentials of its member role, takes the account off every ``UserName`` it sends
and puts it back on every ``UserName`` it receives. So the code that rotates, rolls back, retires
and selects works on member users unchanged, and every guarantee holds in each account alike.

A member role that cannot be assumed raises ``AccountUnreachable``, for that account's users only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from credentials_rotator.aws import clients
from credentials_rotator.aws.failures import describe_error
from credentials_rotator.model.errors import AccountUnreachable
from credentials_rotator.model.shapes import HandoffNames
from credentials_rotator.settings.config import Config
from credentials_rotator.settings.config_values import split_user_name as split

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

__all__ = ["handoff_names", "iam_for", "member_iam", "split"]

# The session name member accounts see in CloudTrail for the rotator's calls.
ROLE_SESSION_NAME = "credentials-rotator"


def handoff_names(name: str, settings: Config) -> HandoffNames:
    """How the handler knows the user ``name``: its account id and its IAM user name."""
    account_id, username = split(name)
    return {"accountId": account_id or settings.hub_account_id, "iamUsername": username}


def iam_for(name: str, iam: IAMClient, settings: Config) -> IAMClient:
    """The IAM client that acts on the user ``name``: the function's own ``iam`` for a hub user,
    the member role's for a member user (assumed once per process and role, while valid)."""
    account_id = split(name)[0]
    return iam if account_id is None else member_iam(account_id, settings)


def member_iam(account_id: str, settings: Config) -> IAMClient:
    """IAM of ``account_id`` as its member role, speaking the rotator's user names; raises
    ``AccountUnreachable`` when the role cannot be assumed."""
    role_arn = settings.member_role_arn(account_id)

    def assume() -> Mapping[str, Any]:
        sts = clients.sts_client()
        try:
            if settings.member_external_id is None:
                answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME)
            else:
                answer = sts.assume_role(
                    RoleArn=role_arn,
                    RoleSessionName=ROLE_SESSION_NAME,
                    ExternalId=settings.member_external_id,
                )
            return answer["Credentials"]
        except (ClientError, BotoCoreError) as exc:
            raise AccountUnreachable(
                f"account {account_id} is unreachable: could not assume role {role_arn} "
                f"({describe_error(exc)}); none of its users' keys was changed"
            ) from exc

    iam = clients.assumed_role_client("iam", role_arn, assume)
    names = _MemberNames(account_id)
    events = iam.meta.events
    events.register("before-parameter-build.iam", names.to_iam, unique_id=f"to-iam-{account_id}")
    events.register("after-call.iam", names.from_iam, unique_id=f"from-iam-{account_id}")
    return iam  # type: ignore[no-any-return]


class _MemberNames:
    """Takes the account off the user names IAM gets, and puts it back on those it returns."""

    def __init__(self, account_id: str) -> None:
        self.prefix = f"{account_id}/"

    def to_iam(self, params: dict[str, Any], **_: Any) -> None:
        name = params.get("UserName")
        if isinstance(name, str) and name.startswith(self.prefix):
            params["UserName"] = name[len(self.prefix) :]

    def from_iam(self, parsed: Any, **_: Any) -> None:
        if isinstance(parsed, dict):
            for key, value in parsed.items():
                if key == "UserName" and isinstance(value, str) and "/" not in value:
                    parsed[key] = self.prefix + value
                else:
                    self.from_iam(value)
        elif isinstance(parsed, list):
            for item in parsed:
                self.from_iam(item)
