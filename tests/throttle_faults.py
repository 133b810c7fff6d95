"""Throttling errors injected into moto, as AWS answers a request rate above its quota.

Neither moto nor LocalStack ever throttles. ``Throttler`` wraps moto's request handler (the
``before-send`` stubber every boto3 client in a ``mock_aws`` goes through): every ``every``-th
request to one of ``services`` gets that service's throttling error instead of an answer, and moto
never sees it, so a throttled call changes nothing, as in AWS. Every client is affected: the
engine's, and the ones Step Functions uses for its tasks.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.bucket import TokenBucket
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

_SERVICE = re.compile(r"^https?://(?:[^/]*\.)?(iam|secretsmanager|lambda|s3|ssm|states)\.")


def _throttled(service: str, url: str) -> AWSResponse:
    """The error a throttled request to ``service`` gets, in that service's protocol."""
    ids = {"x-amzn-RequestId": "throttled", "x-amz-request-id": "throttled"}
    if service == "iam":  # query protocol
        body = (
            '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
            "<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
            "<RequestId>throttled</RequestId></ErrorResponse>"
        )
        return AWSResponse(url, 400, {**ids, "Content-Type": "text/xml"}, MockRawResponse(body))
    if service == "s3":  # rest-xml
        body = (
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
            "</Error>"
        )
        return AWSResponse(
            url, 503, {**ids, "Content-Type": "application/xml"}, MockRawResponse(body)
        )
    if service == "lambda":  # rest-json
        headers = {**ids, "x-amzn-ErrorType": "TooManyRequestsException"}
        body = json.dumps({"message": "Rate exceeded", "Type": "User", "Reason": "CallerRateLimit"})
        return AWSResponse(url, 429, headers, MockRawResponse(body))
    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})  # json
    headers = {**ids, "Content-Type": "application/x-amz-json-1.1"}
    return AWSResponse(url, 400, headers, MockRawResponse(body))


def without_client_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn off botocore's adaptive client-side rate limiter.

    After a throttle it paces a client at what it measured, down to 0.5 requests a second, which
    in a test of a few calls means seconds of sleep. The retries under test are not affected.
    """
    monkeypatch.setattr(TokenBucket, "acquire", lambda *_, **__: True)


class Throttler:
    """Throttles every ``every``-th request to ``services``; counts what it throttled.

    Requests whose user agent contains ``spare_agent`` (a test's own clients) are never throttled.
    """

    def __init__(self, every: int, services: Iterable[str], spare_agent: str | None = None) -> None:
        self.every = every
        self.services = frozenset(services)
        self.spare_agent = spare_agent
        self.throttled: Counter[str] = Counter()
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        without_client_pacing(monkeypatch)
        original = BotocoreStubber.__call__
        throttler = self

        def call(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
            response = throttler.answer(request)
            if response is not None and stubber.enabled:
                return response
            return original(stubber, event_name, request, **kwargs)

        monkeypatch.setattr(BotocoreStubber, "__call__", call)

    def answer(self, request: Any) -> AWSResponse | None:
        match = _SERVICE.match(str(request.url))
        if match is None or match.group(1) not in self.services:
            return None
        agent = request.headers.get("User-Agent", b"")
        agent = agent.decode() if isinstance(agent, bytes) else str(agent)
        if self.spare_agent is not None and self.spare_agent in agent:
            return None
        service = match.group(1)
        with self._lock:
            self._seen[service] += 1
            if self._seen[service] % self.every:
                return None
            self.throttled[service] += 1
        return _throttled(service, str(request.url))
