"""The calls and invocations a run costs on its normal path (docs/design.md)."""

from __future__ import annotations

from credentials_rotator.aws import verification
from credentials_rotator.settings import config

# The calls one user costs on the normal path; its delivery record comes from its batch's
# BatchGetSecretValue, which names no single user. Proving the new key works adds VERIFICATION
# (verify_new_key), checking that the previous key is no longer in use IN_USE_CHECK
# (in_use_key_action "defer" or "deactivate"); both are on by default, as in the module.
NORMAL_PATH_UNCHECKED = {
    "CreateAccessKey": 1,
    "PutSecretValue": 1,
    "Invoke": 1,
    "UpdateSecretVersionStage": 1,
    "DeleteAccessKey": 1,
}
VERIFICATION = {"GetCallerIdentity": verification.REQUIRED_SUCCESSES}
IN_USE_CHECK = {"GetAccessKeyLastUsed": 1}
NORMAL_PATH = NORMAL_PATH_UNCHECKED | VERIFICATION | IN_USE_CHECK


def batches_of(users: int) -> int:
    """How many batches (child executions) a run of ``users`` users has."""
    size = config.load().batch_size
    return -(-users // size)


def own_invocations(users: int, *, failed_handoffs: int = 0) -> int:
    """Invocations of the rotator's own functions in a run (docs/design.md): plan and finish,
    rotate per user, rotate and finish once per batch, roll back per failed handoff."""
    return users + 2 + 2 * batches_of(users) + failed_handoffs
