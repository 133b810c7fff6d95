"""The typed values of the functions' settings (``config``): what each account selects, and the
choices the module offers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

OldKeyAction = Literal["delete", "deactivate"]
InUseKeyAction = Literal["defer", "deactivate", "retire"]
# How plan lists an account's selected users (``user_listing``); the module chooses (settings.tf).
UserListing = Literal["ListUsers", "GetAccountAuthorizationDetails"]

ACCOUNT_ID = re.compile(r"[0-9]{12}", re.ASCII)


def split_user_name(name: str) -> tuple[str | None, str]:
    """The account (None: the hub's) and the IAM user name of a rotator's user name: a member
    user is ``<account_id>/<username>`` (``accounts``); IAM user names hold no '/'."""
    account_id, slash, username = name.rpartition("/")
    return (account_id, username) if slash else (None, name)


@dataclass(frozen=True)
class UserTag:
    """Users carrying the tag ``key`` (any value when ``value`` is None) are selected."""

    key: str
    value: str | None = None


@dataclass(frozen=True)
class Account:
    """One account whose users the functions act on, the module's own or a member: the role they
    assume there (None: the module's own account, where they act as themselves, or a member
    account of the default role), which of its users runs select and how they list them (None:
    none, only the listed users), and the names never rotated there."""

    role_arn: str | None = None
    user_path_prefix: str | None = None
    user_tag: UserTag | None = None
    exclude_users: frozenset[str] = frozenset()
    user_listing: UserListing | None = None

    @property
    def selects_users(self) -> bool:
        return self.user_listing is not None
