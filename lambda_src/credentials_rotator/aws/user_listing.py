"""Listing the IAM users of one account that a path prefix and a tag select (``selection``), the
way the module chose for the account (``user_listing`` of its settings, settings.tf):

- a path prefix only: ``ListUsers`` with ``PathPrefix``, up to 1,000 users a page. It returns no
  tags, so these users have no metadata.
- a tag, with or without a path prefix: ``GetAccountAuthorizationDetails`` filtered to users, up
  to 1,000 users a page, each with its path and tags; the path and the tag are matched here. The
  alternative, one ``ListUserTags`` call per user, would cost 5,000 calls in a 5,000-user account.
  A selected user's metadata is the value of its ``credentials-rotator:metadata`` tag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from credentials_rotator.model.shapes import User
from credentials_rotator.settings.config_values import Account, UserTag

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

METADATA_TAG = "credentials-rotator:metadata"
# The largest page IAM serves; it may serve fewer, and pagination follows its Marker.
PAGE_SIZE = 1000


def list_users(iam: IAMClient, account: Account) -> list[User]:
    """The users of ``iam``'s account under its path prefix that carry its tag, sorted by name."""
    path_prefix = account.user_path_prefix or "/"
    if account.user_listing == "GetAccountAuthorizationDetails":
        users = _list_by_tag(iam, path_prefix, account.user_tag)
    else:
        users = _list_by_path(iam, path_prefix)
    return sorted(users, key=lambda user: user["username"].lower())


def _list_by_path(iam: IAMClient, path_prefix: str) -> list[User]:
    pages = iam.get_paginator("list_users").paginate(
        PathPrefix=path_prefix, PaginationConfig={"PageSize": PAGE_SIZE}
    )
    return [
        {"username": user["UserName"], "metadata": None} for page in pages for user in page["Users"]
    ]


def _list_by_tag(iam: IAMClient, path_prefix: str, tag: UserTag | None) -> list[User]:
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User"], PaginationConfig={"PageSize": PAGE_SIZE}
    )
    users: list[User] = []
    for page in pages:
        for detail in page.get("UserDetailList", []):
            if not detail.get("Path", "/").startswith(path_prefix):
                continue
            tags = {item["Key"].lower(): item["Value"] for item in detail.get("Tags", [])}
            if tag is not None:
                value = tags.get(tag.key.lower())
                if value is None or (tag.value is not None and value != tag.value):
                    continue
            users.append({"username": detail["UserName"], "metadata": tags.get(METADATA_TAG)})
    return users
