"""JSON logs through the standard library.

Messages are constant; the facts go in ``extra=`` fields (username, access key id, secret name,
version id). No code in this package passes a secret value to a logger.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
from typing import Any, TextIO

PACKAGE_LOGGER = "credentials_rotator"

# Loggers of the AWS SDK print request bodies at DEBUG, and a request body can hold a secret value.
_SDK_LOGGERS = ("boto3", "botocore", "urllib3", "s3transfer")

_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: level, logger, message and every ``extra`` field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time of the record."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # not setStream(): it would flush a stream that may be closed
        super().emit(record)


def configure() -> None:
    """Set up JSON logging once per process; safe to call again."""
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
    package = logging.getLogger(PACKAGE_LOGGER)
    package.setLevel(level.upper())
    for name in _SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        return  # the Lambda runtime writes JSON and keeps the extra fields
    root = logging.getLogger()
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and root.handlers:
        for handler in root.handlers:
            handler.setFormatter(JsonFormatter())
        return
    if not any(isinstance(handler, _StderrHandler) for handler in package.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        package.addHandler(handler)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
