"""JSON logs with usernames and key ids, and never a secret value, even at DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aws_state import NOW, handed_off_event, item, new_key, record
from credentials_rotator import finish, log, roll_back, rotate
from credentials_rotator.config import Config


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, with its handlers and level restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_given_a_record_with_extra_fields_when_formatted_then_it_is_one_json_object() -> None:
    record_ = logging.LogRecord("credentials_rotator.rotate", logging.INFO, "", 0, "made", (), None)
    record_.username = "homer"
    record_.access_key_id = "AKIAEXAMPLE000000001"
    entry = json.loads(log.JsonFormatter().format(record_))
    assert entry["message"] == "made"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "credentials_rotator.rotate"
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
    """GIVEN every log level on WHEN keys are created, stored, rolled back and retired THEN the
    logs carry usernames and key ids but no secret access key."""
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
    first = rotate.rotate_user(
        iam=iam, secretsmanager=secretsmanager, config=settings, item=item(), now=NOW
    )
    roll_back.roll_back(
        iam=iam, secretsmanager=secretsmanager, event={**first, "error": {"Error": "Boom"}}
    )
    second = rotate.rotate_user(
        iam=iam, secretsmanager=secretsmanager, config=settings, item=item(), now=NOW
    )
    rotate.read_batch(
        secretsmanager=secretsmanager,
        config=settings,
        event={"batch": "00000", "entries": [{"user": {"username": "homer"}, "record": None}]},
    )
    run = {"bucket": "ci-keys-123456789012-us-east-1-runs", "prefix": "runs/scheduled-1/"}
    s3.put_object(
        Bucket=run["bucket"],
        Key="runs/scheduled-1/items.json",
        Body=json.dumps([{"batch": "00000", "entries": [{"user": {"username": "homer"}}]}]),
    )
    finish.record_outcomes(s3, {**run, "batch": "00000", "results": [handed_off_event(second)]})
    finish.finish_run(
        iam=iam,
        s3=s3,
        config=settings,
        run={**run, "itemsKey": "runs/scheduled-1/items.json", "batches": 1, "dry_run": False},
        max_concurrency=1,
    )

    captured = capsys.readouterr()
    text = captured.out + captured.err
    text += "".join(log.JsonFormatter().format(r) + repr(r.__dict__) for r in caplog.records)
    assert len(secrets) == 3
    assert delivered["SecretAccessKey"] not in text
    assert not [secret for secret in secrets if secret in text]
    assert second["accessKeyId"] in text  # the logs were captured: they name the new key
    assert '"username": "homer"' in captured.err
