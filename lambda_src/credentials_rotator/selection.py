"""Which users a run rotates: the configured ones, those selected in IAM, minus the excluded ones.

Selected users are listed at run time (docs/design.md, "Selecting users"):

- a path prefix only: ``ListUsers`` with ``PathPrefix``, up to 1,000 users a page. It returns no
  tags, so these users have no metadata.
- a tag, with or without a path prefix: ``GetAccountAuthorizationDetails`` filtered to users, up
  to 1,000 users a page, each with its path and tags; the path and the tag are matched here. The
  alternative, one ``ListUserTags`` call per user, would cost 5,000 calls in a 5,000-user account.
  A selected user's metadata is the value of its ``credentials-rotator:metadata`` tag.

Names compare without case, as IAM user names and tag keys do; paths and tag values with case, as
the rotator's policies compare them.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from credentials_rotator import log
from credentials_rotator.config import Config
from credentials_rotator.errors import InvalidUsersParameter, UnknownUser
from credentials_rotator.failures import describe_error, error_code
from credentials_rotator.shapes import User

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_ssm import SSMClient

LOGGER = log.get_logger(__name__)

METADATA_TAG = "credentials-rotator:metadata"
# The largest page IAM serves; it may serve fewer, and pagination follows its Marker.
PAGE_SIZE = 1000
# An IAM user name, as IAM accepts it. The users parameter may be written by hand, so it is read
# with IAM's own rule; a name with ',' is then refused with its own message (``_refuse_commas``).
IAM_USER_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
# How many names a message lists before it says how many more there are.
NAMES_SHOWN = 10


def read_users(ssm: SSMClient, parameter_name: str) -> list[User]:
    """Read and validate the users parameter; raise ``InvalidUsersParameter``."""
    try:
        raw = ssm.get_parameter(Name=parameter_name)["Parameter"].get("Value", "")
    except ClientError as exc:
        if error_code(exc) == "ParameterNotFound":
            raise InvalidUsersParameter(f"users parameter {parameter_name} does not exist") from exc
        raise InvalidUsersParameter(
            f"could not read users parameter {parameter_name}: {describe_error(exc)}"
        ) from exc
    return parse_users(raw, parameter_name)


def parse_users(raw: str, parameter_name: str) -> list[User]:
    """The users of the parameter's JSON list; one user twice (names ignore case) is refused."""
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidUsersParameter(f"users parameter {parameter_name} is not valid JSON") from exc
    if not isinstance(entries, list):
        raise InvalidUsersParameter(f"users parameter {parameter_name} must hold a JSON list")
    users = [_parse_entry(entry, f"entry {i} of users parameter {parameter_name}")
             for i, entry in enumerate(entries)]  # fmt: skip
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


def _parse_entry(entry: object, where: str) -> User:
    if not isinstance(entry, dict):
        raise InvalidUsersParameter(f"{where} must be an object with a username")
    unknown = sorted(set(entry) - {"username", "metadata"})
    if unknown:
        raise InvalidUsersParameter(f"{where} has unknown key {unknown[0]!r}")
    username = entry.get("username")
    if not isinstance(username, str) or not IAM_USER_NAME.fullmatch(username):
        raise InvalidUsersParameter(f"{where} has no valid IAM user name")
    metadata = entry.get("metadata")
    if metadata is not None and not isinstance(metadata, str):
        raise InvalidUsersParameter(f"{where}: metadata must be a string")
    return {"username": username, "metadata": metadata}


def name_list(names: list[str]) -> str:
    """Names for a message: the first ``NAMES_SHOWN``, then how many more."""
    shown = ", ".join(json.dumps(name) for name in names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def users_to_rotate(
    *,
    iam: IAMClient,
    configured: list[User],
    settings: Config,
    requested: list[str] | None,
) -> list[User]:
    """The users of this run: the configured ones first, then the selected ones by name.

    ``requested`` (an on-demand run's names, or None for every user) picks among them, in its own
    order. A configured user keeps its metadata when it is selected too. Raises ``UnknownUser``
    for a requested name that is neither configured nor selected, or that is excluded, and
    ``InvalidUsersParameter`` when IAM cannot be listed or a user to rotate has a ',' in its name.
    """
    excluded = {name.lower() for name in settings.exclude_users}
    candidates = {
        user["username"].lower(): user
        for user in configured
        if user["username"].lower() not in excluded
    }
    if settings.selects_users and (
        requested is None or any(name.lower() not in candidates for name in requested)
    ):
        selected = list_selected_users(iam, settings)
        added = 0
        for user in selected:
            key = user["username"].lower()
            if key not in candidates and key not in excluded:
                candidates[key] = user
                added += 1
        LOGGER.info(
            "selected users",
            extra={"selected": len(selected), "added": added, "configured": len(configured)},
        )
    users = (
        list(candidates.values()) if requested is None else _pick(candidates, requested, settings)
    )
    _refuse_commas(users, settings)
    return users


def list_selected_users(iam: IAMClient, settings: Config) -> list[User]:
    """Every IAM user the path prefix and the tag select, sorted by name."""
    try:
        if settings.user_tag is None:
            users = _list_by_path(iam, settings.user_path_prefix or "/")
        else:
            users = _list_by_tag(iam, settings)
    except ClientError as exc:
        raise InvalidUsersParameter(
            f"could not list the IAM users selected by {describe_selection(settings)}: "
            f"{describe_error(exc)}"
        ) from exc
    return sorted(users, key=lambda user: user["username"].lower())


def _list_by_path(iam: IAMClient, path_prefix: str) -> list[User]:
    pages = iam.get_paginator("list_users").paginate(
        PathPrefix=path_prefix, PaginationConfig={"PageSize": PAGE_SIZE}
    )
    return [
        {"username": user["UserName"], "metadata": None} for page in pages for user in page["Users"]
    ]


def _list_by_tag(iam: IAMClient, settings: Config) -> list[User]:
    tag = settings.user_tag
    assert tag is not None
    path_prefix = settings.user_path_prefix or "/"
    pages = iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User"], PaginationConfig={"PageSize": PAGE_SIZE}
    )
    users: list[User] = []
    for page in pages:
        for detail in page.get("UserDetailList", []):
            if not detail.get("Path", "/").startswith(path_prefix):
                continue
            tags = {item["Key"].lower(): item["Value"] for item in detail.get("Tags", [])}
            value = tags.get(tag.key.lower())
            if value is None or (tag.value is not None and value != tag.value):
                continue
            users.append({"username": detail["UserName"], "metadata": tags.get(METADATA_TAG)})
    return users


def _pick(candidates: dict[str, User], requested: list[str], settings: Config) -> list[User]:
    picked: dict[str, User] = {}
    unknown: list[str] = []
    for name in requested:
        user = candidates.get(name.lower())
        if user is None:
            unknown.append(name)
        else:
            picked.setdefault(name.lower(), user)
    if unknown:
        first, others = unknown[0], unknown[1:]
        if settings.is_excluded(first):
            reason = "excluded from rotation by exclude_users"
        else:
            reason = "not configured for rotation"
            if settings.selects_users:
                reason += f" nor selected by {describe_selection(settings)}"
        raise UnknownUser(
            f"user {first} is {reason}" + (f" (nor {name_list(others)})" if others else "")
        )
    return list(picked.values())


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
