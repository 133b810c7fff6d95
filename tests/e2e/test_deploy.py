"""Applying the module: a user's `terraform apply`, then a second plan."""

from __future__ import annotations

from testkit.stack import Stack

# LocalStack 4.14 drops the Tags given to PutMetricAlarm (it honours TagResource), so the
# provider finds the alarm untagged and plans to add them. Real CloudWatch keeps them; the
# Terraform tier checks that the alarm is tagged.
LOCALSTACK_ALARM_TAGS_GAP = {
    "module.credentials_rotator.aws_cloudwatch_metric_alarm.failed_runs[0]": {"tags", "tags_all"},
}


def test_given_an_applied_stack_when_planned_again_then_nothing_changes(stack: Stack) -> None:
    changes = stack.planned_changes()
    unexplained = {
        address: attributes - LOCALSTACK_ALARM_TAGS_GAP.get(address, set())
        for address, attributes in changes.items()
    }
    assert {a: c for a, c in unexplained.items() if c} == {}, changes


def test_given_an_applied_stack_then_the_schedule_starts_the_state_machine_with_an_empty_input(
    stack: Stack,
) -> None:
    schedule = stack.client("scheduler").get_schedule(Name=stack.outputs["schedule_name"])
    assert schedule["Target"]["Arn"] == stack.outputs["state_machine_arn"]
    assert schedule["Target"]["Input"] == "{}"
    assert schedule["State"] == "ENABLED"


def test_given_a_user_leaving_the_list_and_coming_back_when_applied_then_it_rotates_on(
    stack: Stack,
) -> None:
    """GIVEN a rotated user WHEN it leaves the module's list (apply) and comes back (apply) THEN
    both applies succeed, its secret was never deleted, and it rotates from its delivered key:
    the rotator owns the secrets, so no secret of the same name is ever in Terraform's way."""
    username = stack.usernames[0]
    stack.reset_user(username)
    assert stack.rotate().status == "SUCCEEDED"
    delivered = stack.secret_key_id(username)

    stack.apply(exclude_users=[username])
    assert username not in stack.outputs["secret_names"]
    stack.apply()

    secret = stack.client("secretsmanager").describe_secret(
        SecretId=stack.outputs["secret_names"][username]
    )
    assert "DeletedDate" not in secret
    run = stack.rotate()
    assert run.status == "SUCCEEDED", run
    retired = {entry["username"]: entry["previousKeyId"] for entry in run.summary["rotated"]}
    assert retired[username] == delivered
