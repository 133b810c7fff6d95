"""IAM's user listings paged as AWS pages them.

moto answers ListUsers and GetAccountAuthorizationDetails with every user in one page and ignores
MaxItems and Marker. AWS serves at most MaxItems users a page (100 by default) and "might return
fewer results, even when there are more results available" (IAM API reference). ``patch``
makes moto serve at most ``SERVED_PER_PAGE`` users a page whatever MaxItems asks for, with a
Marker to the next page, so code that does not follow Marker misses users.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.core.responses import ActionResult
from moto.iam.responses import IamResponse

CHECKED_AGAINST = ("moto", "5.2.5")
SERVED_PER_PAGE = 100


def _page(response: IamResponse, items: list[Any], key: str) -> dict[str, Any]:
    marker = response._get_param("Marker")
    max_items = int(response._get_param("MaxItems") or 100)
    start = int(marker) if marker else 0
    end = start + min(max_items, SERVED_PER_PAGE)
    page: dict[str, Any] = {key: items[start:end], "IsTruncated": end < len(items)}
    if end < len(items):
        page["Marker"] = str(end)
    return page


def _list_users(self: IamResponse) -> ActionResult:
    users = self.backend.list_users(self._get_param("PathPrefix"), None, None)
    return ActionResult(_page(self, sorted(users, key=lambda user: user.name), "Users"))


def _get_account_authorization_details(self: IamResponse) -> ActionResult:
    details = self.backend.get_account_authorization_details(self._get_param("Filter", []))
    users = sorted(details["users"], key=lambda user: user.name)
    page = _page(self, users, "UserDetailList")
    page.update(
        GroupDetailList=list(details["groups"]),
        RoleDetailList=list(details["roles"]),
        Policies=list(details["managed_policies"]),
    )
    return ActionResult(page)


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto page ListUsers and GetAccountAuthorizationDetails (users) as AWS may."""
    monkeypatch.setattr(IamResponse, "list_users", _list_users)
    monkeypatch.setattr(
        IamResponse, "get_account_authorization_details", _get_account_authorization_details
    )
