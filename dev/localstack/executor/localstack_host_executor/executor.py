"""`RuntimeExecutor` that runs a Python function's execution environment as a host subprocess.

One executor is one execution environment. `start()` spawns `worker.py` on LocalStack's own
interpreter with the environment LocalStack computed for the function (role credentials,
`AWS_ENDPOINT_URL` back to LocalStack, the function's variables); the worker imports the handler
once and serves invocations over a pair of pipes. Everything the handler prints or logs goes to a
file; each invocation's part of it is returned with the result, and LocalStack writes it to the
function's CloudWatch log group as it does for its Docker runtimes.

Like AWS, an invocation that outlives the function timeout is killed (with its whole process
group) and answered with `Sandbox.Timedout`; an environment whose init failed, timed out or whose
process exited starts afresh on the next invocation.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

LOG = logging.getLogger(__name__)

WORKER_MODULE = "localstack_host_executor.worker"
EXECUTOR_NAMESPACE = "/_localstack_lambda"
STOP_GRACE_SECONDS = 2.0


class _WorkerGone(Exception):
    """The worker process closed its pipe: it exited or was killed."""


class _Timeout(Exception):
    """No message from the worker before the deadline."""


def _gateway_host() -> str:
    """The address the worker reaches LocalStack's gateway at."""
    host = config.GATEWAY_LISTEN[0].host
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "without providing a reason"
    if code < 0:
        return f"with error: signal: {signal.Signals(-code).name}"
    return f"with error: exit status {code}"


