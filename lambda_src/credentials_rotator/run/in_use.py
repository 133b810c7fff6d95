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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from credentials_rotator.aws import access_keys, last_use
from credentials_rotator.aws.failures import error_code
from credentials_rotator.model.decision import PreviousUse, Use
from credentials_rotator.model.errors import UserNotFound
from credentials_rotator.model.shapes import DeferredEntry
from credentials_rotator.run import deferrals
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


@dataclass(frozen=True)
class Judged:
    """The verdict on a superseded key's uses (``decision.PreviousUse``), with what keeping it
    takes: the deferral that stands or is to be recorded, and, when a new use was seen, what the
    secret records (the deferral is then recorded, or the key deactivated)."""

    verdict: PreviousUse
    deferral: deferrals.Deferral | None = None
    recorded: deferrals.SecretDeferral | None = None


def judge(
    aws: tuple[IAMClient, SecretsManagerClient],
    config: Config,
    username: str,
    previous: tuple[str, tuple[str, datetime.datetime | None]],
    run_prefix: str,
) -> Judged:
    """For rotate, before anything is written: whether a superseded key still Active (deferred,
    left for a later run, or left by a retirement that failed) is still in use. Reads only.
    ``previous``: the key, its successor and the successor's creation (uses after it count
    when no run deferred the key yet)."""
    iam, secretsmanager = aws
    key_id, (successor_key_id, successor_created) = previous
    recorded = deferrals.read_deferral(secretsmanager, config.secret_name(username), key_id)
    earlier = recorded.earlier
    if earlier is not None and earlier.run_prefix == run_prefix:
        return Judged(PreviousUse(Use.IN_USE), earlier)  # this run deferred it already: a retry
    if earlier is not None:
        since = last_use.latest(earlier.last_used)
        last_used = used_since(iam, username, key_id, lambda last: last > earlier.last_used)
    elif successor_created is not None:
        since = successor_created
        last_used = used_since(iam, username, key_id, lambda last: last_use.may_follow(last, since))
    else:
        return Judged(PreviousUse(Use.MAY_GO))
    if last_used is None:
        return _no_use_seen(last_use.awaiting(config, successor_key_id, since), earlier)
    runs = earlier.runs + 1 if earlier is not None else 1
    deferral = deferrals.Deferral(key_id, runs, last_used, run_prefix)
    return Judged(PreviousUse(Use.IN_USE), deferral, recorded)


def _no_use_seen(awaiting: last_use.Awaiting, earlier: deferrals.Deferral | None) -> Judged:
    """No use seen: the key may go once IAM has had time to publish one (``awaiting``); until
    then a deferred key stays deferred, and another waits."""
    if awaiting.due():
        return Judged(PreviousUse(Use.MAY_GO))
    if earlier is not None:
        return Judged(PreviousUse(Use.IN_USE), earlier)
    return Judged(PreviousUse(Use.TOO_SOON, awaiting.describe()))


def keep(
    aws: tuple[IAMClient, SecretsManagerClient], config: Config, username: str, judged: Judged
) -> DeferredEntry:
    """For rotate, a key in use: record a new use as in_use_key_action says (a deferral, or the
    key deactivated), or keep the deferral that stands; ``KeyStillInUse`` at the
    ``max_deferrals``-th run in a row."""
    assert judged.deferral is not None
    if judged.recorded is None:
        return deferrals.verdict(config, username, judged.deferral)
    iam, secretsmanager = aws
    return deferrals.keep_or_deactivate(
        iam, secretsmanager, config, username, judged.deferral, recorded=judged.recorded
    )


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
