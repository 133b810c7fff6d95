"""What an error of a function leaves in the state (``entry``).

Step Functions keeps Lambda's whole error cause where the state machine catches it (the error's
message and the stack trace Lambda's runtime builds from its traceback). Errors leave the
functions short: their name, at most ``MESSAGE_LIMIT`` characters of message, no stack trace of
the engine; the function's log keeps the whole error.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest
from botocore.exceptions import ClientError
from credentials_rotator.handlers.entry import entry_point
from credentials_rotator.model.errors import MESSAGE_LIMIT, SHORTENED, UserNotFound


def failing(error: Exception) -> Any:
    """A handler whose work raises ``error`` from a few calls deep, as the engine's do."""

    def deep(depth: int) -> None:
        if depth == 0:
            raise error
        deep(depth - 1)

    @entry_point
    def handler(event: Any, context: object) -> None:
        deep(5)

    return handler


def raised_by(handler: Any) -> Exception:
    with pytest.raises(Exception) as raised:
        handler({}, object())
    return raised.value


def test_given_an_error_of_ours_then_it_leaves_as_it_is_without_the_engines_stack(
    engine_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN a handler whose work raises UserNotFound WHEN invoked THEN the same error leaves it
    (its name is the state machine's contract) with a stack trace of the entry point alone, and
    the function's log holds the whole error."""
    caplog.set_level(logging.ERROR)
    error = UserNotFound("IAM user bart does not exist")

    left = raised_by(failing(error))

    assert left is error
    frames = traceback.extract_tb(left.__traceback__)
    assert [frame.name for frame in frames if frame.name != "raised_by"] == ["handler"]
    (record,) = [r for r in caplog.records if r.getMessage() == "function failed"]
    assert record.exc_info is not None and record.exc_info[1] is error
    assert record.error == "UserNotFound"  # type: ignore[attr-defined]


def test_given_an_error_with_a_long_message_then_it_leaves_with_its_name_and_a_cut_message(
    engine_env: pytest.MonkeyPatch,
) -> None:
    """GIVEN a handler whose work meets an AWS error of 5,000 characters WHEN invoked THEN what
    leaves it is named ClientError, with a message of at most 1,000 characters that says it was
    shortened, and no stack trace of the engine."""
    long = {"Error": {"Code": "AccessDenied", "Message": "refused " + "x" * 5_000}}
    left = raised_by(failing(ClientError(long, "CreateAccessKey")))

    assert type(left).__name__ == "ClientError"
    message = str(left)
    assert len(message) <= MESSAGE_LIMIT and message.endswith(SHORTENED)
    assert message.startswith("An error occurred (AccessDenied) when calling the CreateAccessKey")
    frames = traceback.extract_tb(left.__traceback__)
    assert [frame.name for frame in frames if frame.name != "raised_by"] == ["handler"]