def _timestamp() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class HostPythonRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self._lock = threading.Lock()
        self._env: dict[str, str] = {}
        self._dir = Path(tempfile.mkdtemp(prefix=f"lambda-env-{id}-"))
        self._log_path = self._dir / "output.log"
        self._log_path.touch()
        self._log_offset = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: int | None = None
        self._responses: int | None = None
        self._buffer = b""
        self._init_ms: float | None = None
        self._init_error: dict[str, Any] | None = None
        self._stopped = False
        self._invoked_at = ""

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        code_dir = self.function_version.config.code.get_unzipped_code_location()
        home = self._dir / "home"
        tmp = self._dir / "tmp"
        home.mkdir()
        tmp.mkdir()
        env = {key: str(value) for key, value in env_vars.items()}
        env.update(
            {
                # The function's code really lives here, not in /var/task.
                "LAMBDA_TASK_ROOT": str(code_dir),
                "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
                "LANG": "C.UTF-8",
                "HOME": str(home),
                "TMPDIR": str(tmp),
                # Keep the host's AWS configuration and profiles away from the handler: it must
                # use the role credentials and endpoint LocalStack gave it.
                "AWS_CONFIG_FILE": str(self._dir / "no-aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self._dir / "no-aws-credentials"),
            }
        )
        self._env = env
        with self._lock:
            self._spawn(deadline=time.monotonic() + config.LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT)

    def stop(self) -> None:
        self._stopped = True
        process = self._process
        if process is not None:
            # Kill first: an invocation waiting on the worker then sees it gone and lets go of
            # the lock.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        if self._lock.acquire(timeout=STOP_GRACE_SECONDS * 5):
            try:
                self._kill()
            finally:
                self._lock.release()
        shutil.rmtree(self._dir, ignore_errors=True)

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return _gateway_host()

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://{_gateway_host()}:{port}{EXECUTOR_NAMESPACE}/{self.id}"

    def get_logs(self) -> str:
        try:
            return self._log_path.read_text(errors="replace")
        except OSError:
            return ""

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        runtime = function_version.config.runtime or ""
        if function_version.config.package_type != PackageType.Zip or not runtime.startswith(
            "python"
        ):
            raise LambdaRuntimeException(
                "The host-python Lambda executor runs zip-packaged Python functions only, "
                f"not package type {function_version.config.package_type} with runtime "
                f"{runtime or 'none'}"
            )
        if function_version.config.layers:
            LOG.warning(
                "Function %s has layers; the host-python executor does not add them",
                function_version.qualified_arn,
            )
        function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        """Nothing to clean: the unzipped code belongs to LocalStack."""

    @classmethod
    def validate_environment(cls) -> bool:
        return True

    # -- invocation ---------------------------------------------------------------------------

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        timeout = float(self.function_version.config.timeout)
        with self._lock:
            init_ms = None
            if self._process is None or self._process.poll() is not None:
                self._spawn(deadline=time.monotonic() + timeout)
            if self._init_ms is not None:
                init_ms, self._init_ms = self._init_ms, None
            started = time.monotonic()
            self._invoked_at = _timestamp()
            if self._init_error is not None:
                # Like AWS, answer with the init error and start afresh next time.
                error = dict(self._init_error, requestId=request_id)
                self._kill()
                return self._result(request_id, error, True, started, init_ms)
            request = {
                "requestId": request_id,
                "invokedFunctionArn": payload["invoked-function-arn"],
                "payload": payload.get("payload") or "",
                "deadlineMs": int((time.time() + timeout) * 1000),
                "traceId": payload.get("trace-id", ""),
            }
            try:
                self._write(request)
                response = self._read(deadline=started + timeout)
            except _Timeout:
                self._kill()
                timed_out = f"Task timed out after {timeout:.2f} seconds"
                error = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: {timed_out}",
                }
                tail = f"{_timestamp()} {request_id} {timed_out}\n"
                return self._result(request_id, error, True, started, init_ms, tail)
            except (_WorkerGone, OSError):
                reason = _exit_reason(self._kill(wait_for_exit=True))
                error = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited {reason}",
                }
                return self._result(request_id, error, True, started, init_ms)
            return self._result(
                request_id, response["payload"], response["isError"], started, init_ms
            )

    def _result(
        self,
        request_id: str,
        body: str | dict[str, Any],
        is_error: bool,
        started: float,
        init_ms: float | None,
        tail: str = "",
    ) -> InvocationResult:
        duration_ms = (time.monotonic() - started) * 1000
        start, end = self._platform_lines(request_id, duration_ms, init_ms)
        logs = f"{start}{self._take_output()}{tail}{end}"
        payload = body if isinstance(body, str) else json.dumps(body)
        return InvocationResult(request_id, payload.encode(), is_error=is_error, logs=logs)

    def _platform_lines(
        self, request_id: str, duration_ms: float, init_ms: float | None
    ) -> tuple[str, str]:
        """The START line, and the END and REPORT lines, in the function's log format.

        JSON-format functions get JSON records, as on AWS. They are written whatever the system
        log level: LocalStack warns, and copies the whole environment output into its own log,
        when an invocation returns no log lines.
        """
        logging_config = self.function_version.config.logging_config or {}
        version = self.function_version.id.qualifier
        metrics: dict[str, Any] = {
            "durationMs": round(duration_ms, 2),
            "billedDurationMs": int(duration_ms) + 1,
            "memorySizeMB": int(self.function_version.config.memory_size),
            "maxMemoryUsedMB": self._max_memory_mb(),
        }
        if init_ms is not None:
            metrics["initDurationMs"] = round(init_ms, 2)
        if logging_config.get("LogFormat") == "JSON":
            start = {"requestId": request_id, "version": version}
            report = {"requestId": request_id, "metrics": metrics}
            return (
                json.dumps({"time": self._invoked_at, "type": "platform.start", "record": start})
                + "\n",
                json.dumps({"time": _timestamp(), "type": "platform.report", "record": report})
                + "\n",
            )
        report_line = (
            f"REPORT RequestId: {request_id}\tDuration: {metrics['durationMs']:.2f} ms\t"
            f"Billed Duration: {metrics['billedDurationMs']} ms\t"
            f"Memory Size: {metrics['memorySizeMB']} MB\t"
            f"Max Memory Used: {metrics['maxMemoryUsedMB']} MB"
        )
        if init_ms is not None:
            report_line += f"\tInit Duration: {init_ms:.2f} ms"
        return (
            f"START RequestId: {request_id} Version: {version}\n",
            f"END RequestId: {request_id}\n{report_line}\n",
        )

    # -- the worker process -------------------------------------------------------------------

    def _spawn(self, deadline: float) -> None:
        """Start a worker and wait until it has imported the handler (or failed to)."""
        if self._stopped:
            raise LambdaRuntimeException(f"Execution environment {self.id} was stopped")
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        code_dir = self._env["LAMBDA_TASK_ROOT"]
        try:
            with self._log_path.open("ab") as output:
                self._process = subprocess.Popen(
                    [
                        sys.executable,
                        "-I",
                        "-u",
                        "-m",
                        WORKER_MODULE,
                        str(request_read),
                        str(response_write),
                    ],
                    cwd=code_dir,
                    env=self._env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    pass_fds=(request_read, response_write),
                    start_new_session=True,
                )
        except BaseException:
            for fd in (request_read, request_write, response_read, response_write):
                os.close(fd)
            raise
        os.close(request_read)
        os.close(response_write)
        self._requests, self._responses, self._buffer = request_write, response_read, b""
        try:
            ready = self._read(deadline)
        except (_Timeout, _WorkerGone, OSError) as exc:
            self._kill()
            raise LambdaRuntimeException(
                f"Execution environment {self.id} of {self.function_version.qualified_arn} did "
                f"not start ({type(exc).__name__.strip('_')}); its output:\n{self.get_logs()}"
            ) from exc
        self._init_ms = ready["initDurationMs"]
        self._init_error = ready["initError"]

    def _write(self, message: dict[str, Any]) -> None:
        if self._requests is None:
            raise _WorkerGone
        data = json.dumps(message).encode() + b"\n"
        while data:
            written = os.write(self._requests, data)
            data = data[written:]

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            if self._responses is None:
                raise _WorkerGone
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            readable, _, _ = select.select([self._responses], [], [], remaining)
            if readable:
                chunk = os.read(self._responses, 1 << 16)
                if not chunk:
                    raise _WorkerGone
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def _kill(self, wait_for_exit: bool = False) -> int | None:
        """Kill the worker and everything it started; returns its exit code if it had exited."""
        process, self._process = self._process, None
        code = None
        if process is not None:
            if wait_for_exit:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=STOP_GRACE_SECONDS)
            code = process.poll()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE_SECONDS)
        for fd in (self._requests, self._responses):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._requests = self._responses = None
        self._buffer = b""
        self._init_error = None
        return code

    def _take_output(self) -> str:
        """What the environment wrote since the last call: this invocation's log lines."""
        try:
            with self._log_path.open("rb") as output:
                output.seek(self._log_offset)
                data = output.read()
        except OSError:
            return ""
        self._log_offset += len(data)
        text = data.decode(errors="replace")
        return text if not text or text.endswith("\n") else text + "\n"

    def _max_memory_mb(self) -> int:
        process = self._process
        if process is None:
            return 0
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
        return 0
