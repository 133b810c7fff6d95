"""The runs as moto recorded them: their run data, held to the limits AWS enforces and moto does
not, and searched for secret access keys.

The ``harness`` fixture (tests/workflow/conftest.py) checks every test at teardown: no secret
access key may appear in any execution's history (the children's included), input or output, in
the run-data bucket, or in the captured logs and output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from credentials_rotator.settings import log
from moto.s3.models import s3_backends

from testkit.checks.secret_watch import SecretWatch
from testkit.world.setting import ACCOUNT

# Step Functions' limits: a state's input or output (bytes), a Fail state's cause (characters).
PAYLOAD_LIMIT = 262_144
CAUSE_LIMIT = 32_768

# A run: its ARN, its events (its batches' too) and its description.
Recorded = tuple[str, list[dict[str, Any]], dict[str, Any]]


def captured_text(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """Everything a test printed and logged, each log record with all its fields."""
    captured = capsys.readouterr()
    logged = "\n".join(
        log.JsonFormatter().format(record) + repr(record.__dict__) for record in caplog.records
    )
    return captured.out + captured.err + logged


class Checks:
    """The harness's part that reads what the runs left and holds it to AWS's rules."""

    # Given by the harness.
    s3: Any
    sfn: Any
    bucket: str
    watch: SecretWatch
    executions: list[str]
    history: Callable[[str], list[dict[str, Any]]]
    child_history: Callable[[str], list[dict[str, Any]]]

    def _set_up_checks(self) -> None:
        self._ended_executions: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
        self._ended_texts: dict[str, str] = {}  # an ended run, as the secret check reads it

    def run_data(self, arn: str) -> dict[str, Any]:
        """The run's files in the run-data bucket: key (below the run's prefix) -> parsed JSON."""
        prefix = f"runs/{arn.rsplit(':', 1)[-1]}/"
        found: dict[str, Any] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for entry in page.get("Contents", []):
                body = self.s3.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"].read()
                found[entry["Key"].removeprefix(prefix)] = json.loads(body)
        return found

    def all_run_data_text(self) -> str:
        """Every object of the run-data bucket, as moto holds it (what GetObject answers for
        each), without a request per object."""
        bucket = s3_backends[ACCOUNT]["aws"].get_bucket(self.bucket)
        return "\n".join(key.value.decode() for key in bucket.keys.values())

    def assert_payloads_fit(self) -> None:
        """Every state's input and output, and every Fail cause, fits Step Functions' limits.

        AWS fails an execution with ``States.DataLimitExceeded`` (which no Catch can catch) when a
        state's input or output passes 256 KB, and keeps at most 32,768 characters of a cause;
        moto checks neither. Every run of the harness is held to them here.
        """
        for arn, events, described in self._recorded_executions():
            for event in events:
                for details in event.values():
                    if not isinstance(details, dict):
                        continue
                    for name in ("input", "output"):
                        size = len(str(details.get(name) or "").encode())
                        assert size <= PAYLOAD_LIMIT, (
                            f"{event.get('type')} of {arn} carries {size} bytes of {name}"
                        )
            cause = described.get("cause") or ""
            assert len(cause) <= CAUSE_LIMIT, f"the cause of {arn} has {len(cause)} characters"

    def assert_no_secret_leaked(self, captured_text: str) -> None:
        assert self.watch.leaks_in(captured_text) == 0, "a secret access key was logged"
        for arn, events, described in self._recorded_executions():
            text = self._ended_texts.get(arn)
            if text is None:
                text = json.dumps(events, default=str) + json.dumps(described, default=str)
                if arn in self._ended_executions:
                    self._ended_texts[arn] = text
            assert self.watch.leaks_in(text) == 0, f"a secret access key is in the history of {arn}"
        assert self.watch.leaks_in(self.all_run_data_text()) == 0, (
            "a secret access key is in the run-data bucket"
        )

    def _recorded_executions(self) -> Iterator[Recorded]:
        """Each run of the harness. A run that ended never changes again, so its record is read
        from moto once."""
        for arn in self.executions:
            record = self._ended_executions.get(arn)
            if record is None:
                described = self.sfn.describe_execution(executionArn=arn)
                record = (self.history(arn) + self.child_history(arn), described)
                if described["status"] != "RUNNING":
                    self._ended_executions[arn] = record
            yield arn, *record
