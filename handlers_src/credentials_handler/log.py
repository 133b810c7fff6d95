"""Logging of the handlers: stdlib ``logging``, constant messages, facts in ``extra=`` fields.

On Lambda the functions log in JSON (``logging_config`` of ``modules/handler-function``), and the
runtime writes every ``extra`` field. The AWS SDK's loggers would print request bodies at DEBUG:
they stay at WARNING.
"""

from __future__ import annotations

import logging
import os

_SDK_LOGGERS = ("boto3", "botocore", "urllib3")


def configure(*packages: str) -> None:
    level = (os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "INFO").upper()
    for name in ("credentials_handler", *packages):
        logging.getLogger(name).setLevel(level)
    for name in _SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
