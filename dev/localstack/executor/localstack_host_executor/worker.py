"""One execution environment: imports the function's handler once, then serves invocations.

Started by `executor.py` as
``python -I -u -m localstack_host_executor.worker REQUEST_FD RESPONSE_FD`` with the function's code
directory as working directory and the environment LocalStack computed for the function. Standard
output and standard error go to the environment's log file; the executor cuts that file into one
piece per invocation for CloudWatch Logs.

Protocol (one JSON object per line):
- worker → executor, once: ``{"type": "ready", "initDurationMs": float, "initError": obj | null}``
- executor → worker: ``{"requestId", "invokedFunctionArn", "payload", "deadlineMs", "traceId"}``
- worker → executor: ``{"type": "result", "isError": bool, "payload": str}``

Only the standard library is imported before the handler, so the handler sees the same modules as
on AWS (plus whatever the interpreter running LocalStack has installed, boto3 included).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, BinaryIO

Handler = Callable[[Any, "LambdaContext"], Any]

_current_request_id = ""

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged too.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "aws_request_id",
}


class RuntimeFault(Exception):
    """An error the runtime itself reports, with an AWS `Runtime.*` error type."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class LambdaContext:
    """The `context` argument of a handler, with the attributes of the AWS Python runtime."""

    def __init__(self, request_id: str, invoked_function_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _utc_timestamp(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = _current_request_id
        return True


class _TextFormatter(logging.Formatter):
    """`[LEVEL]<TAB>time<TAB>request id<TAB>message`, one log event per record as on AWS."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        line = (
            f"[{record.levelname}]\t{_utc_timestamp(record.created)}\t"
            f"{getattr(record, 'aws_request_id', '')}\t{text}"
        )
        return line.replace("\n", "\r")


class _JsonFormatter(logging.Formatter):
    """The AWS JSON log format: fixed keys plus every `extra=` field of the record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": _utc_timestamp(record.created),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", ""),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["errorType"] = type(error).__name__
            entry["errorMessage"] = str(error)
            entry["stackTrace"] = traceback.format_tb(error.__traceback__)
        return json.dumps(entry, default=str)


def _json_logs() -> bool:
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def _setup_logging() -> None:
    """Configure the root logger as the AWS runtime does before it imports the handler."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(_JsonFormatter() if _json_logs() else _TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level:
        root.setLevel(level)


def _load_handler(spec: str) -> Handler:
    module_name, dot, function_name = spec.rpartition(".")
    if not dot or not module_name or not function_name:
        raise RuntimeFault("Runtime.MalformedHandlerName", f"Bad handler '{spec}'")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise RuntimeFault(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        ) from exc
    except SyntaxError as exc:
        raise RuntimeFault(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        ) from exc
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise RuntimeFault(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return handler  # type: ignore[no-any-return]


def _user_frames(exc: BaseException) -> list[str]:
    """The traceback of `exc` without the frames of this runtime and of the import machinery."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename != __file__
        and not frame.filename.startswith("<frozen ")
        and not frame.filename.endswith(os.path.join("importlib", "__init__.py"))
    ]
    return traceback.format_list(frames)


def _error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    if isinstance(exc, RuntimeFault):
        return {"errorMessage": exc.message, "errorType": exc.error_type, "requestId": request_id}
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": _user_frames(exc),
    }


def _log_error(error: dict[str, Any]) -> None:
    """Write the error the way the AWS runtime does: one log event in the function's format."""
    if _json_logs():
        entry = {
            "timestamp": _utc_timestamp(time.time()),
            "level": "ERROR",
            "message": error["errorMessage"],
            "requestId": error["requestId"],
            "errorType": error["errorType"],
            "errorMessage": error["errorMessage"],
            "stackTrace": error.get("stackTrace", []),
        }
        sys.stdout.write(json.dumps(entry) + "\n")
    else:
        lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
        if error.get("stackTrace"):
            lines.append("Traceback (most recent call last):")
            lines.extend(frame.rstrip("\n") for frame in error["stackTrace"])
        sys.stdout.write("\r".join(lines).replace("\n", "\r") + "\n")


def _flush_output() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()


def _send(stream: BinaryIO, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def _exit_with_parent(parent_pid: int) -> None:
    """End this environment when LocalStack goes away, even in the middle of a handler."""
    while True:
        time.sleep(1)
        if os.getppid() != parent_pid:
            os._exit(0)


def _invoke(handler: Handler, request: dict[str, Any]) -> dict[str, Any]:
    global _current_request_id  # noqa: PLW0603 - read by the logging filter
    request_id = request["requestId"]
    _current_request_id = request_id
    os.environ["_X_AMZN_TRACE_ID"] = request.get("traceId", "")
    context = LambdaContext(request_id, request["invokedFunctionArn"], request["deadlineMs"])
    try:
        event = json.loads(request["payload"] or "{}")
        result = handler(event, context)
        try:
            body = json.dumps(result)
        except (TypeError, ValueError) as exc:
            message = f"Unable to marshal response: {exc}"
            raise RuntimeFault("Runtime.MarshalError", message) from exc
        response = {"type": "result", "isError": False, "payload": body}
    except Exception as exc:
        error = _error_payload(exc, request_id)
        _log_error(error)
        response = {"type": "result", "isError": True, "payload": json.dumps(error)}
    _flush_output()
    return response


def main() -> None:
    requests = os.fdopen(int(sys.argv[1]), "rb")
    responses = os.fdopen(int(sys.argv[2]), "wb")
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()

    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path.insert(0, task_root)
    sys.argv = [sys.argv[0]]
    _setup_logging()

    started = time.perf_counter()
    handler: Handler | None = None
    init_error: dict[str, Any] | None = None
    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except Exception as exc:
        init_error = _error_payload(exc, "")
        _log_error(init_error)
    _flush_output()
    init_ms = (time.perf_counter() - started) * 1000
    _send(responses, {"type": "ready", "initDurationMs": init_ms, "initError": init_error})

    for line in requests:
        request = json.loads(line)
        if handler is None:
            error = dict(init_error or {}, requestId=request["requestId"])
            response = {"type": "result", "isError": True, "payload": json.dumps(error)}
        else:
            response = _invoke(handler, request)
        _send(responses, response)


if __name__ == "__main__":
    main()
