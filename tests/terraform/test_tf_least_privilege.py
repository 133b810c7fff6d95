"""Least privilege, proven on a real plan: each role grants exactly what its code calls.

The fixture root module (fixtures/plan) calls the module three times: with every policy-relevant
input ("full", which selects users by path and tag), with only the required ones ("minimal"), and
selecting users by path alone ("path"). `terraform plan` runs with the real AWS
provider against a local moto server, which only answers the account lookup; `terraform show
-json` then gives every inline policy as it would be applied. Expected actions come from the code:
the functions' from their Python source (engine_actions.py), the state machine's from its
definition, the schedule's from its target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engine_actions import Package

from testkit.authz.guard import LOG_DELIVERY_ACTIONS
from testkit.terraform import BUILD, REPO, Terraform

FIXTURE = Path(__file__).parent / "fixtures" / "plan"
ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's account; the fixture's region
INSTANCES = {"full": "lp-full", "minimal": "lp-minimal", "path": "lp-path"}
ENTRY_POINTS = tuple(Package(REPO / "lambda_src").entry_points())
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"

# Actions no code line calls but AWS requires, with the reason.
LAMBDA_LOGGING = {
    # The functions write to their own log group, which the module creates.
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}
# Step Functions delivers its logs through CloudWatch Logs' vended-log API; these actions do not
# support resource-level permissions, so they are the only ones allowed on "*".
LOG_DELIVERY = set(LOG_DELIVERY_ACTIONS)


# plan lists the users selected at run time with one of these, chosen by the configuration: no
# selection, no listing; a path prefix only, ListUsers; a tag, GetAccountAuthorizationDetails
# (ListUsers returns no tags). AWS defines no resource for either, so they are granted on "*".
USER_LISTING = {"iam:ListUsers", "iam:GetAccountAuthorizationDetails"}
LISTING_BY_INSTANCE = {
    "full": {"iam:GetAccountAuthorizationDetails"},
    "minimal": set(),
    "path": {"iam:ListUsers"},
}
# finish retires the delivered key as old_key_action says, and is granted only that action.
RETIRE_ACTIONS = {"delete": "iam:DeleteAccessKey", "deactivate": "iam:UpdateAccessKey"}
OLD_KEY_ACTION = {"full": "deactivate", "minimal": "delete", "path": "delete"}
# A previous key still in use (in_use_key_action): finish asks when it was last used (listing the
# user's keys when that is denied) unless "retire", records a deferral on the user's secret (a stage
# and a tag) for "defer", and finish and rotate deactivate it for "deactivate".
IN_USE_KEY_ACTION = {"full": "deactivate", "minimal": "retire", "path": "defer"}


# The member roles each instance's functions assume (accounts.tf): "full" lists a member user and
# selects users in another account (so plan assumes too), "path" lists a member user only.
MEMBER_ROLES = {
    "full": {
        "arn:aws:iam::111122223333:role/credentials-rotator-member",
        "arn:aws:iam::444455556666:role/key-rotation",
    },
    "minimal": set(),
    "path": {"arn:aws:iam::111122223333:role/credentials-rotator-member"},
}
MEMBER_SELECTION = {"full": True, "minimal": False, "path": False}


def not_granted(instance: str, entry_point: str) -> set[str]:
    """Actions the function's code calls that this instance's configuration never makes."""
    skipped = _not_granted(instance, entry_point)
    if not MEMBER_ROLES[instance] or (entry_point == "plan" and not MEMBER_SELECTION[instance]):
        skipped.add("sts:AssumeRole")
    if entry_point == "rotate":
        skipped.add("sts:GetCallerIdentity")  # verification signs it with the new key
    return skipped


def _not_granted(instance: str, entry_point: str) -> set[str]:
    in_use = IN_USE_KEY_ACTION[instance]
    deactivates = {"iam:UpdateAccessKey"} if in_use == "deactivate" else set()
    if entry_point == "rotate":
        return {"iam:UpdateAccessKey"} - deactivates
    if entry_point != "finish":
        return set()
    skipped = set(RETIRE_ACTIONS.values()) - {RETIRE_ACTIONS[OLD_KEY_ACTION[instance]]}
    if EVENT_BUS[instance] is None:
        skipped.add("events:PutEvents")
    skipped -= deactivates
    if in_use == "retire":
        skipped |= {"iam:GetAccessKeyLastUsed", "iam:ListAccessKeys"}
    if in_use != "defer":
        skipped.add("secretsmanager:TagResource")
    if in_use == "retire":  # deactivate may leave a key for a later run: the deferral's stage
        skipped |= {"secretsmanager:DescribeSecret", "secretsmanager:UpdateSecretVersionStage"}
    return skipped


# The bus each instance sends its per-user events to (None: events off).
EVENT_BUS = {"full": "platform-events", "minimal": None, "path": "default"}


# The key actions reach these besides the listed users' exact ARNs (and, in "full", only users
# carrying the tag rotate=yes).
SELECTED_USERS = {
    "full": {f"arn:aws:iam::{ACCOUNT}:user/ci/*"},
    "minimal": set(),
    "path": {f"arn:aws:iam::{ACCOUNT}:user/ci/*"},
}


# Reading delivery records in batches: BatchGetSecretValue has no resource type, so it is granted on
# "*"; Secrets Manager authorizes each secret it returns as a GetSecretValue, which stays scoped.
NO_RESOURCE_TYPE = {"secretsmanager:BatchGetSecretValue"}


def run_data_bucket(instance: str) -> str:
    """The ARN of the instance's run-data bucket."""
    return f"arn:aws:s3:::{INSTANCES[instance]}-{ACCOUNT}-{REGION}-runs"


