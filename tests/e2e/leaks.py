"""Proof that no secret access key leaves Secrets Manager: not into a run's execution history,
not into the run-data bucket, not into any log group of the deployment."""

from __future__ import annotations

import json

from testkit.stack import Stack


def secret_access_keys(stack: Stack) -> set[str]:
    """Every secret access key any version of any user secret ever held (kept in memory only).

    A version that records a key the rotator adopted holds no secret access key (the rotator never
    had it): there is nothing of it to look for."""
    secretsmanager = stack.client("secretsmanager")
    found: set[str] = set()
    for secret_arn in stack.outputs["secret_names"].values():
        versions = secretsmanager.list_secret_version_ids(
            SecretId=secret_arn, IncludeDeprecated=True
        )
        for version in versions["Versions"]:
            value = secretsmanager.get_secret_value(
                SecretId=secret_arn, VersionId=version["VersionId"]
            )
            secret = json.loads(value["SecretString"]).get("SecretAccessKey")
            if secret:
                found.add(secret)
    return found


def assert_no_secret_leaked(stack: Stack, *execution_arns: str) -> None:
    """No secret access key in the runs' histories or in any log event of the deployment.

    The log groups must hold the engine's own log lines, so that an empty scan cannot pass.
    """
    secrets = secret_access_keys(stack)
    assert secrets, "the secrets hold no keys: nothing to look for"
    for arn in execution_arns:
        history = json.dumps(stack.history(arn), default=str)
        leaked = [s for s in secrets if s in history]
        assert not leaked, f"{len(leaked)} secret access key(s) in the history of {arn}"
    s3 = stack.client("s3")
    bucket = stack.outputs["run_data_bucket"]
    objects = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            objects += 1
            body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read().decode()
            assert not any(s in body for s in secrets), f"a secret access key is in {entry['Key']}"
    assert objects, "the run-data bucket holds nothing: the runs wrote no items or outcomes"
    groups_with_events: set[str] = set()
    for group, message in stack.log_events():
        groups_with_events.add(group)
        assert not any(s in message for s in secrets), (
            f"a secret access key is in log group {group}"
        )
    rotate_group = stack.outputs["log_group_names"]["rotate"]
    assert rotate_group in groups_with_events, "the rotate function's log group holds no events"
