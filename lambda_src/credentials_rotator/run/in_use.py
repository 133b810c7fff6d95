"""Whether a previously delivered key is still in use, and what happens to it then.

After a handoff the consumer should move to the new key. IAM's last-use date of the key tells,
at its precision and after its delay (``last_use``): a key is judged only on evidence old enough
to be complete, and until then it waits, Active, for a later run.
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
- in a later run, when no deferral was recorded (``finish`` left the key for a later run, its
  retirement failed, or ``finish`` never ran), its successor's creation: the earliest moment of
  the handoff.

A ``finish`` sooner than the grace wait and the delay after the handoff leaves the key, with the
deferral's stage on the current version: later runs skip the user until both have passed, then
check the key first. A deferral is recorded on the user's secret (``deferrals``);
``max_deferrals`` runs in a row that see a new use fail the user with ``KeyStillInUse`` (the key
stays Active).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from credentials_rotator.aws import access_keys, last_use
from credentials_rotator.aws.failures import error_code
from credentials_rotator.model.decision import ACTIVE, AccessKey
from credentials_rotator.model.delivery_record import DeliveryRecord
from credentials_rotator.model.errors import UserNotFound
from credentials_rotator.model.shapes import DeferredEntry, RotateEvent, RotateResult
from credentials_rotator.run import deferrals
from credentials_rotator.run.rotate_result import result
from credentials_rotator.settings.config import Config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)


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
) -> RotateResult | None:
    """For rotate: the result when the record's superseded key stays Active, still in use
    (deferred) or waiting until IAM has had time to publish its uses (skipped); None when it may
    go."""
    superseded, username = full.superseded, event["user"]["username"]
    active = {key.access_key_id for key in keys if key.status == ACTIVE}
    if superseded is None or superseded.access_key_id not in active or full.current is None:
        return None
    previous = (
        str(superseded.access_key_id),
        (str(full.current.access_key_id), full.current.create_date),
    )
    entry = check_again(aws, config, username, previous, event["prefix"])
    if isinstance(entry, last_use.Awaiting):
        return result(event, config, "skipped", entry.describe())
    if entry is None:
        return None
    return result(event, config, "deferred", deferrals.describe(entry), deferral=entry)


def too_soon_to_judge(
    config: Config, event: RotateEvent, hinted: DeliveryRecord
) -> RotateResult | None:
    """For rotate, from the batch's read alone: the skipped result while IAM cannot have published
    every use of the superseded key since its successor's creation (no use seen would prove
    nothing, and no retirement can come sooner); None when the key is to be checked."""
    current = hinted.current
    if config.in_use_key_action == "retire" or current is None or current.create_date is None:
        return None
    waiting = last_use.awaiting(config, str(current.access_key_id), current.create_date)
    if waiting.due():
        return None
    return result(event, config, "skipped", waiting.describe())


def check_again(
    aws: tuple[IAMClient, SecretsManagerClient],
    config: Config,
    username: str,
    previous: tuple[str, tuple[str, datetime.datetime | None]],
    run_prefix: str,
) -> DeferredEntry | last_use.Awaiting | None:
    """Before a run rotates a user whose superseded key is still Active (deferred, left for a
    later run, or left by a retirement that failed), check that key again; None when it may go.
    ``previous``: the key, its successor and the successor's creation (uses after it count
    when no run deferred the key yet)."""
    iam, secretsmanager = aws
    key_id, (successor_key_id, successor_created) = previous
    if config.in_use_key_action == "retire":
        return None
    recorded = deferrals.read_deferral(secretsmanager, config.secret_name(username), key_id)
    earlier = recorded.earlier
    if earlier is not None and earlier.run_prefix == run_prefix:
        return deferrals.verdict(config, username, earlier)  # this run deferred it already: a retry
    if earlier is not None:
        since = last_use.latest(earlier.last_used)
        last_used = used_since(iam, username, key_id, lambda last: last > earlier.last_used)
    elif successor_created is not None:
        since = successor_created
        last_used = used_since(iam, username, key_id, lambda last: last_use.may_follow(last, since))
    else:
        return None
    if last_used is None:
        awaiting = last_use.awaiting(config, successor_key_id, since)
        return _no_use_seen(config, username, awaiting, earlier)
    runs = earlier.runs + 1 if earlier is not None else 1
    deferral = deferrals.Deferral(key_id, runs, last_used, run_prefix)
    return deferrals.keep_or_deactivate(
        iam, secretsmanager, config, username, deferral, recorded=recorded
    )


def _no_use_seen(
    config: Config,
    username: str,
    awaiting: last_use.Awaiting,
    earlier: deferrals.Deferral | None,
) -> DeferredEntry | last_use.Awaiting | None:
    """No use seen: the key may go once IAM has had time to publish one (``awaiting``); until
    then a deferred key stays deferred, and another waits."""
    if awaiting.due():
        return None
    if earlier is not None:
        return deferrals.verdict(config, username, earlier)
    return awaiting


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
) -> DeferredEntry | last_use.Awaiting | None:
    """After a confirmed handoff (``since``: no earlier than it), retire the previous key as
    old_key_action says; when it was used since, do what in_use_key_action says instead; when
    IAM may not have published such a use yet, leave the key for a later run."""
    access_keys.refuse_the_new_key(previous_key_id, new_key)
    if config.in_use_key_action != "retire" and since is not None:
        awaiting = last_use.awaiting(config, new_key, since)
        if not awaiting.due():
            return _leave_for_a_later_run(
                secretsmanager, config, username, previous_key_id, awaiting
            )
        last_used = used_since(
            iam, username, previous_key_id, lambda last: last_use.may_follow(last, since)
        )
        if last_used is not None:
            first = deferrals.Deferral(previous_key_id, 1, last_used, run_prefix)
            return deferrals.keep_or_deactivate(
                iam, secretsmanager, config, username, first, recorded=None
            )
    access_keys.retire(iam, config.old_key_action, username, previous_key_id, new_key)
    return None


def _leave_for_a_later_run(
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    previous_key_id: str,
    awaiting: last_use.Awaiting,
) -> last_use.Awaiting:
    """IAM may not have published a use of the previous key since ``since`` yet: mark the
    user's secret so that the next run checks the key first (no use is asked for: none seen
    would prove nothing, and the later run asks). When a later run judges every previous key,
    the new key's version was marked when it was written: nothing to write."""
    if not config.previous_keys_judged_later:
        secret_id = config.secret_name(username)
        recorded = deferrals.read_deferral(secretsmanager, secret_id, previous_key_id)
        deferrals.mark_for_a_check(secretsmanager, secret_id, recorded)
    LOGGER.info(
        "previous access key left for a later run",
        extra={"username": username, "detail": awaiting.describe()},
    )
    return awaiting