def run_data_objects(instance: str) -> str:
    """The ARN pattern of the runs' files in the instance's run-data bucket."""
    return f"{run_data_bucket(instance)}/runs/*"


def implied_actions(actions: set[str], with_kms: bool) -> set[str]:
    implied = set(LAMBDA_LOGGING)
    if "secretsmanager:CreateSecret" in actions:
        implied.add("secretsmanager:TagResource")  # CreateSecret with Tags
    if "secretsmanager:BatchGetSecretValue" in actions:
        implied.add("secretsmanager:GetSecretValue")  # each secret it returns is authorized so
    if "s3:GetObject" in actions:
        implied.add("s3:ListBucket")  # a missing file answers NoSuchKey, not AccessDenied
    actions = actions | implied
    if with_kms:  # Secrets Manager uses the customer key on the caller's behalf
        if "secretsmanager:GetSecretValue" in actions:
            implied.add("kms:Decrypt")
        if actions & {"secretsmanager:PutSecretValue", "secretsmanager:CreateSecret"}:
            implied.add("kms:GenerateDataKey")
        # S3 encrypts and decrypts run data (SSE-KMS) with the same key
        if "s3:GetObject" in actions:
            implied.add("kms:Decrypt")
        if "s3:PutObject" in actions:
            implied.add("kms:GenerateDataKey")
    return implied


@pytest.fixture(scope="module")
def plan(terraform: Terraform, moto_endpoint: str) -> dict[str, Any]:
    terraform.init(FIXTURE)
    planned, refusal = terraform.plan_json(FIXTURE, {}, moto_endpoint, BUILD / "least-privilege")
    assert planned is not None, refusal
    return planned


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


def function_statements(plan: dict[str, Any], instance: str, function: str) -> list[dict[str, Any]]:
    """Every statement a function's role gets: its inline policy, the managed policies of the
    listed users attached to it (iam_listed_users.tf) and the member roles' (accounts.tf)."""
    statements = policy(plan, instance, f'aws_iam_role_policy.function["{function}"]')
    for managed in ("listed_users", "member_roles"):
        prefix = f'module.{instance}.aws_iam_policy.{managed}["{function}-'
        for change in plan["resource_changes"]:
            if change["address"].startswith(prefix):
                statements += policy(
                    plan, instance, change["address"].removeprefix(f"module.{instance}.")
                )
    return statements


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in statement["Action"]}


def resources_for(statements: list[dict[str, Any]], action: str) -> set[str]:
    return {r for s in statements if action in s["Action"] for r in s["Resource"]}


