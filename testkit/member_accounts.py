"""Member accounts in moto: clients that act in another account, and the member role there.

moto keeps one backend per account and picks the account of a request from the header
``x-moto-account-id`` (or from the credentials of an assumed role), so a test seeds a member
account's users and role through ``client_in``. The role's policy is ``modules/member-role``'s;
the workflow tier's authorization guard holds the calls made through it to that policy.

The rotator names a member account's user ``<account_id>/<username>`` (``rotator_name``), and the
workflow harness does too, wherever it names users.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config

MEMBER_ROLE_NAME = "credentials-rotator-member"
HUB_ACCOUNT = "123456789012"
# The user agent of the harness's own clients (testkit/world/setting.py, HARNESS_AGENT): the
# workflow tier's authorization guard and fault injector leave their calls alone.
TEST_CLIENTS = Config(user_agent_extra="rotator-test-harness")


def rotator_name(account_id: str | None, username: str) -> str:
    """How the rotator names the IAM user ``username`` of ``account_id``: ``<account_id>/
    <username>`` in a member account, the bare name in the hub's (or for None). A name that holds
    '/' already is the rotator's (IAM user names hold none)."""
    if account_id in (None, HUB_ACCOUNT) or "/" in username:
        return username
    return f"{account_id}/{username}"


def split(name: str) -> tuple[str | None, str]:
    """The account (None: the hub's) and the IAM user name of a rotator's name."""
    account_id, slash, username = name.rpartition("/")
    return (account_id, username) if slash else (None, name)


def account_of_access_key(access_key_id: str) -> str:
    """The account an access key acts in, as moto decides it: a member role's temporary key (or
    an IAM user's) in its account, any other key (the functions' ``testing``) in the hub's."""
    from moto.iam.models import get_account_id_from  # noqa: PLC0415  (moto is imported when used)

    return str(get_account_id_from(access_key_id))


def client_in(account_id: str, service: str, session: boto3.Session | None = None) -> Any:
    """A boto3 client of the mocked ``service`` acting in ``account_id``, as the test's own
    (``TEST_CLIENTS``: its calls are neither authorized nor faulted), from ``session`` (default:
    boto3's default session, whose hooks the workflow harness registers to count calls)."""
    if session is None:
        made = boto3.client(service, region_name="us-east-1", config=TEST_CLIENTS)  # type: ignore[call-overload]
    else:
        made = session.client(service, region_name="us-east-1", config=TEST_CLIENTS)  # type: ignore[call-overload]

    def to_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account_id

    made.meta.events.register("before-sign", to_account)
    return made


def trust_policy(trusted: list[str], external_id: str | None = None) -> str:
    """A member role's trust: the hub's function roles, and the external id when one is set."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": trusted},
        "Action": "sts:AssumeRole",
    }
    if external_id is not None:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def create_member_role(
    account_id: str,
    *,
    role_name: str = MEMBER_ROLE_NAME,
    trusted: list[str] | None = None,
    external_id: str | None = None,
) -> str:
    """Create the member role in ``account_id``; its ARN."""
    iam = client_in(account_id, "iam")
    principals = trusted or [f"arn:aws:iam::{HUB_ACCOUNT}:root"]
    role = iam.create_role(
        RoleName=role_name, AssumeRolePolicyDocument=trust_policy(principals, external_id)
    )
    return str(role["Role"]["Arn"])
