"""GitHub's REST API: its headers, and how its answers are judged.

A 2xx is done. A rate limit is busy: a 403 or 429 with ``retry-after`` waits that many seconds,
one with ``x-ratelimit-remaining: 0`` until ``x-ratelimit-reset``, and a secondary rate limit
without either a minute, as GitHub's documentation asks. A server error is busy (back-off). Any
other answer (401, 403, 404, 422, ...) is a refusal, with GitHub's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credentials_handler.calls import Verdict, call, judgement, retry_after, seconds_until
from credentials_handler.deadline import Deadline
from credentials_handler.transport import Request, Response

API_VERSION = "2022-11-28"
MEDIA_TYPE = "application/vnd.github+json"
USER_AGENT = "terraform-aws-iam-credentials-rotator"
SECONDARY_RATE_LIMIT_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class GitHubApi:
    base_url: str
    deadline: Deadline

    def request(self, method: str, path: str, token: str, body: Any = None) -> Any:
        """The JSON answer of a request authorised with ``token`` (a token or an app's JWT)."""
        headers = {
            "Accept": MEDIA_TYPE,
            "Authorization": f"Bearer {token}",
            "User-Agent": USER_AGENT,
            "X-GitHub-Api-Version": API_VERSION,
        }
        request = Request(method, self.base_url + path, headers, body)
        return call(request, judge, self.deadline).json()


def judge(response: Response) -> Verdict:
    message = error_message(response) if response.status >= 300 else ""
    wait = rate_limit_wait(response, message) if response.status in (403, 429) else None
    return judgement(response, message, wait is not None, wait)


def rate_limit_wait(response: Response, message: str) -> float | None:
    """Seconds GitHub asks to wait before the next request; None when it is no rate limit."""
    wait = retry_after(response)
    if wait is None and response.headers.get("x-ratelimit-remaining") == "0":
        wait = seconds_until(response.headers.get("x-ratelimit-reset", ""))
    if wait is None and (response.status == 429 or "rate limit" in message.lower()):
        wait = SECONDARY_RATE_LIMIT_WAIT_SECONDS
    return wait


def error_message(response: Response) -> str:
    """GitHub's ``message``, with the details of its ``errors`` list when it has one."""
    answer = response.json()
    if not isinstance(answer, dict) or not isinstance(answer.get("message"), str):
        return response.excerpt()
    details = [
        str(error.get("message") or error.get("code"))
        for error in answer.get("errors") or []
        if isinstance(error, dict)
    ]
    return str(answer["message"]) + (f" ({'; '.join(details)})" if details else "")
