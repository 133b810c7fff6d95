"""One clock: the engine reads the time only through ``credentials_rotator.settings.clock``, and in
the tests moto's timestamps and the engine's clock are the same clock, which a test moves at once
(testkit/world_clock.py)."""

from __future__ import annotations

import ast
import datetime
import json
import threading
import time
from typing import Any

import boto3
from credentials_rotator.settings import clock
from package_scan import MODULES

from testkit.world_clock import WorldClock

HOUR = datetime.timedelta(hours=1)
SECOND = datetime.timedelta(seconds=1)
# What reads or waits on the time: a call of one of these names, or of a method of this name.
TIME_MODULE = "time"
CLOCK_METHODS = frozenset({"now", "utcnow", "today"})


def moto_stamps(iam: Any, secretsmanager: Any, s3: Any) -> dict[str, datetime.datetime]:
    """The times moto stamps when a key is created and used, an object and a secret written and
    a state machine started."""
    iam.create_user(UserName="homer")
    key = iam.create_access_key(UserName="homer")["AccessKey"]
    boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        aws_session_token=None,
    ).get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.put_object(Bucket=bucket, Key="k", Body=b"{}")
    secretsmanager.create_secret(Name="ci-keys/homer", SecretString="{}")
    versions = secretsmanager.list_secret_version_ids(SecretId="ci-keys/homer")["Versions"]
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(
        name="one-clock",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/one-clock",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    return {
        "IAM CreateDate": key["CreateDate"],
        "IAM LastUsedDate": used["LastUsedDate"],
        "S3 LastModified": s3.head_object(Bucket=bucket, Key="k")["LastModified"],
        "Secrets Manager CreatedDate": versions[0]["CreatedDate"],
        "Step Functions startDate": sfn.describe_execution(executionArn=execution)["startDate"],
    }


def test_given_the_clock_moved_an_hour_when_moto_stamps_then_the_engine_reads_the_same_time(
    iam: Any, secretsmanager: Any, s3: Any, world_clock: WorldClock
) -> None:
    """GIVEN the world clock moved an hour ahead WHEN moto creates and uses a key, writes an
    object and a secret and starts an execution THEN each of its stamps lies between the engine's
    ``clock.now()`` before and after, to the second (S3 and Secrets Manager give whole seconds)."""
    start = clock.now()
    world_clock.advance(HOUR)
    before = clock.now()

    stamps = moto_stamps(iam, secretsmanager, s3)

    after = clock.now()
    assert before - start >= HOUR
    late_or_early = {
        name: stamp
        for name, stamp in stamps.items()
        if not before.replace(microsecond=0) <= stamp <= after
    }
    assert late_or_early == {}, f"not between {before} and {after} on the engine's clock"


def test_given_the_clock_when_it_moves_to_the_next_second_then_no_time_is_waited(
    world_clock: WorldClock,
) -> None:
    started, before = time.monotonic(), clock.now()

    world_clock.to_next_second()

    after = clock.now()
    assert after.replace(microsecond=0) == before.replace(microsecond=0) + SECOND
    assert time.monotonic() - started < 0.5


def test_given_the_engine_waits_in_one_thread_then_its_clock_moves_and_no_other_threads(
    aws: None,
) -> None:
    """GIVEN an invocation waits 30 s (``clock.sleep``) WHEN its thread reads ``clock.monotonic``
    THEN 30 s have passed there, at once, and not in a thread running alongside it."""
    started = time.monotonic()
    waited: dict[str, float] = {}

    def wait_30_seconds() -> None:
        before = clock.monotonic()
        clock.sleep(30)
        waited["waiting thread"] = clock.monotonic() - before

    alongside = clock.monotonic()
    thread = threading.Thread(target=wait_30_seconds)
    thread.start()
    thread.join()
    waited["another thread"] = clock.monotonic() - alongside

    assert waited["waiting thread"] >= 30
    assert waited["another thread"] < 5
    assert time.monotonic() - started < 5


def _reads_the_time(node: ast.AST) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        names = [alias.name for alias in node.names]
        return TIME_MODULE in names if isinstance(node, ast.Import) else node.module == TIME_MODULE
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_METHODS
        and "datetime" in ast.unparse(node.func.value)
    )


def test_only_the_clock_reads_the_time() -> None:
    """Every read of the time, and every wait, goes through ``credentials_rotator.settings.clock``:
    the tests move that one clock, so a module reading the wall clock itself would be
    out of step."""
    readers = {
        f"{name}.py:{node.lineno}"
        for name, tree in MODULES.items()
        if name != "clock"
        for node in ast.walk(tree)
        if _reads_the_time(node)
    }
    assert readers == set()
