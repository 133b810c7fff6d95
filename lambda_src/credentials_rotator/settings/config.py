"""Configuration of every entry point: the settings document the module passes to every function
(its environment variable SETTINGS, settings.tf), read once into a ``Config``.

Terraform validates every value and derives every rule the functions need from the inputs; here
each setting is checked for its type only, and a bad one fails fast with a ``ConfigError`` that
names it. docs/design.md, "Settings", describes each.
"""

from __future__ import annotations

import functools
import json
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field

from credentials_rotator.model.errors import ConfigError
from credentials_rotator.settings import settings_document
from credentials_rotator.settings.config_values import (
    Account,
    InUseKeyAction,
    OldKeyAction,
    UserTag,
    split_user_name,
)

__all__ = ["Account", "Config", "InUseKeyAction", "OldKeyAction", "UserTag", "load"]

SETTINGS_VARIABLE = "SETTINGS"


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
    # Whether a previous key is judged on its uses only ``last_use_delay_seconds`` after its
    # successor's handoff, by a later run: ``finish`` comes sooner, so the state machine waits no
    # grace wait, and a new key's version is marked for that check when it is written
    # (``versions.write_pending``). The module decides it (settings.tf).
    previous_keys_judged_later: bool = False
    # How the run tells people (``notifications``, ``metrics``): the module's name, the bus of
    # the per-user events (None: no events) and their source, the metrics' namespace.
    rotator_name: str = "credentials-rotator"
    event_bus_name: str | None = None
    event_source: str = "credentials-rotator"
    metrics_namespace: str = "CredentialsRotator"
    # The role the functions assume in a member account whose entry names none: its ARN, with
    # "{account_id}" for the account's id; and the external id they pass when they assume one.
    member_role_arn_template: str = "arn:aws:iam::{account_id}:role/credentials-rotator-member"
    member_external_id: str | None = None
    # The module's own account (its users, selection and exclusions) and the member accounts
    # (``accounts``), by id: the document's ``accounts`` holds both.
    hub: Account = field(default_factory=Account)
    accounts: Mapping[str, Account] = field(default_factory=dict)

    @property
    def hub_account_id(self) -> str:
        """The account of the module's own functions, from its state machine's ARN."""
        return self.state_machine_arn.split(":")[4]

    @property
    def user_path_prefix(self) -> str | None:
        return self.hub.user_path_prefix

    @property
    def user_tag(self) -> UserTag | None:
        return self.hub.user_tag

    @property
    def exclude_users(self) -> frozenset[str]:
        return self.hub.exclude_users

    @property
    def selects_users(self) -> bool:
        """Whether runs select users of the module's own account besides the configured ones."""
        return self.hub.selects_users

    def member_role_arn(self, account_id: str) -> str:
        """The role the functions assume to act on ``account_id``'s users."""
        member = self.accounts.get(account_id)
        if member is not None and member.role_arn is not None:
            return member.role_arn
        return self.member_role_arn_template.replace("{account_id}", account_id)

    def is_excluded(self, username: str) -> bool:
        """Whether ``username`` is excluded by its account's ``exclude_users``: a hub user by the
        module's own, a member user (``<account_id>/<username>``) by its account's (IAM user
        names ignore case)."""
        account_id, name = split_user_name(username)
        account = self.hub if account_id is None else self.accounts.get(account_id)
        names = account.exclude_users if account is not None else ()
        return name.lower() in {excluded.lower() for excluded in names}

    def secret_name(self, username: str) -> str:
        """The name of the secret that holds ``username``'s key (a member user's name is
        ``<account_id>/<username>``: ``accounts``)."""
        return f"{self.secret_name_prefix}{username}"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Config:
        """The configuration of the settings document in ``environ``; raises ``ConfigError``."""
        if SETTINGS_VARIABLE not in environ:
            raise ConfigError(f"missing environment variable {SETTINGS_VARIABLE}")
        try:
            document = json.loads(environ[SETTINGS_VARIABLE])
        except json.JSONDecodeError as exc:
            raise ConfigError(f"environment variable {SETTINGS_VARIABLE} is not JSON") from exc
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: object) -> Config:
        """The configuration of a settings document; raises ``ConfigError`` naming the first
        setting that is missing, unknown or not of the type this class declares."""
        if not isinstance(document, dict):
            raise ConfigError(f"environment variable {SETTINGS_VARIABLE} is no JSON object")
        hints = {name: hint for name, hint in typing.get_type_hints(cls).items() if name != "hub"}
        settings = settings_document.settings(document, hints)
        accounts = dict(settings.pop("accounts"))
        hub_account_id = settings["state_machine_arn"].split(":")[4:5]
        hub = accounts.pop(hub_account_id[0], None) if hub_account_id else None
        if hub is None:
            raise ConfigError(
                "setting accounts has no entry for the module's own account, that of "
                f"state_machine_arn {settings['state_machine_arn']!r}"
            )
        return cls(**settings, hub=hub, accounts=accounts)


# The document's settings: the attributes of ``Config``, the module's own account (``hub``) one of
# its ``accounts``.
DOCUMENT_KEYS = frozenset(typing.get_type_hints(Config)) - {"hub"}


@functools.cache
def load() -> Config:
    """The configuration of this process, read from ``os.environ`` on first use."""
    return Config.from_environ(os.environ)
