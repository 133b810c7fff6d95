"""Why a handoff ends without the target holding the key.

``HandoffRefused`` and its subclasses are refusals: the handoff cannot start, or the target said
no. Raised while nothing of the handoff was written, they reach the rotator, which takes them at
their word and rolls the new key back; their class names are the error names the run's summary
shows, with their message.
``NoAnswer`` is not a refusal: the target did not answer in time, and whether it holds the key is
unknown (``entry`` ends the invocation so that the rotator keeps both keys).
"""

from __future__ import annotations

from credentials_handler.secrecy import scrub

# The longest message an error of ours carries (the rotator keeps at most 1,000 characters).
MESSAGE_LIMIT = 1000
SHORTENED = " [… shortened]"


def cut(message: str) -> str:
    if len(message) <= MESSAGE_LIMIT:
        return message
    return message[: MESSAGE_LIMIT - len(SHORTENED)] + SHORTENED


class HandlerError(Exception):
    """Base class of the errors this package raises on purpose: scrubbed, then cut."""

    def __init__(self, message: str) -> None:
        super().__init__(cut(scrub(message)))


class ConfigError(HandlerError):
    """An environment variable of the function is missing or invalid."""


class HandoffRefused(HandlerError):
    """The handoff cannot go on: the target does not hold the key."""


class InvalidHandoffEvent(HandoffRefused):
    """The event is not the rotator's handoff event."""


class KeyMismatch(HandoffRefused):
    """The secret version the event names does not hold the announced key of the user."""


class SecretUnreadable(HandoffRefused):
    """A secret the handoff needs (the rotated key, the target's credential) cannot be read."""


class InvalidCredential(HandoffRefused):
    """The target's credential (a token, a private key) read from its secret is not usable."""


class UnmappedUser(HandoffRefused):
    """No target is configured for the user."""


class TargetRefused(HandoffRefused):
    """The target's API refused a request; the message is the API's own."""


class NoAnswer(HandlerError):
    """The target did not answer within the invocation's time (or answered that it is busy)."""
