"""`terraform destroy` removes everything the module created, and leaves exactly what the README
("What terraform destroy does") says stays: the keys on the users, with the last delivered one
Active, the users' secrets, which the rotator made and which hold that key, and whatever the
credentials handler stored.

The module is destroyed first on its own (`-target`), so that the users and the handler, which
belong to the example, are still there to be checked; then the rest of the example goes.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from testkit.stack import Stack

MODULE = "module.credentials_rotator"


def gone(call: Any, **kwargs: Any) -> bool:
    """Whether `call(**kwargs)` answers that the resource does not exist."""
    try:
        call(**kwargs)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        return code in {
            "ResourceNotFoundException",
            "StateMachineDoesNotExist",
            "ParameterNotFound",
            "NoSuchEntity",
            "NotFoundException",
        }
    return False


def assert_module_gone(stack: Stack, outputs: dict[str, Any]) -> None:
    client = stack.client
    assert gone(
        client("stepfunctions").describe_state_machine, stateMachineArn=outputs["state_machine_arn"]
    )
    for arn in outputs["function_arns"].values():
        assert gone(client("lambda").get_function, FunctionName=arn), arn
    assert gone(client("ssm").get_parameter, Name=outputs["users_parameter_name"])
    assert gone(client("scheduler").get_schedule, Name=outputs["schedule_name"])
    buckets = {bucket["Name"] for bucket in client("s3").list_buckets()["Buckets"]}
    assert outputs["run_data_bucket"] not in buckets  # with the runs' data
    logs = client("logs")
    for key, group in outputs["log_group_names"].items():
        if key == "consumer":
            continue
        found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert group not in [g["logGroupName"] for g in found], group
    module_roles = [
        role["RoleName"]
        for role in client("iam").list_roles()["Roles"]
        if role["RoleName"].startswith(stack.name) and role["RoleName"] != f"{stack.name}-consumer"
    ]
    assert module_roles == []
    local_policies = client("iam").list_policies(Scope="Local")["Policies"]
    assert [p["PolicyName"] for p in local_policies if p["PolicyName"].startswith(stack.name)] == []
    consumer_role = f"{stack.name}-consumer"
    policies = client("iam").list_role_policies(RoleName=consumer_role)["PolicyNames"]
    assert f"{stack.name}-read-credentials" not in policies
    assert client("cloudwatch").describe_alarms(AlarmNamePrefix=stack.name)["MetricAlarms"] == []


@pytest.mark.destroys_stack
def test_given_a_used_stack_when_destroyed_then_exactly_the_documented_things_stay(
    stack: Stack,
) -> None:
    outputs = dict(stack.outputs)
    for username in stack.usernames:
        stack.reset_user(username)
    assert stack.rotate().status == "SUCCEEDED"
    delivered = {username: stack.secret_key_id(username) for username in stack.usernames}

    stack.destroy(target=MODULE)

    assert_module_gone(stack, outputs)
    for username in stack.usernames:
        assert stack.keys(username) == {delivered[username]: "Active"}, username
        assert stack.received(username) is not None, username
        secret = stack.client("secretsmanager").describe_secret(
            SecretId=outputs["secret_names"][username]
        )
        assert "DeletedDate" not in secret, username
        assert stack.secret_key_id(username) == delivered[username], username

    stack.destroy()

    for username in outputs["user_names"]:
        assert gone(stack.client("iam").get_user, UserName=username), username
    assert gone(stack.client("lambda").get_function, FunctionName=outputs["consumer_function_arn"])
