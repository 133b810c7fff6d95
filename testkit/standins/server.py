"""The HTTP server every stand-in runs: 127.0.0.1, a free port, a thread, canned answers.

A stand-in subclasses ``StandIn`` and answers ``route(request)``. Tests can queue canned answers
for the next requests (``answer_next``: a rate limit, a server error) and read every request the
stand-in received (``requests``), headers included, to check how the handler called the API.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class StandInRequest:
    method: str
    segments: tuple[str, ...]  # the path's segments, each decoded ("group%2Fapp" → "group/app")
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: Any  # the JSON body, or None

    @property
    def path(self) -> str:
        return "/" + "/".join(self.segments)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any = None  # JSON
    headers: dict[str, str] = field(default_factory=dict)


class StandIn:
    """A vendor API on http://127.0.0.1:<port><prefix>."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.requests: list[StandInRequest] = []
        self._canned: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._serve_forever, daemon=True)
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the port: the API becomes unreachable."""
        if not self._stopped:
            self._stopped = True
            self._server.shutdown()
            self._server.server_close()

    def _serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer_next(self, count: int, answer: Answer) -> None:
        """Answer the next ``count`` requests with ``answer`` instead of serving them."""
        with self._lock:
            self._canned.extend([answer] * count)

    def received(self, method: str, path_start: str) -> Iterator[StandInRequest]:
        return (r for r in self.requests if r.method == method and r.path.startswith(path_start))

    def serve(self, request: StandInRequest) -> Answer:
        with self._lock:
            self.requests.append(request)
            if self._canned:
                return self._canned.popleft()
            return self.route(request)

    def route(self, request: StandInRequest) -> Answer:
        raise NotImplementedError


def _handler_for(stand_in: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read ``requests``."""

        def _serve(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            path = parts.path
            if not path.startswith(stand_in.prefix + "/"):
                answer = Answer(404, {"message": "Not Found"})
            else:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                request = StandInRequest(
                    method=self.command,
                    segments=tuple(
                        urllib.parse.unquote(segment)
                        for segment in path[len(stand_in.prefix) + 1 :].split("/")
                    ),
                    query=dict(urllib.parse.parse_qsl(parts.query)),
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=json.loads(raw) if raw else None,
                )
                answer = stand_in.serve(request)
            body = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if body:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_POST = do_DELETE = _serve

    return Handler
