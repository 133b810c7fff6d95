"""`terraform destroy` removes everything the module (and the example) created.

What stays by design is listed in the README ("What terraform destroy does"): access keys on IAM
users the module does not manage, and secrets the engine created for users outside `users`. This
stack lists every user it rotates, so nothing of it may remain.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from stack import Stack


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


@pytest.mark.destroys_stack
def test_given_a_used_stack_when_destroyed_then_nothing_it_created_remains(stack: Stack) -> None:
    outputs = dict(stack.outputs)
    stack.reset_user(stack.usernames[0])
    assert stack.rotate().status == "SUCCEEDED"

    stack.destroy()

    assert gone(stack.client("stepfunctions").describe_state_machine,
                stateMachineArn=outputs["state_machine_arn"])  # fmt: skip
    for arn in outputs["function_arns"].values():
        assert gone(stack.client("lambda").get_function, FunctionName=arn), arn
    assert gone(stack.client("lambda").get_function, FunctionName=outputs["consumer_function_arn"])
    assert gone(stack.client("ssm").get_parameter, Name=outputs["users_parameter_name"])
    assert gone(stack.client("scheduler").get_schedule, Name=outputs["schedule_name"])
    for arn in outputs["secret_arns"].values():
        assert gone(stack.client("secretsmanager").describe_secret, SecretId=arn), arn
    for username in outputs["user_names"]:
        assert gone(stack.client("iam").get_user, UserName=username), username
    logs = stack.client("logs")
    for group in outputs["log_group_names"].values():
        found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert [g["logGroupName"] for g in found if g["logGroupName"] == group] == [], group
    roles = stack.client("iam").list_roles()["Roles"]
    assert [r["RoleName"] for r in roles if r["RoleName"].startswith(stack.name)] == []
    alarms = stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=stack.name)
    assert alarms["MetricAlarms"] == []
