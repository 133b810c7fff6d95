"""The consumer's use of its keys in AWS: IAM (moto alike) records a key's last use on every call
signed with it, and the engine reads that back to tell whether the previous key is still used."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from testkit.world.setting import HARNESS_CLIENTS


class KeyUse:
    """The harness's part that signs calls with a user's keys, as its consumer would."""

    # Given by the harness.
    _session: Any
    secretsmanager: Any
    _run_users: set[str] | None
    next_second: Callable[[], None]
    secret_name: Callable[[str], str]
    keys: Callable[[str], dict[str, str]]

    def _set_up_key_use(self) -> None:
        # Users whose consumer has not moved: it keeps using its previous key (the last one it
        # used: ``used_by_consumer``).
        self.not_moved: set[str] = set()
        self.used_by_consumer: dict[str, str] = {}

    def use_previous_key(self, username: str) -> None:
        """Sign a call with the key of the secret's AWSPREVIOUS version, as a consumer that kept
        it would: IAM (moto alike) records the key's last use. In the next whole second: on AWS
        the grace wait lasts seconds, and the engine compares the use with times to the second."""
        self.next_second()
        self._sign_with(username, self._secret_value(username, "AWSPREVIOUS"))

    def use_current_key(self, username: str) -> None:
        """Sign a call with the key of the secret's AWSCURRENT version, as its consumer does."""
        self.next_second()
        self._sign_with(username, self._secret_value(username, "AWSCURRENT"))

    def _secret_value(self, username: str, stage: str) -> dict[str, Any]:
        got = self.secretsmanager.get_secret_value(
            SecretId=self.secret_name(username), VersionStage=stage
        )
        value: dict[str, Any] = json.loads(got["SecretString"])
        return value

    def _sign_with(self, username: str, value: dict[str, Any]) -> None:
        self.used_by_consumer[username] = value["AccessKeyId"]
        sts = self._session.client(
            "sts",
            aws_access_key_id=value["AccessKeyId"],
            aws_secret_access_key=value["SecretAccessKey"],
            aws_session_token=None,
            config=HARNESS_CLIENTS,
        )
        sts.get_caller_identity()

    def _use_previous_keys(self, state: str) -> None:
        """A consumer that has not moved uses its previous key all the time: before a run, and
        while the run waits out its grace period (after the handoffs)."""
        if state not in ("GraceWait", "before the run") or not self.not_moved:
            return
        values: list[tuple[str, dict[str, Any]]] = []
        in_run = self._run_users
        for username in sorted(self.not_moved if in_run is None else self.not_moved & in_run):
            try:
                value = self._secret_value(username, "AWSPREVIOUS")
            except self.secretsmanager.exceptions.ResourceNotFoundException:
                continue  # no key before this one
            if self.keys(username).get(value.get("AccessKeyId", "")) == "Active":
                values.append((username, value))
        if values:
            self.next_second()  # as in use_previous_key
        for username, value in values:
            self._sign_with(username, value)
