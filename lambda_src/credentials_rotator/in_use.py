"""Whether a previously delivered key is still in use, and what happens to it then.

After a handoff the consumer should move to the new key. IAM records when a key was last used
(``GetAccessKeyLastUsed``; AWS documents no delay for it, so a use seconds old may not show yet).
A previous key used after its successor's handoff means the consumer has not moved, and
``in_use_key_action`` says what happens: ``defer`` keeps the key Active and the next run checks
it again before it rotates the user; ``deactivate`` deactivates it instead of deleting it (a cut
that can be undone by hand); ``retire`` retires it regardless.

A deferral is kept in a tag of the user's secret (``DEFERRAL_TAG``, "<key id> <runs> <last used>
<run>"): a later run counts the key in use again only when IAM saw a use after that one, and the
``max_deferrals``-th run in a row that defers the key fails the user with ``KeyStillInUse`` (the
key still stays Active). A function of the same run that checks again (a retry) finds its run's
own deferral and keeps it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError

from credentials_rotator import access_keys
from credentials_rotator.config import Config
from credentials_rotator.decision import ACTIVE, AccessKey
from credentials_rotator.errors import KeyStillInUse
from credentials_rotator.failures import error_code
from credentials_rotator.log import get_logger
from credentials_rotator.record import DeliveryRecord, parse_date
from credentials_rotator.shapes import DeferredEntry, RotateEvent

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)
DEFERRAL_TAG = "credentials-rotator:in-use"
# S3 and IAM give times to the second: a use in the same second as such a time may have come
# before it, so only a use after that second's last microsecond counts as later.
REST_OF_THE_SECOND = datetime.timedelta(seconds=1, microseconds=-1)


@dataclass(frozen=True)
class Deferral:
    """The previous key ``access_key_id``, last used at ``last_used``, was found in use after its
    successor's handoff on ``runs`` runs in a row, the last of them ``run_prefix``."""

    access_key_id: str
    runs: int
    last_used: datetime.datetime
    run_prefix: str

    def tag_value(self) -> str:
        return f"{self.access_key_id} {self.runs} {self.last_used.isoformat()} {self.run_prefix}"

    def entry(self, username: str, action: Literal["kept", "deactivated"]) -> DeferredEntry:
        return {"username": username, "accessKeyId": self.access_key_id,
                "lastUsed": self.last_used.isoformat(timespec="seconds"), "runs": self.runs,
                "action": action}  # fmt: skip


def used_since(
    iam: IAMClient, access_key_id: str, since: datetime.datetime
) -> datetime.datetime | None:
    """When IAM last saw the key used, if that was after ``since``; otherwise None (a key that is
    gone is used no more)."""
    try:
        used = iam.get_access_key_last_used(AccessKeyId=access_key_id)["AccessKeyLastUsed"]
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return None
        raise
    last = used.get("LastUsedDate")
    return last if last is not None and last > since else None


def earlier_deferral(
    secretsmanager: SecretsManagerClient, secret_id: str, access_key_id: str
) -> Deferral | None:
    """The deferral the secret's tag records for ``access_key_id``; None for another key or none."""
    tags = secretsmanager.describe_secret(SecretId=secret_id).get("Tags", [])
    value = next((t.get("Value", "") for t in tags if t.get("Key") == DEFERRAL_TAG), "")
    parts = value.split(" ")
    if len(parts) != len(("key", "runs", "last used", "run")):
        return None
    key_id, runs, used, run_prefix = parts
    last_used = parse_date(used)
    if last_used is None or key_id != access_key_id or not runs.isdigit():
        return None
    return Deferral(access_key_id, int(runs), last_used, run_prefix)


def still_in_use(
    aws: tuple[IAMClient, SecretsManagerClient],
    config: Config,
    event: RotateEvent,
    keys: list[AccessKey],
    full: DeliveryRecord,
) -> tuple[DeferredEntry, str] | None:
    """For rotate: the retired key of the record, when it is Active and still in use (its entry
    and why); the user is then not rotated."""
    retired, username = full.retired, event["user"]["username"]
    active = {key.access_key_id for key in keys if key.status == ACTIVE}
    if retired is None or retired.access_key_id not in active or full.current is None:
        return None
    previous = (str(retired.access_key_id), full.current.create_date)
    entry = check_again(aws, config, username, previous, event["prefix"])
    if entry is None:
        return None
    return entry, describe(entry)


