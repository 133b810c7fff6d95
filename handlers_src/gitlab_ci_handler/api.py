"""GitLab's REST API (v4): its headers, and how its answers are judged.

A 2xx is done. A 429 is busy: it waits ``Retry-After`` seconds, or until ``RateLimit-Reset``, as
GitLab's rate limits answer. A server error is busy (back-off). Any other answer (400, 401, 403,
404, ...) is a refusal, with GitLab's message; a lookup takes a 404 as "absent".
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from credentials_handler.calls import (
    DONE,
    Judge,
    Verdict,
    call,
    judgement,
    retry_after,
    seconds_until,
)
from credentials_handler.deadline import Deadline
from credentials_handler.transport import Request, Response

USER_AGENT = "terraform-aws-iam-credentials-rotator"


@dataclass(frozen=True)
class GitLabApi:
    api_url: str
    token: str = field(repr=False)
    deadline: Deadline

    def request(
        self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None
    ) -> Any:
        """The JSON answer of a request."""
        return self._call(method, path, body, query, judge).json()

    def lookup(self, path: str, query: Mapping[str, str] | None = None) -> Any | None:
        """The JSON answer of a GET; None when GitLab answers 404."""
        response = self._call("GET", path, None, query, judge_lookup)
        return None if response.status == 404 else response.json()

    def _call(
        self, method: str, path: str, body: Any, query: Mapping[str, str] | None, judged: Judge
    ) -> Response:
        url = self.api_url + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        headers = {"PRIVATE-TOKEN": self.token, "User-Agent": USER_AGENT}
        return call(Request(method, url, headers, body), judged, self.deadline)


def judge(response: Response) -> Verdict:
    message = error_message(response) if response.status >= 300 else ""
    wait = retry_after(response)
    if wait is None:
        wait = seconds_until(response.headers.get("ratelimit-reset", ""))
    return judgement(response, message, response.status == 429, wait)


def judge_lookup(response: Response) -> Verdict:
    return DONE if response.status == 404 else judge(response)


def error_message(response: Response) -> str:
    """GitLab's ``message`` (a text, or an object of field errors) or ``error``."""
    answer = response.json()
    if isinstance(answer, dict):
        message = answer.get("message", answer.get("error"))
        if isinstance(message, str):
            return message
        if message is not None:
            return json.dumps(message, separators=(",", ":"))
    return response.excerpt()
