"""Turning AWS and Step Functions errors into short, secret-free messages."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "Unknown"))


def describe_client_error(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'Unknown')}: {error.get('Message', '')}".rstrip(": ")


def cause_message(cause: str | None) -> str:
    """The readable part of a Step Functions error cause.

    A Lambda function error's cause is the runtime's JSON (``errorMessage``, ``errorType``,
    ``stackTrace``); other causes are plain text.
    """
    if not cause:
        return ""
    try:
        parsed = json.loads(cause)
    except json.JSONDecodeError:
        return cause
    if isinstance(parsed, dict) and isinstance(parsed.get("errorMessage"), str):
        return str(parsed["errorMessage"])
    return cause
