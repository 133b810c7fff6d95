"""Named errors of a rotation run.

The class names are a contract: the state machine template matches them in ``ErrorEquals``, and
they appear as ``error`` in the run's summary. Rename one only together with the template.
Every message is cut to ``MESSAGE_LIMIT`` characters, so no error of ours can swell a state.
"""

from __future__ import annotations

# The longest message an error of ours carries (a Step Functions state holds 256 KB).
MESSAGE_LIMIT = 1000
SHORTENED = " [… shortened]"


def cut(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """``message``, shortened to ``limit`` characters with a visible mark when it was longer."""
    if len(message) <= limit:
        return message
    return message[: limit - len(SHORTENED)] + SHORTENED


class RotatorError(Exception):
    """Base class of every error this package raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(cut(message))


class ConfigError(RotatorError):
    """A setting of the functions is missing, unknown or of the wrong type."""


class InvalidRunInput(RotatorError):
    """The execution input has an unknown key, a wrong type or an empty users list."""


class InvalidUsersParameter(RotatorError):
    """The users to rotate cannot be determined or rotated.

    The users parameter is missing, does not hold a valid users list or names one user twice
    (names ignore case), IAM could not be listed for the users selected at run time, or a user
    to rotate has a ',' in its name.
    """


class UnknownUser(RotatorError):
    """An on-demand run names a user that is neither configured nor selected, or is excluded."""


class RotationAlreadyRunning(RotatorError):
    """Another run of the same state machine is running, or ended abnormally so recently that a
    function it invoked may still be running."""


class UserNotFound(RotatorError):
    """The IAM user does not exist."""


class UnknownAccessKey(RotatorError):
    """The user has an Active key that this rotator cannot account for; nothing was deleted."""


class AmbiguousAccessKeys(RotatorError):
    """No delivery is recorded and both keys of the user are Active; nothing was deleted."""


class RecordReplaced(RotatorError):
    """The secret's current value was replaced by hand while a key awaited confirmation, so the
    rotator cannot tell which key the handler holds; nothing was changed."""


class UnconfirmedKeyInactive(RotatorError):
    """A key handed off without confirmation was deactivated by hand; nothing was changed."""


class UnconfirmedKeyNotUsable(RotatorError):
    """A key handed off without confirmation does not authenticate: it was not handed off again,
    and both keys stay (the handler may hold it)."""


class SecretWriteFailed(RotatorError):
    """The new key could not be stored in the user's secret; the new key was deleted again."""


class SecretVersionLimit(RotatorError):
    """The user's secret holds as many versions as Secrets Manager keeps; the new key was deleted
    again."""


class NewKeyNotUsable(RotatorError):
    """The new key never authenticated as its user within the time limit; it was rolled back
    before any handoff (the state machine names it in its NewKeyNotUsable state)."""


class HandoffUnconfirmed(RotatorError):
    """The handler may hold the new key but did not confirm it; both keys stay Active."""


class OutcomeUnknown(RotatorError):
    """The batch recorded no outcome for the user; none of its keys was retired."""


class RetireFailed(RotatorError):
    """The previously delivered key could not be deleted or deactivated after the handoff."""


class KeyStillInUse(RotatorError):
    """The previously delivered key was used after its successor's handoff on ``max_deferrals``
    runs in a row; it stays Active and the next run checks it again."""


class RotationFailed(RotatorError):
    """At least one user failed; the run's cause is its summary as JSON."""


class AccountUnreachable(RotatorError):
    """The role of a member account could not be assumed; none of its users' keys was changed,
    and the other accounts' users go on."""
