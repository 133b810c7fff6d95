"""Configuration of every entry point, read once from the environment."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from credentials_rotator.model.errors import ConfigError
from credentials_rotator.settings.config_values import (
    InUseKeyAction,
    MemberAccount,
    OldKeyAction,
    UserTag,
    parse_accounts,
    parse_count,
    parse_exclude_users,
    parse_in_use_key_action,
    parse_old_key_action,
    parse_optional_count,
    parse_path_prefix,
    parse_required,
    parse_seconds,
    parse_tags,
    parse_user_tag,
    split_user_name,
)

__all__ = ["Config", "InUseKeyAction", "MemberAccount", "OldKeyAction", "UserTag", "load"]


REQUIRED_VARIABLES = (
    "USERS_PARAMETER_NAME",
    "SECRET_NAME_PREFIX",
    "SECRET_KMS_KEY_ID",
    "SECRET_TAGS",
    "OLD_KEY_ACTION",
    "MAX_KEY_AGE_DAYS",
    "USER_PATH_PREFIX",
    "USER_TAG",
    "EXCLUDE_USERS",
    "RUN_DATA_BUCKET",
    "BATCH_SIZE",
    "MAX_CONCURRENCY",
    "STATE_MACHINE_ARN",
    "VERIFY_NEW_KEY_SECONDS",
    "IN_USE_KEY_ACTION",
    "MAX_DEFERRALS",
    "GRACE_WAIT_SECONDS",
    "LAST_USE_DELAY_SECONDS",
    "ROTATOR_NAME",
    "EVENT_BUS_NAME",
    "EVENT_SOURCE",
    "METRICS_NAMESPACE",
    "MEMBER_ROLE_NAME",
    "MEMBER_EXTERNAL_ID",
    "ACCOUNTS",
)


@dataclass(frozen=True)
class Config:
    """The settings the Terraform module passes to every function."""

    users_parameter_name: str
    secret_name_prefix: str
    secret_kms_key_id: str | None
    # The module's state machine, and its run-data bucket (docs/design.md, "Run data").
    state_machine_arn: str
    run_data_bucket: str
    # Users per batch (one child execution, one outcomes file), and how many retirements finish
    # makes at once.
    batch_size: int
    max_concurrency: int
    secret_tags: Mapping[str, str] = field(default_factory=dict)
    old_key_action: OldKeyAction = "delete"
    max_key_age_days: int | None = None
    user_path_prefix: str | None = None
    user_tag: UserTag | None = None
    exclude_users: frozenset[str] = frozenset()
    # How long a new key may take to prove it works before its handoff; None: not checked.
    verify_new_key_seconds: int | None = None
    # What happens to a previous key still used after its successor's handoff (``in_use``).
    in_use_key_action: InUseKeyAction = "defer"
    max_deferrals: int = 3
    # The run's grace wait (cleanup_wait_seconds): the time a consumer is given to move, whose
    # uses of the previous key are the evidence (``last_use``); and how long IAM may take to
    # publish a use: the evidence is judged only once that old.
    grace_wait_seconds: int = 0
    last_use_delay_seconds: int = 0
    # How the run tells people (``notifications``, ``metrics``): the module's name, the bus of
    # the per-user events (None: no events) and their source, the metrics' namespace.
    rotator_name: str = "credentials-rotator"
    event_bus_name: str | None = None
    event_source: str = "credentials-rotator"
    metrics_namespace: str = "CredentialsRotator"
    # Users in other accounts (``accounts``): the role each member account lets the functions
    # assume, the external id they pass, and each account's own selection.
    member_role_name: str = "credentials-rotator-member"
    member_external_id: str | None = None
    accounts: Mapping[str, MemberAccount] = field(default_factory=dict)

    @property
    def previous_keys_judged_later(self) -> bool:
        """Whether a previous key is judged on its uses only ``last_use_delay_seconds`` after its
        successor's handoff, by a later run: ``finish`` comes sooner, so the state machine waits
        no grace wait (``grace_wait_seconds``, state_machine.tf), and a new key's version is
        marked for that check when it is written (``versions.write_pending``)."""
        return self.in_use_key_action != "retire" and self.last_use_delay_seconds > 0

    @property
    def hub_account_id(self) -> str:
        """The account of the module's own functions, from its state machine's ARN."""
        return self.state_machine_arn.split(":")[4]

    def member_role_arn(self, account_id: str) -> str:
        """The role the functions assume to act on ``account_id``'s users."""
        member = self.accounts.get(account_id)
        name = member.role_name if member and member.role_name else self.member_role_name
        partition = self.state_machine_arn.split(":")[1]
        return f"arn:{partition}:iam::{account_id}:role/{name}"

    @property
    def selects_users(self) -> bool:
        """Whether runs select users from IAM besides the configured ones."""
        return self.user_path_prefix is not None or self.user_tag is not None

    def is_excluded(self, username: str) -> bool:
        """Whether ``username`` is excluded: a hub user by EXCLUDE_USERS, a member user
        (``<account_id>/<username>``) by its account's ``excludeUsers`` (IAM user names ignore
        case)."""
        account_id, name = split_user_name(username)
        member = self.accounts.get(account_id) if account_id is not None else None
        names = self.exclude_users if account_id is None else member.exclude_users if member else ()
        return name.lower() in {excluded.lower() for excluded in names}

    def secret_name(self, username: str) -> str:
        """The name of the secret that holds ``username``'s key (a member user's name is
        ``<account_id>/<username>``: ``accounts``)."""
        return f"{self.secret_name_prefix}{username}"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        """Build the configuration; raise ``ConfigError`` naming the first bad variable."""
        missing = [name for name in REQUIRED_VARIABLES if name not in environ]
        if missing:
            raise ConfigError(f"missing environment variable {missing[0]}")
        return cls(
            users_parameter_name=parse_required(
                "USERS_PARAMETER_NAME", environ["USERS_PARAMETER_NAME"]
            ),
            secret_name_prefix=environ["SECRET_NAME_PREFIX"],
            secret_kms_key_id=environ["SECRET_KMS_KEY_ID"].strip() or None,
            secret_tags=parse_tags(environ["SECRET_TAGS"]),
            old_key_action=parse_old_key_action(environ["OLD_KEY_ACTION"]),
            max_key_age_days=parse_optional_count(
                "MAX_KEY_AGE_DAYS", environ["MAX_KEY_AGE_DAYS"], "days"
            ),
            user_path_prefix=parse_path_prefix(environ["USER_PATH_PREFIX"]),
            user_tag=parse_user_tag(environ["USER_TAG"]),
            exclude_users=parse_exclude_users(environ["EXCLUDE_USERS"]),
            run_data_bucket=parse_required("RUN_DATA_BUCKET", environ["RUN_DATA_BUCKET"]),
            batch_size=parse_count("BATCH_SIZE", environ["BATCH_SIZE"]),
            max_concurrency=parse_count("MAX_CONCURRENCY", environ["MAX_CONCURRENCY"]),
            state_machine_arn=parse_required("STATE_MACHINE_ARN", environ["STATE_MACHINE_ARN"]),
            verify_new_key_seconds=parse_optional_count(
                "VERIFY_NEW_KEY_SECONDS", environ["VERIFY_NEW_KEY_SECONDS"], "seconds"
            ),
            in_use_key_action=parse_in_use_key_action(environ["IN_USE_KEY_ACTION"]),
            max_deferrals=parse_count("MAX_DEFERRALS", environ["MAX_DEFERRALS"]),
            grace_wait_seconds=parse_seconds("GRACE_WAIT_SECONDS", environ["GRACE_WAIT_SECONDS"]),
            last_use_delay_seconds=parse_seconds(
                "LAST_USE_DELAY_SECONDS", environ["LAST_USE_DELAY_SECONDS"]
            ),
            rotator_name=parse_required("ROTATOR_NAME", environ["ROTATOR_NAME"]),
            event_bus_name=environ["EVENT_BUS_NAME"].strip() or None,
            event_source=parse_required("EVENT_SOURCE", environ["EVENT_SOURCE"]),
            metrics_namespace=parse_required("METRICS_NAMESPACE", environ["METRICS_NAMESPACE"]),
            member_role_name=parse_required("MEMBER_ROLE_NAME", environ["MEMBER_ROLE_NAME"]),
            member_external_id=environ["MEMBER_EXTERNAL_ID"].strip() or None,
            accounts=parse_accounts(environ["ACCOUNTS"]),
        )


@functools.cache
def load() -> Config:
    """The configuration of this process, read from ``os.environ`` on first use."""
    return Config.from_environ(os.environ)
