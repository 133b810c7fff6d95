"""Lambda's Invoke runs the function's code.

moto without Docker (``lambda.use_docker: False``) does not run a function: its invoke answers
the request's own payload. AWS runs the function's handler and answers what it returns, or a
function error (``X-Amz-Function-Error`` and the runtime's ``errorType``/``errorMessage``
payload) when it raises. The patch hands each invoke to ``run``, which runs the real handler in
this process and answers as the Lambda runtime does (testkit/runner/functions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from moto.awslambda_simple.models import LambdaSimpleBackend

CHECKED_AGAINST = ("moto", "5.2.5")

# function name, request body, response headers -> the response payload
Run = Callable[[str, Any, dict[str, Any]], bytes]


def patch(monkeypatch: pytest.MonkeyPatch, run: Callable[[], Run]) -> None:
    """Invokes run ``run()`` (read at each invoke: a test or the benchmark may replace it)."""

    def invoke(
        backend: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes:
        name = backend.get_function(function_name, qualifier).function_name
        return run()(name, body, response_headers)

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
