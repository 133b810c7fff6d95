"""Throttling errors injected into moto, as AWS answers a request rate above its quota.

Neither moto nor LocalStack ever throttles. Both throttlers wrap moto's request handler (the
``before-send`` stubber every boto3 client in a ``mock_aws`` goes through): a throttled request
gets its service's throttling error instead of an answer, and moto never sees it, so it changes
nothing, as in AWS. Every client is affected: the engine's, and the ones Step Functions uses for
its tasks. ``Throttler`` throttles every n-th request of some services (tests); ``RateQuotas``
throttles what passes AWS's request-rate quotas (the benchmark's throttled row).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

_SERVICE = re.compile(r"^https?://(?:[^/]*\.)?(iam|secretsmanager|lambda|s3|ssm|states|events)\.")


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


class _ThrottlingStub:
    """Answers some requests with their service's throttling error before moto sees them.

    Requests whose user agent contains ``spare_agent`` (a test's own clients) are never throttled.
    A subclass says which in ``throttles``.
    """

    def __init__(self, spare_agent: str | None = None) -> None:
        self.spare_agent = spare_agent
        self.throttled: Counter[str] = Counter()
        self._lock = threading.Lock()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Throttle from now on (until ``monkeypatch`` is undone)."""
        original = BotocoreStubber.__call__
        throttler = self

        def call(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
            response = throttler.answer(event_name, request)
            if response is not None and stubber.enabled:
                return response
            return original(stubber, event_name, request, **kwargs)

        monkeypatch.setattr(BotocoreStubber, "__call__", call)

    def answer(self, event_name: str, request: Any) -> AWSResponse | None:
        match = _SERVICE.match(str(request.url))
        if match is None:
            return None
        agent = request.headers.get("User-Agent", b"")
        agent = agent.decode() if isinstance(agent, bytes) else str(agent)
        if self.spare_agent is not None and self.spare_agent in agent:
            return None
        service = match.group(1)
        operation = event_name.rsplit(".", 1)[-1]  # before-send.<service id>.<operation>
        with self._lock:
            if not self.throttles(service, operation):
                return None
            self.throttled[service] += 1
        return _throttled(service, str(request.url))

    def throttles(self, service: str, operation: str) -> bool:
        """Whether this request is throttled (called under the lock)."""
        raise NotImplementedError


class Throttler(_ThrottlingStub):
    """Throttles every ``every``-th request to each of ``services``; counts what it throttled."""

    def __init__(self, every: int, services: Iterable[str], spare_agent: str | None = None) -> None:
        super().__init__(spare_agent)
        self.every = every
        self.services = frozenset(services)
        self._seen: Counter[str] = Counter()

    def throttles(self, service: str, operation: str) -> bool:
        if service not in self.services:
            return False
        self._seen[service] += 1
        return self._seen[service] % self.every == 0


@dataclass(frozen=True)
class RateQuota:
    """AWS's request-rate quota on some operations: ``per_second`` requests, all together."""

    name: str
    per_second: float
    operations: frozenset[tuple[str, str]]  # (service as in its endpoint, operation)


class RateQuotas(_ThrottlingStub):
    """Throttles the requests above each quota's rate, as AWS does: one token bucket per quota,
    refilled at its rate and holding at most one second of requests (so a burst after a quiet
    spell passes, a sustained excess does not). Counts the requests each quota let through."""

    def __init__(self, quotas: Iterable[RateQuota], spare_agent: str | None = None) -> None:
        super().__init__(spare_agent)
        self.quotas = tuple(quotas)
        self.passed: Counter[str] = Counter()
        self._tokens = {quota.name: quota.per_second for quota in self.quotas}
        self._filled = time.monotonic()

    def throttles(self, service: str, operation: str) -> bool:
        quota = next((q for q in self.quotas if (service, operation) in q.operations), None)
        if quota is None:
            return False
        now = time.monotonic()
        elapsed, self._filled = now - self._filled, now
        for each in self.quotas:
            self._tokens[each.name] = min(
                each.per_second, self._tokens[each.name] + elapsed * each.per_second
            )
        if self._tokens[quota.name] < 1:
            return True
        self._tokens[quota.name] -= 1
        self.passed[quota.name] += 1
        return False
