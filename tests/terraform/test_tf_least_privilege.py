"""Least privilege, proven on a real plan: each role grants exactly what its code calls.

The fixture root module (fixtures/plan) calls the module twice, with every policy-relevant input
("full") and with only the required ones ("minimal"). `terraform plan` runs with the real AWS
provider against a local moto server, which only answers the account lookup; `terraform show
-json` then gives every inline policy as it would be applied. Expected actions come from the code:
the functions' from their Python source (engine_actions.py), the state machine's from its
definition, the schedule's from its target.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_actions import Package
from tf_harness import BUILD, REPO, Terraform

FIXTURE = Path(__file__).parent / "fixtures" / "plan"
ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's account; the fixture's region
INSTANCES = {"full": "lp-full", "minimal": "lp-minimal"}
ENTRY_POINTS = ("plan", "rotate", "roll_back", "finish")
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"

# Actions no code line calls but AWS requires, with the reason.
LAMBDA_LOGGING = {
    # The functions write to their own log group, which the module creates.
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}
# Step Functions delivers its logs through CloudWatch Logs' vended-log API; these actions do not
# support resource-level permissions, so they are the only ones allowed on "*".
LOG_DELIVERY = {
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
}


def implied_actions(actions: set[str], with_kms: bool) -> set[str]:
    implied = set(LAMBDA_LOGGING)
    if "secretsmanager:CreateSecret" in actions:
        implied.add("secretsmanager:TagResource")  # CreateSecret with Tags
    if with_kms:  # Secrets Manager uses the customer key on the caller's behalf
        if "secretsmanager:GetSecretValue" in actions:
            implied.add("kms:Decrypt")
        if actions & {"secretsmanager:PutSecretValue", "secretsmanager:CreateSecret"}:
            implied.add("kms:GenerateDataKey")
    return implied


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    try:
        import flask  # noqa: F401  (moto's server needs it)
        import moto.server  # noqa: F401
    except ImportError:
        pytest.skip("moto[server] is not installed in this venv (`make venv`)")
    port = free_port()
    BUILD.mkdir(parents=True, exist_ok=True)
    log = (BUILD / "moto_server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).parent / "moto_for_plan.py"),
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start; see {BUILD / 'moto_server.log'}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def plan(terraform: Terraform, moto_endpoint: str) -> dict[str, Any]:
    terraform.init(FIXTURE)
    plan_file = BUILD / "least-privilege.tfplan"
    terraform.run(
        FIXTURE, "plan", "-input=false", "-no-color", "-refresh=false",
        f"-var=endpoint={moto_endpoint}", f"-out={plan_file}", timeout=300,
    )  # fmt: skip
    return json.loads(terraform.run(FIXTURE, "show", "-json", str(plan_file)).stdout)


def planned(plan: dict[str, Any], instance: str, address: str) -> dict[str, Any]:
    full_address = f"module.{instance}.{address}"
    for change in plan["resource_changes"]:
        if change["address"] == full_address:
            after: dict[str, Any] = change["change"]["after"]
            return after
    raise AssertionError(f"{full_address} is not in the plan")


def policy(plan: dict[str, Any], instance: str, address: str) -> list[dict[str, Any]]:
    document = planned(plan, instance, address)["policy"]
    assert isinstance(document, str), f"{address}: the policy must be known at plan time"
    statements: list[dict[str, Any]] = json.loads(document)["Statement"]
    for statement in statements:
        assert statement["Effect"] == "Allow"
        for key in ("Action", "Resource"):
            statement[key] = [statement[key]] if isinstance(statement[key], str) else statement[key]
    return statements


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in statement["Action"]}


def resources_for(statements: list[dict[str, Any]], action: str) -> set[str]:
    return {r for s in statements if action in s["Action"] for r in s["Resource"]}


def state_machine_tasks(states: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in states.values():
        if state["Type"] == "Task":
            yield state
        for nested in ("ItemProcessor", "Iterator"):
            if nested in state:
                yield from state_machine_tasks(state[nested]["States"])
        for branch in state.get("Branches", []):
            yield from state_machine_tasks(branch["States"])


def definition_needs(definition: dict[str, Any]) -> dict[str, set[str]]:
    """IAM action -> resources, for every Task of a state machine definition."""
    needs: dict[str, set[str]] = {}
    for task in state_machine_tasks(definition["States"]):
        resource = re.sub(r"\.(sync(:2)?|waitForTaskToken)$", "", task["Resource"])
        arguments = task.get("Parameters") or task.get("Arguments") or {}
        if resource == "arn:aws:states:::lambda:invoke":
            needs.setdefault("lambda:InvokeFunction", set()).add(arguments["FunctionName"])
        elif resource.startswith("arn:aws:states:::aws-sdk:"):
            service, operation = resource.removeprefix("arn:aws:states:::aws-sdk:").split(":")
            prefix = {"sfn": "states"}.get(service, service)
            needs.setdefault(f"{prefix}:{operation[0].upper()}{operation[1:]}", set())
        elif resource.startswith("arn:aws:lambda:"):
            needs.setdefault("lambda:InvokeFunction", set()).add(resource)
        else:
            raise AssertionError(f"no rule for the integration {task['Resource']}")
    return needs


CASES = [(instance, entry) for instance in INSTANCES for entry in ENTRY_POINTS]


@pytest.mark.parametrize(("instance", "entry_point"), CASES, ids=[f"{i}-{e}" for i, e in CASES])
def test_function_role_grants_exactly_what_its_code_calls(
    plan: dict[str, Any], instance: str, entry_point: str
) -> None:
    called = set(Package(REPO / "lambda_src").actions(entry_point))
    expected = called | implied_actions(called, with_kms=instance == "full")
    granted = actions_of(policy(plan, instance, f'aws_iam_role_policy.function["{entry_point}"]'))
    assert granted - expected == set(), f"granted but never called: {sorted(granted - expected)}"
    assert expected - granted == set(), f"called but not granted: {sorted(expected - granted)}"


@pytest.mark.parametrize("instance", INSTANCES)
def test_function_roles_name_exact_resources(plan: dict[str, Any], instance: str) -> None:
    name = INSTANCES[instance]
    users = {
        "full": {f"arn:aws:iam::{ACCOUNT}:user/homer", f"arn:aws:iam::{ACCOUNT}:user/school/bart"},
        "minimal": {f"arn:aws:iam::{ACCOUNT}:user/marge"},
    }[instance]
    secrets = {f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}/*"}
    for entry_point in ENTRY_POINTS:
        statements = policy(plan, instance, f'aws_iam_role_policy.function["{entry_point}"]')
        for action in actions_of(statements):
            resources = resources_for(statements, action)
            prefix = action.split(":")[0]
            wanted = {
                "iam": users,
                "secretsmanager": secrets,
                "ssm": {f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name}/users"},
                "states": {f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"},
                "kms": {KMS_KEY},
                "logs": {
                    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/"
                    f"{name}-{entry_point.replace('_', '-')}:*"
                },
            }[prefix]
            assert resources == wanted, f"{entry_point}: {action} on {sorted(resources)}"


@pytest.mark.parametrize("instance", INSTANCES)
def test_state_machine_role_grants_exactly_what_the_definition_uses(
    plan: dict[str, Any], instance: str
) -> None:
    machine = planned(plan, instance, "aws_sfn_state_machine.this")
    assert machine["logging_configuration"], "the state machine logs, so it needs log delivery"
    needs = definition_needs(json.loads(machine["definition"]))
    statements = policy(plan, instance, "aws_iam_role_policy.state_machine")
    expected = set(needs) | LOG_DELIVERY
    granted = actions_of(statements)
    assert granted == expected, f"extra {granted - expected}, missing {expected - granted}"
    assert resources_for(statements, "lambda:InvokeFunction") == needs["lambda:InvokeFunction"]
    secrets = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{INSTANCES[instance]}/*"
    for action in set(needs) - {"lambda:InvokeFunction"}:
        assert resources_for(statements, action) == {secrets}, action


@pytest.mark.parametrize("instance", INSTANCES)
def test_schedule_role_only_starts_its_state_machine(plan: dict[str, Any], instance: str) -> None:
    schedule = planned(plan, instance, "aws_scheduler_schedule.this")
    assert schedule["target"][0]["input"] == "{}"
    statements = policy(plan, instance, "aws_iam_role_policy.schedule")
    assert actions_of(statements) == {"states:StartExecution"}
    assert resources_for(statements, "states:StartExecution") == {
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{INSTANCES[instance]}"
    }


def test_handler_grant_reads_only_this_modules_secrets(plan: dict[str, Any]) -> None:
    """The handler reads its secret (GetSecretValue) and may inspect it (DescribeSecret)."""
    grant = planned(plan, "full", "aws_iam_role_policy.credentials_handler[0]")
    assert grant["role"] == "lp-consumer"
    statements = policy(plan, "full", "aws_iam_role_policy.credentials_handler[0]")
    assert actions_of(statements) == {
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
        "kms:Decrypt",
    }
    assert resources_for(statements, "secretsmanager:GetSecretValue") == {
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:lp-full/*"
    }
    assert resources_for(statements, "kms:Decrypt") == {KMS_KEY}
    addresses = {change["address"] for change in plan["resource_changes"]}
    assert "module.minimal.aws_iam_role_policy.credentials_handler[0]" not in addresses


def test_no_wildcard_resource_where_an_action_takes_a_resource(plan: dict[str, Any]) -> None:
    for change in plan["resource_changes"]:
        if change["type"] != "aws_iam_role_policy":
            continue
        for statement in json.loads(change["change"]["after"]["policy"])["Statement"]:
            resources = statement["Resource"]
            actions = statement["Action"]
            if "*" in ([resources] if isinstance(resources, str) else resources):
                wild = set([actions] if isinstance(actions, str) else actions) - LOG_DELIVERY
                assert not wild, f"{change['address']}: {sorted(wild)} on *"


def test_every_arn_is_in_this_account_and_region(plan: dict[str, Any]) -> None:
    for change in plan["resource_changes"]:
        if change["type"] != "aws_iam_role_policy":
            continue
        for statement in json.loads(change["change"]["after"]["policy"])["Statement"]:
            resources = statement["Resource"]
            for arn in [resources] if isinstance(resources, str) else resources:
                if arn == "*":
                    continue
                _, partition, service, region, account = arn.split(":")[:5]
                assert (partition, account) == ("aws", ACCOUNT), arn
                assert region == ("" if service == "iam" else REGION), arn


def test_kms_permissions_only_with_a_customer_key(plan: dict[str, Any]) -> None:
    for change in plan["resource_changes"]:
        if change["type"] == "aws_iam_role_policy" and change["address"].startswith(
            "module.minimal"
        ):
            assert "kms:" not in change["change"]["after"]["policy"], change["address"]


def test_planned_handlers_exist_in_the_committed_zip(plan: dict[str, Any]) -> None:
    """Each function's handler names a module of the zip that defines `handler`."""
    import zipfile

    with zipfile.ZipFile(REPO / "dist" / "credentials_rotator.zip") as archive:
        names = set(archive.namelist())
        for entry_point in ENTRY_POINTS:
            function = planned(plan, "full", f'aws_lambda_function.this["{entry_point}"]')
            module, attribute = function["handler"].rsplit(".", 1)
            path = module.replace(".", "/") + ".py"
            assert path in names, f"{function['function_name']}: {path} is not in the zip"
            tree = __import__("ast").parse(archive.read(path))
            defined = {getattr(node, "name", None) for node in tree.body}
            assert attribute in defined, f"{path} defines no {attribute}()"
