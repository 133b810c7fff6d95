"""Handing off again a key whose handoff was never confirmed (``rotate``, the decision's
``resume``): the handler may hold it, so nothing new is created and nothing is rolled back.

With verification on, the key proves it works first: it may never have been proven, when the
``rotate`` that wrote it was stopped or died while it proved it. A key that does not authenticate
is not handed off again; the user fails (``UnconfirmedKeyNotUsable``) and both keys stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from credentials_rotator.aws.verification import prove_usable, recorded_key
from credentials_rotator.model.delivery_record import DeliveryRecord, Version
from credentials_rotator.model.errors import UnconfirmedKeyNotUsable
from credentials_rotator.model.key_plan import KeyPlan
from credentials_rotator.model.shapes import RotateEvent, RotateResult
from credentials_rotator.run import deferrals
from credentials_rotator.run.rotate_result import result
from credentials_rotator.settings.config import Config
from credentials_rotator.settings.log import get_logger

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

LOGGER = get_logger(__name__)


def handoff_again(
    secretsmanager: SecretsManagerClient,
    event: RotateEvent,
    config: Config,
    full: DeliveryRecord,
    plan: KeyPlan,
) -> RotateResult:
    """Hand off again the key whose earlier handoff was never confirmed: the handler may hold it.
    With verification on, the key proves it works first: it may never have been proven (its
    rotate was stopped or died while it proved it)."""
    unconfirmed = plan.resume
    assert unconfirmed is not None and full.secret_arn is not None
    previous_key_id = plan.previous.access_key_id if plan.previous else None
    _prove_again(secretsmanager, config, event["user"]["username"], full.secret_arn, unconfirmed)
    if previous_key_id is not None and config.previous_keys_judged_later:
        _mark_for_a_check(secretsmanager, full.secret_arn, unconfirmed, previous_key_id)
    LOGGER.info(
        "handing off an unconfirmed access key again",
        extra={"username": event["user"]["username"], "access_key_id": unconfirmed.access_key_id},
    )
    return result(
        event,
        config,
        "ready",
        f"hands off access key {unconfirmed.access_key_id} again",
        secretArn=full.secret_arn,
        versionId=unconfirmed.version_id,
        accessKeyId=unconfirmed.access_key_id,
        previousKeyId=previous_key_id,
        previousVersionId=plan.previous_version.version_id if plan.previous_version else None,
        resumed=True,
    )


def _mark_for_a_check(
    secretsmanager: SecretsManagerClient,
    secret_arn: str,
    unconfirmed: Version,
    previous_key_id: str,
) -> None:
    """Mark the unconfirmed key's version for the later run's check of ``previous_key_id``, as
    a key written with these settings is (``versions.write_pending``), before its handoff: a
    confirmed handoff then leaves ``finish`` nothing to write. Written under other settings, it
    may lack the mark."""
    if not unconfirmed.deferred:
        recorded = deferrals.read_deferral(secretsmanager, secret_arn, previous_key_id)
        deferrals.mark_for_a_check(secretsmanager, secret_arn, recorded)


def _prove_again(
    secretsmanager: SecretsManagerClient,
    config: Config,
    username: str,
    secret_arn: str,
    unconfirmed: Version,
) -> None:
    """Raise ``UnconfirmedKeyNotUsable`` when verification is on and the unconfirmed key does
    not authenticate: nothing is handed off, and both keys stay, since the handler may hold it."""
    limit = config.verify_new_key_seconds
    if limit is None:
        return
    key = recorded_key(secretsmanager, secret_arn, unconfirmed.version_id, username)
    if key is None:
        return  # a key the rotator never had the secret of: nothing to prove it with
    refusal = prove_usable(key, limit, hub_account_id=config.hub_account_id, just_created=False)
    del key
    if refusal is not None:
        raise UnconfirmedKeyNotUsable(
            f"access key {unconfirmed.access_key_id} of user {username} was recorded but its "
            f"handoff never confirmed, and it does not work: {refusal}. It was not handed off "
            "again and both keys stay Active (the handler may hold it); the next run proves it "
            "again. Delete it by hand to rotate from the delivered key"
        )
