"""The world the rotator works on: the users parameter, the users and their keys in each account,
their secrets, the engine's settings and the clock, as a test sets them up and reads them back."""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

import pytest
from credentials_rotator.aws import clients
from credentials_rotator.settings import config

from testkit.authorization import Authorization
from testkit.checks.secret_watch import SecretWatch
from testkit.engine_environment import SETTINGS_VARIABLE, settings_with
from testkit.member_accounts import client_in, rotator_name, split
from testkit.world.setting import ACCOUNT
from testkit.world_clock import WorldClock


def _user_entry(entry: str | dict[str, Any]) -> dict[str, Any]:
    """A users parameter entry: a name (``<account_id>/<username>`` for a member account's
    user, which the parameter lists with its ``accountId``) or an entry as it is."""
    if not isinstance(entry, str):
        return entry
    account_id, name = split(entry)
    return {"username": name} if account_id is None else {"username": name, "accountId": account_id}


class Accounts:
    """The harness's part that sets up and reads the users, keys and secrets in moto."""

    # Given by the harness.
    iam: Any
    ssm: Any
    secretsmanager: Any
    _session: Any
    watch: SecretWatch
    environment: pytest.MonkeyPatch
    authorization: Authorization | None
    clock: WorldClock

    def _set_up_accounts(self) -> None:
        self.prefix = config.load().secret_name_prefix
        self._member_iams: dict[str, Any] = {}  # account id -> the test's IAM client there

    def s3_events(self) -> Any:
        """The event hooks of the engine's S3 client (its calls, not the state machine's)."""
        return clients.s3_client().meta.events

    def set_settings(self, **changes: Any) -> None:
        """Change the functions' settings for the next invocations (``settings_with``)."""
        self.environment.setenv(
            SETTINGS_VARIABLE, settings_with(os.environ[SETTINGS_VARIABLE], **changes)
        )
        config.load.cache_clear()

    def configure_users(self, *entries: str | dict[str, Any], create: bool = True) -> None:
        """Write the users parameter. A member account's user is an entry with ``accountId``, or
        the rotator's name ``<account_id>/<username>``; with ``create``, each user is created in
        its account."""
        users = [_user_entry(e) for e in entries]
        self.ssm.put_parameter(
            Name=config.load().users_parameter_name,
            Value=json.dumps(users),
            Type="String",
            Overwrite=True,
        )
        names = [rotator_name(user.get("accountId"), user["username"]) for user in users]
        if self.authorization is not None:
            self.authorization.list_users(names)
        if create:
            for name in names:
                self.create_user(name)

    def iam_of(self, username: str) -> tuple[Any, str]:
        """The test's IAM client of the user's account, and the user's IAM user name: a member
        account's user is ``<account_id>/<username>``."""
        account_id, name = split(username)
        if account_id is None or account_id == ACCOUNT:
            return self.iam, name
        if account_id not in self._member_iams:
            self._member_iams[account_id] = client_in(account_id, "iam", self._session)
        return self._member_iams[account_id], name

    def create_user(self, username: str, path: str = "/", **tags: str) -> None:
        """Create the user in its account (``<account_id>/<username>``: a member account)."""
        iam, name = self.iam_of(username)
        iam.create_user(
            UserName=name, Path=path, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )

    def create_key(self, username: str, *, inactive: bool = False) -> str:
        iam, name = self.iam_of(username)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        self.watch.add(key["SecretAccessKey"])
        if inactive:
            iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
        return str(key["AccessKeyId"])

    def keys(self, username: str) -> dict[str, str]:
        """The user's keys, in its account: id -> status."""
        iam, name = self.iam_of(username)
        listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
        return {k["AccessKeyId"]: k["Status"] for k in listed}

    def secret_name(self, username: str) -> str:
        return f"{self.prefix}{username}"

    def secret_key_id(self, username: str, stage: str = "AWSCURRENT") -> str:
        value = self.secretsmanager.get_secret_value(
            SecretId=self.secret_name(username), VersionStage=stage
        )
        key_id: str = json.loads(value["SecretString"])["AccessKeyId"]
        return key_id

    def stages(self, username: str) -> dict[str, list[str]]:
        """Version id -> stages of the user's secret."""
        described = self.secretsmanager.describe_secret(SecretId=self.secret_name(username))
        return {k: sorted(v) for k, v in described.get("VersionIdsToStages", {}).items() if v}

    def current_stages(self, username: str) -> list[str]:
        return next(s for s in self.stages(username).values() if "AWSCURRENT" in s)

    def next_second(self) -> None:
        """Let the next whole second begin. AWS gives times to the second, and on AWS the steps
        of a run are seconds apart; the engine compares such times. The clock moves: nothing
        waits."""
        self.clock.to_next_second()

    def advance_clock(self, delta: datetime.timedelta) -> None:
        """Move the clock of the functions and of the emulated AWS forward."""
        self.clock.advance(delta)
