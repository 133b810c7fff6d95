"""Turning AWS and Step Functions errors into short, secret-free messages."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def describe_error(exc: Exception) -> str:
    """``Code: message`` of an AWS error; the text of any other (a connection's, a timeout's)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Unknown')}: {error.get('Message', '')}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"


def cause_message(cause: object) -> str:
    """The readable part of a Step Functions error cause.

    A Lambda function error's cause is the runtime's JSON (``errorMessage``, ``errorType``,
    ``stackTrace``); other causes are plain text.
    """
    if not isinstance(cause, str) or not cause:
        return ""
    try:
        parsed = json.loads(cause)
    except json.JSONDecodeError:
        return cause
    if isinstance(parsed, dict) and isinstance(parsed.get("errorMessage"), str):
        return str(parsed["errorMessage"])
    return cause
