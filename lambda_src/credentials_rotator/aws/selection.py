"""Which users a run rotates: the configured ones, those selected in IAM, minus the excluded ones.

Selected users are listed at run time (docs/design.md, "Selecting users"; ``user_listing``), in
the hub's account by the module's selection and in each member account by its own
(``member_selection``). A member account's users are ``<account_id>/<username>`` (``accounts``).

Names compare without case, as IAM user names and tag keys do; paths and tag values with case, as
the rotator's policies compare them.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, NamedTuple

from botocore.exceptions import ClientError

from credentials_rotator.aws import accounts, member_selection
from credentials_rotator.aws.failures import describe_error, error_code
from credentials_rotator.aws.user_listing import METADATA_TAG, list_users
from credentials_rotator.model.errors import InvalidUsersParameter, UnknownUser
from credentials_rotator.model.shapes import FailedEntry, User
from credentials_rotator.settings import log
from credentials_rotator.settings.config import Config
from credentials_rotator.settings.config_values import ACCOUNT_ID

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_ssm import SSMClient

LOGGER = log.get_logger(__name__)

__all__ = ["METADATA_TAG", "list_users"]

# An IAM user name, as IAM accepts it. The users parameter may be written by hand, so it is read
# with IAM's own rule; a name with ',' is then refused with its own message (``_refuse_commas``).
IAM_USER_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
# How many names a message lists before it says how many more there are.
NAMES_SHOWN = 10


def read_users(
    ssm: SSMClient, parameter_name: str, hub_account_id: str | None = None
) -> list[User]:
    """Read and validate the users parameter; raise ``InvalidUsersParameter``."""
    try:
        raw = ssm.get_parameter(Name=parameter_name)["Parameter"].get("Value", "")
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            raise InvalidUsersParameter(f"users parameter {parameter_name} does not exist") from exc
        raise InvalidUsersParameter(
            f"could not read users parameter {parameter_name}: {describe_error(exc)}"
        ) from exc
    return parse_users(raw, parameter_name, hub_account_id)


def parse_users(raw: str, parameter_name: str, hub_account_id: str | None = None) -> list[User]:
    """The users of the parameter's JSON list; one user twice (names ignore case) is refused.
    A user of another account than ``hub_account_id`` is named ``<account_id>/<username>``."""
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidUsersParameter(f"users parameter {parameter_name} is not valid JSON") from exc
    if not isinstance(entries, list):
        raise InvalidUsersParameter(f"users parameter {parameter_name} must hold a JSON list")
    users = [
        _parse_entry(entry, f"entry {i} of users parameter {parameter_name}", hub_account_id)
        for i, entry in enumerate(entries)
    ]
    first_spelling: dict[str, str] = {}
    for user in users:
        seen = first_spelling.get(user["username"].lower())
        if seen is not None:
            raise InvalidUsersParameter(
                f"users parameter {parameter_name} names one IAM user twice, as {seen!r} and "
                f"{user['username']!r} (IAM user names ignore case); keep one entry"
            )
        first_spelling[user["username"].lower()] = user["username"]
    return users


def _parse_entry(entry: object, where: str, hub_account_id: str | None) -> User:
    if not isinstance(entry, dict):
        raise InvalidUsersParameter(f"{where} must be an object with a username")
    unknown = sorted(set(entry) - {"username", "metadata", "accountId"})
    if unknown:
        raise InvalidUsersParameter(f"{where} has unknown key {unknown[0]!r}")
    username = entry.get("username")
    if not isinstance(username, str) or not IAM_USER_NAME.fullmatch(username):
        raise InvalidUsersParameter(f"{where} has no valid IAM user name")
    metadata = entry.get("metadata")
    if metadata is not None and not isinstance(metadata, str):
        raise InvalidUsersParameter(f"{where}: metadata must be a string")
    account_id = entry.get("accountId")
    if account_id is not None and not (
        isinstance(account_id, str) and ACCOUNT_ID.fullmatch(account_id)
    ):
        raise InvalidUsersParameter(f"{where}: accountId must be a 12-digit AWS account id")
    if account_id is not None and account_id != hub_account_id:
        username = f"{account_id}/{username}"
    return {"username": username, "metadata": metadata}


def name_list(names: list[str]) -> str:
    """Names for a message: the first ``NAMES_SHOWN``, then how many more."""
    shown = ", ".join(json.dumps(name) for name in names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


class Selection(NamedTuple):
    users: list[User]
    unreachable: list[FailedEntry]


def users_to_rotate(
    *, iam: IAMClient, configured: list[User], settings: Config, requested: list[str] | None
) -> Selection:
    """The users of this run: the configured ones first, then the selected ones by name; and the
    member accounts whose users could not be listed (failed as ``<account_id>/*``).

    ``requested`` (an on-demand run's names; None: every user) picks among them, in its order,
    listing only accounts of names not known yet. A configured user keeps its metadata when
    selected too. Raises ``UnknownUser`` for a requested name neither configured nor selected, or
    excluded, and ``InvalidUsersParameter`` when IAM cannot be listed or a user has a ','.
    """
    candidates = {
        user["username"].lower(): user
        for user in configured
        if not settings.is_excluded(user["username"])
    }
    unreachable: list[FailedEntry] = []

    def add(selected: list[User], where: str) -> None:
        added = 0
        for user in selected:
            key = user["username"].lower()
            if key not in candidates and not settings.is_excluded(user["username"]):
                candidates[key] = user
                added += 1
        LOGGER.info(
            "selected users",
            extra={
                "selected": len(selected),
                "added": added,
                "configured": len(configured),
                "accounts": where,
            },
        )

    def wanted() -> bool:
        return requested is None or any(name.lower() not in candidates for name in requested)

    if settings.selects_users and wanted():
        add(list_selected_users(iam, settings), "hub")
    if any(member.selects_users for member in settings.accounts.values()) and wanted():
        among = None  # every member account, or those of the names not known yet
        if requested is not None:
            among = {
                accounts.split(name)[0] for name in requested if name.lower() not in candidates
            }
        add(member_selection.member_users(settings, unreachable, among), "members")
    users, unreachable = _pick(candidates, requested, settings, unreachable)
    _refuse_commas(users, settings)
    return Selection(users, unreachable)


def list_selected_users(iam: IAMClient, settings: Config) -> list[User]:
    """Every IAM user the path prefix and the tag select, sorted by name."""
    try:
        return list_users(iam, settings.hub)
    except ClientError as exc:
        raise InvalidUsersParameter(
            f"could not list the IAM users selected by {describe_selection(settings)}: "
            f"{describe_error(exc)}"
        ) from exc


def _pick(
    candidates: dict[str, User],
    requested: list[str] | None,
    settings: Config,
    unreachable: list[FailedEntry],
) -> tuple[list[User], list[FailedEntry]]:
    """The requested users (None: every candidate), in the order asked, and the failures to
    report: in an on-demand run, a name of a member account whose users could not be listed
    fails alone (``AccountUnreachable``), as its account's users do in a scheduled run. Raises
    ``UnknownUser`` for any other name that is not a candidate."""
    if requested is None:
        return list(candidates.values()), unreachable
    picked: dict[str, User] = {}
    unknown: list[str] = []
    account_failures = {accounts.split(entry["username"])[0]: entry for entry in unreachable}
    failed: dict[str, FailedEntry] = {}
    for name in requested:
        user = candidates.get(name.lower())
        account_failure = account_failures.get(accounts.split(name)[0])
        if user is not None:
            picked.setdefault(name.lower(), user)
        elif account_failure is not None and not settings.is_excluded(name):
            failed.setdefault(name.lower(), {**account_failure, "username": name})
        else:
            unknown.append(name)
    if unknown:
        first, others = unknown[0], unknown[1:]
        if settings.is_excluded(first):
            reason = "excluded from rotation by exclude_users"
            if accounts.split(first)[0] is not None:
                reason += " of its account"
        else:
            reason = "not configured for rotation"
            if settings.selects_users:
                reason += f" nor selected by {describe_selection(settings)}"
        raise UnknownUser(
            f"user {first} is {reason}" + (f" (nor {name_list(others)})" if others else "")
        )
    return list(picked.values()), list(failed.values())


def _refuse_commas(users: list[User], settings: Config) -> None:
    """Secrets Manager names cannot hold ',', which IAM user names may; such a user has no
    secret to hold its key, so the run stops before it changes anything."""
    with_comma = [user["username"] for user in users if "," in user["username"]]
    if with_comma:
        raise InvalidUsersParameter(
            f"a user's key is kept in the secret {settings.secret_name('<username>')} and secret "
            "names cannot contain ','; rename these users or add them to exclude_users: "
            + name_list(with_comma)
        )


def describe_selection(settings: Config) -> str:
    """How the settings select users, for messages: user_path_prefix "/ci/" and user_tag ..."""
    parts = []
    if settings.user_path_prefix is not None:
        parts.append(f"user_path_prefix {json.dumps(settings.user_path_prefix)}")
    if settings.user_tag is not None:
        tag = settings.user_tag
        parts.append(
            f"user_tag {json.dumps(tag.key)}"
            + ("" if tag.value is None else f" = {json.dumps(tag.value)}")
        )
    return " and ".join(parts)
