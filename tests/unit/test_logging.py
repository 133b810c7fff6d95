"""JSON logs with usernames and key ids, and never a secret value, even at DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aws_state import (
    NOW,
    PREFIX,
    engine,
    eventbridge_client,
    handed_off,
    items,
    keys_of,
    load_event,
    new_key,
    put_json,
    record,
    rotate_event,
    secrets_client,
)
from credentials_rotator.handlers import finish, read_records, record_outcomes, roll_back, rotate
from credentials_rotator.run import events
from credentials_rotator.settings import log
from credentials_rotator.settings.config import Config


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, with its handlers and level restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_given_a_record_with_extra_fields_when_formatted_then_it_is_one_json_object() -> None:
    record_ = logging.LogRecord(
        "credentials_rotator.handlers.rotate", logging.INFO, "", 0, "made", (), None
    )
    record_.username = "homer"
    record_.access_key_id = "AKIAEXAMPLE000000001"
    entry = json.loads(log.JsonFormatter().format(record_))
    assert entry["message"] == "made"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "credentials_rotator.handlers.rotate"
    assert entry["username"] == "homer"
    assert entry["access_key_id"] == "AKIAEXAMPLE000000001"


def test_given_lambda_at_debug_when_configured_then_sdk_loggers_stay_at_warning(
    monkeypatch: pytest.MonkeyPatch, root_logger: logging.Logger
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "DEBUG")
    root_logger.setLevel(logging.DEBUG)
    log.configure()
    assert logging.getLogger("credentials_rotator").getEffectiveLevel() == logging.DEBUG
    for name in ("botocore", "boto3", "urllib3"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING


def test_given_lambda_text_format_when_configured_then_the_runtime_handler_writes_json(
    monkeypatch: pytest.MonkeyPatch, root_logger: logging.Logger
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ci-keys-rotate")
    monkeypatch.delenv("AWS_LAMBDA_LOG_FORMAT", raising=False)
    runtime_handler = logging.StreamHandler()
    root_logger.handlers[:] = [runtime_handler]
    log.configure()
    assert isinstance(runtime_handler.formatter, log.JsonFormatter)


def test_given_lambda_json_format_when_configured_then_the_runtime_formatter_is_kept(
    monkeypatch: pytest.MonkeyPatch, root_logger: logging.Logger
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ci-keys-rotate")
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    runtime_formatter = logging.Formatter()
    runtime_handler = logging.StreamHandler()
    runtime_handler.setFormatter(runtime_formatter)
    root_logger.handlers[:] = [runtime_handler]
    log.configure()
    assert runtime_handler.formatter is runtime_formatter


def test_given_a_rotation_its_roll_back_and_a_finish_at_debug_then_no_secret_is_logged(
    iam: Any,
    secretsmanager: Any,
    s3: Any,
    settings: Config,
    monkeypatch: pytest.MonkeyPatch,
    root_logger: logging.Logger,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN every log level on WHEN records are read, keys are created, stored, rolled back,
    handed off again and retired THEN the logs carry usernames and key ids but no secret access
    key."""
    monkeypatch.setenv("AWS_LAMBDA_LOG_LEVEL", "DEBUG")
    root_logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    log.configure()
    secrets: list[str] = []
    iam.meta.events.register(
        "after-call.iam.CreateAccessKey",
        lambda parsed, **_: secrets.extend(
            [parsed["AccessKey"]["SecretAccessKey"]] if "AccessKey" in parsed else []
        ),
    )
    iam.create_user(UserName="homer")
    delivered = new_key(iam)
    record(secretsmanager, delivered)
    batch = read_records.read_records(
        secretsmanager, settings, events.parse_read_records_event(load_event("read_records.json"))
    )
    homer = rotate_event(record=batch["entries"][0]["record"])
    first = rotate.rotate_user(
        aws=engine(iam, secretsmanager), config=settings, event=homer, now=NOW
    )
    roll_back.roll_back(
        iam,
        secretsmanager,
        events.parse_roll_back_event({**first, "error": {"Error": "Boom"}}),
        settings,
    )
    second = rotate.rotate_user(
        aws=engine(iam, secretsmanager), config=settings, event=rotate_event(), now=NOW
    )
    put_json(s3, f"{PREFIX}items.json", items(["homer"]))
    record_outcomes.record_outcomes(
        s3,
        settings,
        events.parse_record_outcomes_event(
            {"prefix": PREFIX, "batch": "00000", "results": [handed_off(second)]}
        ),
    )
    finish_event = load_event("finish.json")
    finish.finish_run(
        iam=iam,
        secretsmanager=secrets_client(),
        eventbridge=eventbridge_client(),
        s3=s3,
        settings=settings,
        event=events.parse_finish_event(finish_event),
    )

    captured = capsys.readouterr()
    text = captured.out + captured.err
    text += "".join(log.JsonFormatter().format(r) + repr(r.__dict__) for r in caplog.records)
    assert len(secrets) == 3
    assert delivered["SecretAccessKey"] not in text
    assert not [secret for secret in secrets if secret in text]
    assert second["accessKeyId"] in text  # the logs were captured: they name the new key
    assert '"username": "homer"' in captured.err
    assert keys_of(iam) == {second["accessKeyId"]: "Active"}  # the flow really retired