def describe(entry: DeferredEntry) -> str:
    """What a deferral means, for a detail or an error message."""
    done = "deactivated" if entry["action"] == "deactivated" else "kept active"
    return (
        f"access key {entry['accessKeyId']} of user {entry['username']} was used at "
        f"{entry['lastUsed'] or 'an unknown time'} after its successor was handed off (runs in a "
        f"row: {entry['runs']}): the consumer has not moved to the new key, so the old one was "
        f"{done}"
    )


def check_again(
    aws: tuple[IAMClient, SecretsManagerClient],
    config: Config,
    username: str,
    previous: tuple[str, datetime.datetime | None],
    run_prefix: str,
) -> DeferredEntry | None:
    """Before a run rotates a user whose previous key is still Active (deferred, or left by a
    retirement that failed), check that key again; None when it may go. ``previous``: the key
    and when its successor was created (the check's start when no run deferred it yet)."""
    iam, secretsmanager = aws
    key_id, successor_created = previous
    if config.in_use_key_action == "retire":
        return None
    earlier = earlier_deferral(secretsmanager, config.secret_name(username), key_id)
    if earlier is not None and earlier.run_prefix == run_prefix:
        return earlier.entry(username, "kept")  # this run deferred it already: a retry
    # A use after the last use an earlier run saw, or, when none deferred the key yet, after its
    # successor was created.
    since = earlier.last_used if earlier is not None else _after(successor_created)
    last_used = used_since(iam, key_id, since) if since is not None else None
    if last_used is None:
        return None
    runs = earlier.runs + 1 if earlier is not None else 1
    deferral = Deferral(key_id, runs, last_used, run_prefix)
    return _keep_or_deactivate(iam, secretsmanager, config, username, deferral)


def defer(
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    deferral: Deferral,
) -> Deferral:
    """Record one more run in a row that left the key in use; raise ``KeyStillInUse`` once it is
    the ``max_deferrals``-th (recorded first, so the count goes on)."""
    secretsmanager.tag_resource(
        SecretId=config.secret_name(username),
        Tags=[{"Key": DEFERRAL_TAG, "Value": deferral.tag_value()}],
    )
    LOGGER.warning(
        "previous access key still in use",
        extra={"username": username, "access_key_id": deferral.access_key_id,
               "runs": deferral.runs},
    )  # fmt: skip
    if deferral.runs >= config.max_deferrals:
        raise KeyStillInUse(
            f"{describe(deferral.entry(username, 'kept'))}; that is max_deferrals runs in a row: "
            "find the consumer that still uses it (IAM's GetAccessKeyLastUsed names the service "
            "and region); the next run checks it again"
        )
    return deferral


def retire_unless_in_use(
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    previous_key_id: str,
    *,
    new_key: str,
    since: datetime.datetime | None,
    run_prefix: str,
) -> DeferredEntry | None:
    """After a confirmed handoff (``since``: no earlier than it), retire the previous key as
    old_key_action says; when it was used since, do what in_use_key_action says instead."""
    access_keys.refuse_the_new_key(previous_key_id, new_key)
    if config.in_use_key_action != "retire" and since is not None:
        last_used = used_since(iam, previous_key_id, since + REST_OF_THE_SECOND)
        if last_used is not None:
            first = Deferral(previous_key_id, 1, last_used, run_prefix)
            return _keep_or_deactivate(iam, secretsmanager, config, username, first)
    access_keys.retire(iam, config.old_key_action, username, previous_key_id, new_key)
    return None


def _after(time_to_the_second: datetime.datetime | None) -> datetime.datetime | None:
    return None if time_to_the_second is None else time_to_the_second + REST_OF_THE_SECOND


def _keep_or_deactivate(
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    deferral: Deferral,
) -> DeferredEntry:
    if config.in_use_key_action == "deactivate":
        iam.update_access_key(
            UserName=username, AccessKeyId=deferral.access_key_id, Status="Inactive"
        )
        LOGGER.warning(
            "deactivated a previous access key still in use",
            extra={"username": username, "access_key_id": deferral.access_key_id},
        )
        return deferral.entry(username, "deactivated")
    return defer(secretsmanager, config, username, deferral).entry(username, "kept")
