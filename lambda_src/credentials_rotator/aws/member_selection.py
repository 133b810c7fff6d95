"""The users each member account selects by its own path prefix and tag (``accounts`` of the
module), listed with its member role.

An account whose role cannot be assumed, or whose users cannot be listed, stops no other: its
users are reported failed as ``<account_id>/*`` (``AccountUnreachable``), and the listed users of
that account fail when their rotation cannot assume the role either.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from credentials_rotator.aws import accounts
from credentials_rotator.aws.failures import describe_error
from credentials_rotator.aws.user_listing import list_users
from credentials_rotator.model.errors import AccountUnreachable, cut
from credentials_rotator.model.shapes import FailedEntry, User
from credentials_rotator.settings import log
from credentials_rotator.settings.config import Config

LOGGER = log.get_logger(__name__)


def member_users(
    settings: Config, unreachable: list[FailedEntry], among: set[str | None] | None = None
) -> list[User]:
    """Every member account's selected users (``<account_id>/<username>``), account by account,
    of the accounts ``among`` (None: all); each account that could not be listed is appended to
    ``unreachable``."""
    users: list[User] = []
    for account_id, member in sorted(settings.accounts.items()):
        if not member.selects_users or (among is not None and account_id not in among):
            continue
        try:
            iam = accounts.member_iam(account_id, settings)
            users.extend(list_users(iam, member))
        except AccountUnreachable as exc:
            unreachable.append(_unreachable(account_id, str(exc)))
        except (ClientError, BotoCoreError) as exc:
            role_arn = settings.member_role_arn(account_id)
            unreachable.append(
                _unreachable(
                    account_id,
                    f"could not list the users of account {account_id} as {role_arn} "
                    f"({describe_error(exc)}); none of its users' keys was changed",
                )
            )
    return users


def _unreachable(account_id: str, message: str) -> FailedEntry:
    LOGGER.warning("member account unreachable", extra={"account_id": account_id})
    return {
        "username": f"{account_id}/*",
        "error": AccountUnreachable.__name__,
        "message": cut(message),
    }
