"""Whether a previously delivered key is still in use, and what happens to it then.

After a handoff the consumer should move to the new key. IAM records when a key was last used
(``GetAccessKeyLastUsed``; AWS documents no delay for it, so a use seconds old may not show yet,
and records it to the minute: AWS's examples show whole minutes, so ``may_follow`` takes a date on
a whole minute for any moment of that minute).
A previous key used after its successor's handoff means the consumer has not moved, and
``in_use_key_action`` says what happens: ``defer`` keeps the key Active and the next run checks
it again before it rotates the user; ``deactivate`` deactivates it instead of deleting it (a cut
that can be undone by hand); ``retire`` retires it regardless.

Only a superseded key is checked: one that was delivered and whose successor's handoff was
confirmed. A refused key (a retired version still pending: rolled back, or left by a roll back
that could not delete it) was never kept by the handler, and the only uses IAM saw of it are the
rotator's own proofs; it is deleted unchecked. A use counts when it came after:
- the last use a deferral recorded (the key was deferred before): IAM's date must be later;
- in ``finish``, its successor's handoff (when the batch recorded its outcomes): a use in the
  minute of the handoff counts;
- in a later run, when no deferral was recorded (the retirement failed, or ``finish`` never
  ran), its successor's creation plus the grace wait: the consumer used the old key until it
  switched, and the grace wait is the time it was given to switch.

A deferral is recorded on the user's secret (``deferrals``); a later run counts the key in use
again only when IAM saw a use after the recorded one, and the ``max_deferrals``-th run in a row
that defers the key fails the user with ``KeyStillInUse`` (the key still stays Active). A function
of the same run that checks again (a retry) finds its run's own deferral and reaches the same
verdict.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from credentials_rotator import access_keys, deferrals
from credentials_rotator.config import Config
from credentials_rotator.decision import ACTIVE, AccessKey
from credentials_rotator.delivery_record import DeliveryRecord
from credentials_rotator.errors import UserNotFound
from credentials_rotator.failures import error_code
from credentials_rotator.log import get_logger
from credentials_rotator.shapes import DeferredEntry, RotateEvent

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)
# S3 and IAM give times to the second: a use in the same second as such a time may have come
# before it, so only a use after that second's last microsecond counts as later.
REST_OF_THE_SECOND = datetime.timedelta(seconds=1, microseconds=-1)
# IAM's last-use dates on a whole minute stand for any moment of that minute.
REST_OF_THE_MINUTE = datetime.timedelta(minutes=1, microseconds=-1)


def may_follow(last_used: datetime.datetime, moment: datetime.datetime) -> bool:
    """Whether the use IAM recorded as ``last_used`` may have come after ``moment``, a time to the
    second: a date on a whole minute (AWS records last uses to the minute) stands for the whole
    minute, so a use in the minute of a handoff counts as a use after it."""
    whole_minute = last_used.second == 0 and last_used.microsecond == 0
    latest = last_used + (REST_OF_THE_MINUTE if whole_minute else datetime.timedelta(0))
    return latest > moment + REST_OF_THE_SECOND


def used_since(
    iam: IAMClient, username: str, access_key_id: str, counts: Callable[[datetime.datetime], bool]
) -> datetime.datetime | None:
    """When IAM last saw the key used, if that use ``counts``; otherwise None (a key that is gone
    is used no more).

    For a key that no longer exists AWS may answer AccessDenied rather than NoSuchEntity: the
    key's owner is the resource it authorizes on, and a policy scoped to users cannot match a
    key that has none. The user's keys then tell: a key that is not among them is gone; a key
    that is keeps the denial, which is then a real one.
    """
    try:
        used = iam.get_access_key_last_used(AccessKeyId=access_key_id)["AccessKeyLastUsed"]
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity" or (
            error_code(exc) in ("AccessDenied", "AccessDeniedException")
            and not _still_there(iam, username, access_key_id)
        ):
            return None
        raise
    last = used.get("LastUsedDate")
    return last if last is not None and counts(last) else None


def _still_there(iam: IAMClient, username: str, access_key_id: str) -> bool:
    try:
        keys = access_keys.list_access_keys(iam, username)
    except UserNotFound:
        return False
    return any(key.access_key_id == access_key_id for key in keys)


def still_in_use(
    aws: tuple[IAMClient, SecretsManagerClient],
    config: Config,
    event: RotateEvent,
    keys: list[AccessKey],
    full: DeliveryRecord,
) -> tuple[DeferredEntry, str] | None:
    """For rotate: the superseded key of the record, when it is Active and still in use (its
    entry and why); the user is then not rotated."""
    superseded, username = full.superseded, event["user"]["username"]
    active = {key.access_key_id for key in keys if key.status == ACTIVE}
    if superseded is None or superseded.access_key_id not in active or full.current is None:
        return None
    switched_by = _switched_by(full.current.create_date, config)
    previous = (str(superseded.access_key_id), switched_by)
    entry = check_again(aws, config, username, previous, event["prefix"])
    if entry is None:
        return None
    return entry, deferrals.describe(entry)


def _switched_by(
    successor_created: datetime.datetime | None, config: Config
) -> datetime.datetime | None:
    """When a consumer given the successor created at ``successor_created`` had moved to it:
    a use of the old key after this moment is a use after the switch."""
    if successor_created is None:
        return None
    return successor_created + datetime.timedelta(seconds=config.grace_wait_seconds)


def check_again(
    aws: tuple[IAMClient, SecretsManagerClient],
    config: Config,
    username: str,
    previous: tuple[str, datetime.datetime | None],
    run_prefix: str,
) -> DeferredEntry | None:
    """Before a run rotates a user whose superseded key is still Active (deferred, or left by a
    retirement that failed), check that key again; None when it may go. ``previous``: the key
    and the moment from which a use counts when no run deferred it yet."""
    iam, secretsmanager = aws
    key_id, switched_by = previous
    if config.in_use_key_action == "retire":
        return None
    recorded = deferrals.read_deferral(secretsmanager, config.secret_name(username), key_id)
    earlier = recorded.earlier
    if earlier is not None and earlier.run_prefix == run_prefix:
        return deferrals.verdict(config, username, earlier)  # this run deferred it already: a retry
    last_used = None
    if earlier is not None:
        last_used = used_since(iam, username, key_id, lambda last: last > earlier.last_used)
    elif switched_by is not None:
        last_used = used_since(iam, username, key_id, lambda last: may_follow(last, switched_by))
    if last_used is None:
        return None
    runs = earlier.runs + 1 if earlier is not None else 1
    deferral = deferrals.Deferral(key_id, runs, last_used, run_prefix)
    return _keep_or_deactivate(iam, secretsmanager, config, username, deferral, recorded=recorded)


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
        last_used = used_since(iam, username, previous_key_id, lambda last: may_follow(last, since))
        if last_used is not None:
            first = deferrals.Deferral(previous_key_id, 1, last_used, run_prefix)
            return _keep_or_deactivate(iam, secretsmanager, config, username, first, recorded=None)
    access_keys.retire(iam, config.old_key_action, username, previous_key_id, new_key)
    return None


def _keep_or_deactivate(
    iam: IAMClient,
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    deferral: deferrals.Deferral,
    *,
    recorded: deferrals.SecretDeferral | None,
) -> DeferredEntry:
    """Do what in_use_key_action says with a key in use; ``recorded``: what the secret records
    (None: read it first)."""
    if config.in_use_key_action == "deactivate":
        iam.update_access_key(
            UserName=username, AccessKeyId=deferral.access_key_id, Status="Inactive"
        )
        LOGGER.warning(
            "deactivated a previous access key still in use",
            extra={"username": username, "access_key_id": deferral.access_key_id},
        )
        return deferral.entry(username, "deactivated")
    if recorded is None:
        recorded = deferrals.read_deferral(
            secretsmanager, config.secret_name(username), deferral.access_key_id
        )
    return deferrals.defer(secretsmanager, config, username, deferral, recorded)
