"""StopExecution aborts the execution at once.

AWS answers a stopped execution ABORTED, with its stop date, as soon as StopExecution returns,
while a Lambda invocation it started runs on to its end. moto stops its interpreter at the next
state but keeps the execution RUNNING, with no stop date, until the task in flight returns. The
patch marks the execution ABORTED at once and keeps moto from writing another status over it;
``ended`` hears of each execution's end.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
from moto.stepfunctions.parser.backend.execution import Execution as MotoExecution

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(monkeypatch: pytest.MonkeyPatch, ended: Callable[[], None]) -> None:
    original_stop = MotoExecution.stop
    original_reflect = BaseExecutionWorkerCommunication._reflect_execution_status

    def stop(execution: Any, stop_date: datetime.datetime, error: Any, cause: Any) -> None:
        original_stop(execution, stop_date=stop_date, error=error, cause=cause)
        if execution.exec_status == ExecutionStatus.RUNNING:
            execution.exec_status = ExecutionStatus.ABORTED
            execution.stop_date = stop_date
        ended()

    def reflect(communication: Any) -> None:
        if communication.execution.exec_status != ExecutionStatus.ABORTED:
            original_reflect(communication)
        ended()

    monkeypatch.setattr(MotoExecution, "stop", stop)
    monkeypatch.setattr(BaseExecutionWorkerCommunication, "_reflect_execution_status", reflect)
