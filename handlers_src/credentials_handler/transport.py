"""One HTTP request to a target's API, through the standard library, and its answer.

A request that gets no answer (the address is unreachable, the connection drops, the answer does
not come in time) raises ``NoAnswerYet``; any answer, error statuses included, is a ``Response``.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# No proxy from the environment: the target is reached directly, as configured.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NoAnswerYet(Exception):
    """This attempt got no answer; the message says why, never with a secret."""


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(repr=False)
    body: Any = field(default=None, repr=False)  # JSON, sent as application/json


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body as JSON; None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None

    def excerpt(self) -> str:
        """The start of the body as text, for an answer without the API's error shape."""
        return self.body[:200].decode(errors="replace") or "(no message)"


def send(request: Request, timeout: float) -> Response:
    data = None if request.body is None else json.dumps(request.body).encode()
    headers = dict(request.headers)
    if data is not None:
        headers["Content-Type"] = "application/json"
    if not request.url.startswith(("https://", "http://")):
        raise ValueError(f"not an HTTP URL: {request.url}")
    prepared = urllib.request.Request(request.url, data, headers, method=request.method)  # noqa: S310
    try:
        with _OPENER.open(prepared, timeout=timeout) as answer:
            return Response(answer.status, _lower(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, _lower(error.headers.items()), error.read())
    except (OSError, http.client.HTTPException) as exc:  # URLError and timeouts are OSErrors
        raise NoAnswerYet(_reason(exc)) from exc


def _lower(items: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in items}


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return f"{type(reason).__name__}: {reason}"