def every_state(states: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every state of a definition, those of Map iterations and Parallel branches included."""
    for state in states.values():
        yield state
        for nested in ("ItemProcessor", "Iterator"):
            if nested in state:
                yield from every_state(state[nested]["States"])
        for branch in state.get("Branches", []):
            yield from every_state(branch["States"])


def state_machine_tasks(states: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (state for state in every_state(states) if state["Type"] == "Task")


def map_needs(state: dict[str, Any], needs: dict[str, set[str]]) -> None:
    """What a Map state itself does: read its items, write its results, start child executions.

    The resources of S3 paths resolved at run time are unknown here: the test compares them with
    the run-data bucket's prefix, where the engine keeps a run's files.
    """
    reader = state.get("ItemReader")
    if reader is not None:
        if reader["Resource"] != "arn:aws:states:::s3:getObject":
            raise AssertionError(f"no rule for the item reader {reader['Resource']}")
        needs.setdefault("s3:GetObject", set())
    if "ResultWriter" in state:
        needs.setdefault("s3:PutObject", set())
    processor = state.get("ItemProcessor", {}).get("ProcessorConfig", {})
    if processor.get("Mode") == "DISTRIBUTED":
        for action in (
            "states:StartExecution",
            "states:DescribeExecution",
            "states:StopExecution",
            "states:RedriveExecution",
        ):
            needs.setdefault(action, set())


def definition_needs(definition: dict[str, Any]) -> dict[str, set[str]]:
    """IAM action -> resources, for every Task and Map of a state machine definition."""
    needs: dict[str, set[str]] = {}
    for state in every_state(definition["States"]):
        if state["Type"] == "Map":
            map_needs(state, needs)
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
    called = called - USER_LISTING | (called & LISTING_BY_INSTANCE[instance])
    called -= not_granted(instance, entry_point)
    expected = called | implied_actions(called, with_kms=instance == "full")
    granted = actions_of(function_statements(plan, instance, entry_point))
    assert granted - expected == set(), f"granted but never called: {sorted(granted - expected)}"
    assert expected - granted == set(), f"called but not granted: {sorted(expected - granted)}"


@pytest.mark.parametrize("instance", INSTANCES)
def test_function_roles_name_exact_resources(plan: dict[str, Any], instance: str) -> None:
    name = INSTANCES[instance]
    # A listed user at any path: user/<name> and user/*/<name> (names are unique in an account).
    listed = {"full": ["homer", "bart"], "minimal": ["marge"], "path": []}[instance]
    users = {
        f"arn:aws:iam::{ACCOUNT}:user{path}{name}" for name in listed for path in ("/", "/*/")
    } | SELECTED_USERS[instance]
    secrets = {f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}/*"}
    for entry_point in ENTRY_POINTS:
        statements = function_statements(plan, instance, entry_point)
        for action in actions_of(statements):
            resources = resources_for(statements, action)
            prefix = action.split(":")[0]
            if action in USER_LISTING:
                assert resources == {"*"}, f"{entry_point}: {action} on {sorted(resources)}"
                continue
            if action in NO_RESOURCE_TYPE:
                assert resources == {"*"}, f"{entry_point}: {action} on {sorted(resources)}"
                continue
            if action == "s3:ListBucket":
                assert resources == {run_data_bucket(instance)}, f"{entry_point}: {action}"
                continue
            if (entry_point, action) == ("finish", "s3:PutObject"):
                # Besides the runs' files, the copy of the last run's summary.
                last = f"{run_data_bucket(instance)}/last-summary.json"
                assert resources == {run_data_objects(instance), last}, action
                continue
            wanted = {
                "iam": users,
                "secretsmanager": secrets,
                "s3": {run_data_objects(instance)},
                "ssm": {f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name}/users"},
                "states": {f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"},
                "kms": {KMS_KEY},
                "events": {f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{EVENT_BUS[instance]}"},
                "sts": MEMBER_ROLES[instance],
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
    statements = policy(plan, instance, 'aws_iam_role_policy.service["state_machine"]')
    expected = set(needs) | LOG_DELIVERY
    if instance == "full":  # the run data is encrypted with the customer key
        expected |= {"kms:Decrypt"} if "s3:GetObject" in needs else set()
    granted = actions_of(statements)
    assert granted == expected, f"extra {granted - expected}, missing {expected - granted}"
    assert resources_for(statements, "lambda:InvokeFunction") == needs["lambda:InvokeFunction"]
    name = INSTANCES[instance]
    wanted = {
        "secretsmanager": {f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}/*"},
        "s3": {run_data_objects(instance)},
        "kms": {KMS_KEY},
    }
    # the state machine's child executions (one per batch of a Distributed Map), under both of
    # the ARN forms AWS gives them
    executions = {
        f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{name}:*",
        f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{name}/*:*",
    }
    own_runs = {
        "states:StartExecution": {f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"},
        "states:DescribeExecution": executions,
        "states:StopExecution": executions,
        "states:RedriveExecution": executions,
    }
    for action in granted - LOG_DELIVERY - {"lambda:InvokeFunction"}:
        want = own_runs.get(action) or wanted[action.split(":")[0]]
        assert resources_for(statements, action) == want, action


@pytest.mark.parametrize("instance", INSTANCES)
def test_schedule_role_only_starts_its_state_machine(plan: dict[str, Any], instance: str) -> None:
    schedule = planned(plan, instance, "aws_scheduler_schedule.this")
    assert schedule["target"][0]["input"] == "{}"
    statements = policy(plan, instance, 'aws_iam_role_policy.service["schedule"]')
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
        if change["type"] not in ("aws_iam_role_policy", "aws_iam_policy"):
            continue
        for statement in json.loads(change["change"]["after"]["policy"])["Statement"]:
            resources = statement["Resource"]
            actions = statement["Action"]
            if "*" in ([resources] if isinstance(resources, str) else resources):
                wild = set([actions] if isinstance(actions, str) else actions)
                wild -= LOG_DELIVERY | USER_LISTING | NO_RESOURCE_TYPE
                assert not wild, f"{change['address']}: {sorted(wild)} on *"


def test_every_arn_is_in_this_account_and_region(plan: dict[str, Any]) -> None:
    for change in plan["resource_changes"]:
        if change["type"] not in ("aws_iam_role_policy", "aws_iam_policy"):
            continue
        for statement in json.loads(change["change"]["after"]["policy"])["Statement"]:
            resources = statement["Resource"]
            for arn in [resources] if isinstance(resources, str) else resources:
                if arn == "*":
                    continue
                if statement["Sid"] == "AssumeMemberRoles":  # roles of the member accounts
                    assert arn in MEMBER_ROLES["full"] | MEMBER_ROLES["path"], arn
                    continue
                _, partition, service, region, account = arn.split(":")[:5]
                if service == "s3":  # S3 ARNs name no account: the statement requires it
                    assert (partition, region, account) == ("aws", "", ""), arn
                    condition = statement.get("Condition", {}).get("StringEquals", {})
                    assert condition.get("s3:ResourceAccount") == ACCOUNT, change["address"]
                    continue
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


@pytest.mark.parametrize(
    ("instance", "condition"),
    [("full", {"StringEquals": {"iam:ResourceTag/rotate": "yes"}}), ("path", None)],
)
def test_key_actions_on_selected_users_require_the_selection(
    plan: dict[str, Any], instance: str, condition: dict[str, Any] | None
) -> None:
    """Beyond the listed users' ARNs, a key action reaches only the users under the path prefix,
    and with a tag only while the user carries it (the minimal instance's exact resources are
    checked above)."""
    for entry_point in ("rotate", "roll_back", "finish"):
        statements = policy(plan, instance, f'aws_iam_role_policy.function["{entry_point}"]')
        selected = [s for s in statements if set(s["Resource"]) & SELECTED_USERS[instance]]
        (statement,) = selected
        assert statement["Resource"] == [f"arn:aws:iam::{ACCOUNT}:user/ci/*"]
        assert statement.get("Condition") == condition, entry_point
        assert {a.split(":")[0] for a in statement["Action"]} == {"iam"}


def test_terraform_manages_no_secret(plan: dict[str, Any]) -> None:
    """The rotator owns the users' secrets: a user that leaves the list and comes back, a destroy
    followed by an apply, or a user the rotator already serves that is then listed never meets a
    secret Terraform created or scheduled for deletion."""
    types = {change["type"] for change in plan["resource_changes"]}
    assert not {t for t in types if t.startswith("aws_secretsmanager_")}, sorted(types)
