"""Named errors of a rotation run.

The class names are a contract: the state machine template matches them in ``ErrorEquals``, and
they appear as ``error`` in the run's summary. Rename one only together with the template.
"""

from __future__ import annotations


class RotatorError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(RotatorError):
    """An environment variable is missing or invalid."""


class InvalidRunInput(RotatorError):
    """The execution input has an unknown key, a wrong type or an empty users list."""


class InvalidUsersParameter(RotatorError):
    """The users to rotate cannot be determined or rotated.

    The users parameter is missing or does not hold a valid users list, IAM could not be listed
    for the users selected at run time, or a user to rotate has a ',' in its name.
    """


class UnknownUser(RotatorError):
    """An on-demand run names a user that is neither configured nor selected, or is excluded."""


class RotationAlreadyRunning(RotatorError):
    """An older run of the same state machine is still running."""


class UserNotFound(RotatorError):
    """The IAM user does not exist."""


class UnknownAccessKey(RotatorError):
    """The user has an Active key that this rotator never created; nothing was deleted."""


class AmbiguousAccessKeys(RotatorError):
    """No delivery is recorded and both keys of the user are Active; nothing was deleted."""


class SecretWriteFailed(RotatorError):
    """The new key could not be stored in the user's secret; the new key was deleted again."""


class RetireFailed(RotatorError):
    """The previously delivered key could not be deleted or deactivated after the handoff."""


class RotationFailed(RotatorError):
    """At least one user failed; the message is the run's summary as JSON."""
