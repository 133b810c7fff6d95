"""moto's Step Functions reuses one client per region and service for its tasks.

moto creates a boto3 client for every Task it runs (about 10 ms each, a tenth of a run here);
AWS's service keeps its connections. The clients are the same but for being new, so the patch
keeps each in ``made`` (by region and service) and hands it out again; no call changes.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval import (
    resource_eval_s3 as item_reader_s3,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk,
)
from moto.stepfunctions.parser.asl.utils import boto_client

CHECKED_AGAINST = ("moto", "5.2.5")


def patch(monkeypatch: pytest.MonkeyPatch, made: dict[tuple[str, str], Any]) -> None:
    create = boto_client.boto_client_for
    lock = threading.Lock()

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in made:
                made[region, service] = create(region, service, state_credentials)
            return made[region, service]

    for module in (item_reader_s3, lambda_eval_utils, state_task_service_aws_sdk):
        monkeypatch.setattr(module, "boto_client_for", client_for)
