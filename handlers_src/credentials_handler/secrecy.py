"""Secret values this invocation holds, kept out of every log record and error message.

Whatever reads a secret value (the rotated key, the target's token, a GitHub App's private key
and its installation tokens) registers it with ``keep_secret``; ``scrub`` replaces each of them in
a text. Log messages are constant and their fields are names and ids; the only text that comes
from outside is what a target's API answers, which may quote what it was sent: it is scrubbed
wherever it enters a message (``errors.HandlerError``, ``calls``).
"""

from __future__ import annotations

MARK = "[secret]"
_secrets: set[str] = set()


def keep_secret(value: str) -> str:
    """Register ``value`` (not empty) as secret for the rest of the invocation; returns it."""
    if value:
        _secrets.add(value)
    return value


def forget_secrets() -> None:
    """At the start of an invocation: the previous one's values are no longer held."""
    _secrets.clear()


def scrub(text: str) -> str:
    for value in sorted(_secrets, key=len, reverse=True):
        text = text.replace(value, MARK)
    return text
