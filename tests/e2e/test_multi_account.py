"""examples/multi-account on LocalStack: the hub applied in one account, the member role in a
second one through the provider alias `aws.member`, one real rotation across both, then destroy.

LocalStack takes a 12-digit access key id as the account to act in, so the example's member
provider uses MEMBER as its access key, and the test seeds and reads the member account the same
way. Its STS answers AssumeRole with credentials that act in the role's account, as AWS does. It is
kinder than AWS in two ways (LocalStack 4.14, checked by hand): it assumes a role that does not
exist, and it ignores the trust policy (who may assume it, and the external id it requires); and
it enforces no IAM policy. So what AWS would check is checked here on the deployment: the role the
hub's functions assume exists in the member account, trusts exactly the hub's function roles with
the external id the functions pass, and allows what was planned; each function that acts there
may assume it.

The example takes the credentials handler and the users as they exist: the test creates them
(`accounts`), the same user name in both accounts among them. The handler records what it got,
the account included, and which account the key it read authenticates in (never the key).

The example is applied as written, from a copy next to the repository's other build files with
one override file: the tier's short grace wait, which the example does not expose (its module
default is 300 s).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from leaks import assert_no_secret_leaked

from testkit.stack import Stack
from testkit.terraform import REPO

EXAMPLE = REPO / "examples" / "multi-account"
HUB = "000000000000"  # LocalStack's account for the access key "test"
MEMBER = "222222222222"
MEMBER_CREDENTIALS = {"AccessKeyId": MEMBER, "SecretAccessKey": "test"}
MEMBER_PATH = "/ci/"
EXTERNAL_ID = "e2e-multi-account"
# What the example's module blocks get on top of the example's own values (Terraform merges an
# override file's arguments into the blocks of the same name).
OVERRIDE = """\
# tests/e2e/test_multi_account.py: a run ends within seconds.
module "hub" {
  cleanup_wait_seconds   = 2
  last_use_delay_seconds = 0 # LocalStack publishes a key's use at once
  max_concurrency        = 3
}
"""
# The test's credentials handler: it checks that the secret holds the announced key and that the
# key acts as the announced user in the announced account, and records what it was told (never
# the secret access key) in the SSM parameter <PREFIX><accountId>/<username>.
HANDLER = """\
import json
import os

import boto3


def handler(event, context):
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=event["secretName"])
    value = json.loads(secret["SecretString"])
    if value["AccessKeyId"] != event["accessKeyId"] or value["UserName"] != event["username"]:
        raise ValueError("the secret does not hold the announced key of the announced user")
    sts = boto3.client(
        "sts",
        aws_access_key_id=value["AccessKeyId"],
        aws_secret_access_key=value["SecretAccessKey"],
        aws_session_token=None,
    )
    caller = sts.get_caller_identity()["Arn"]
    record = {key: event.get(key) for key in ("accountId", "username", "secretName", "accessKeyId")}
    record["keyActsAs"] = caller
    boto3.client("ssm").put_parameter(
        Name=os.environ["PREFIX"] + event["accountId"] + "/" + event["username"],
        Value=json.dumps(record),
        Type="String",
        Overwrite=True,
    )
"""


@dataclass
class Accounts:
    """What the test made before the apply: the users of both accounts, each with one key, and
    the credentials handler in the hub."""

    name: str
    stack: Stack
    # (account, IAM user name) -> the key the user had before the run
    old_keys: dict[tuple[str, str], str]
    handler_arn: str
    handler_role: str
    received_prefix: str

    @property
    def listed_hub(self) -> str:
        return f"{self.name}-deployer"

    @property
    def listed_member(self) -> str:
        return f"{self.name}-deployer"  # the same name as the hub's user, in the other account

    @property
    def selected_member(self) -> str:
        return f"{self.name}-ci"  # under MEMBER_PATH: selected by the account's path prefix

    @property
    def outsider(self) -> str:
        return f"{self.name}-outsider"  # the member account's, neither listed nor selected

    def iam(self, account: str) -> Any:
        return self.stack.client("iam", MEMBER_CREDENTIALS if account == MEMBER else None)

    def keys(self, account: str, username: str) -> dict[str, str]:
        listed = self.iam(account).list_access_keys(UserName=username)["AccessKeyMetadata"]
        return {key["AccessKeyId"]: key["Status"] for key in listed}

    def received(self, account: str, username: str) -> dict[str, Any] | None:
        ssm = self.stack.client("ssm")
        try:
            value = ssm.get_parameter(Name=f"{self.received_prefix}{account}/{username}")
        except ssm.exceptions.ParameterNotFound:
            return None
        return dict(json.loads(value["Parameter"]["Value"]))


def handler_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", HANDLER)
    return archive.getvalue()


def create_accounts(stack: Stack, name: str) -> Accounts:
    """The users (one key each, no record: the rotator adopts it) and the handler."""
    accounts = Accounts(
        name=name,
        stack=stack,
        old_keys={},
        handler_arn="",
        handler_role=f"{name}-handler",
        received_prefix=f"/{name}/received/",
    )
    users = [
        (HUB, accounts.listed_hub, "/"),
        (MEMBER, accounts.listed_member, "/"),
        (MEMBER, accounts.selected_member, MEMBER_PATH),
        (MEMBER, accounts.outsider, "/"),
    ]
    for account, username, path in users:
        iam = accounts.iam(account)
        iam.create_user(UserName=username, Path=path)
        key = iam.create_access_key(UserName=username)["AccessKey"]
        accounts.old_keys[account, username] = key["AccessKeyId"]
    role = stack.client("iam").create_role(
        RoleName=accounts.handler_role,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]
    lambda_ = stack.client("lambda")
    created = lambda_.create_function(
        FunctionName=f"{name}-handler",
        Runtime="python3.13",
        Role=role["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": handler_zip()},
        Timeout=30,
        Environment={"Variables": {"PREFIX": accounts.received_prefix}},
    )
    lambda_.get_waiter("function_active_v2").wait(FunctionName=created["FunctionName"])
    accounts.handler_arn = created["FunctionArn"]
    return accounts


def delete_accounts(accounts: Accounts) -> None:
    """Remove what the test made (what destroy leaves: the users' keys and secrets, included)."""
    stack = accounts.stack
    for account, username in accounts.old_keys:
        iam = accounts.iam(account)
        for key_id in accounts.keys(account, username):
            iam.delete_access_key(UserName=username, AccessKeyId=key_id)
        iam.delete_user(UserName=username)
    secretsmanager = stack.client("secretsmanager")
    for page in secretsmanager.get_paginator("list_secrets").paginate():
        for secret in page["SecretList"]:
            if secret["Name"].startswith(f"{accounts.name}/"):
                secretsmanager.delete_secret(
                    SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True
                )
    stack.client("lambda").delete_function(FunctionName=accounts.handler_arn)
    iam = stack.client("iam")
    for policy in iam.list_role_policies(RoleName=accounts.handler_role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=accounts.handler_role, PolicyName=policy)
    iam.delete_role(RoleName=accounts.handler_role)


def read_back_outputs(stack: Stack) -> None:
    """Add what examples/complete outputs and the leak check reads, which examples/multi-account
    does not output, from the deployment: the functions' log groups and the run-data bucket."""
    lambda_ = stack.client("lambda")
    prefix = f"{stack.name}-"
    groups, bucket = {}, None
    for page in lambda_.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            name = function["FunctionName"]
            if not name.startswith(prefix) or name == f"{stack.name}-handler":
                continue
            key = name.removeprefix(prefix).replace("-", "_")
            groups[key] = function["LoggingConfig"]["LogGroup"]
            variables = function.get("Environment", {}).get("Variables", {})
            bucket = json.loads(variables.get("SETTINGS", "{}")).get("run_data_bucket", bucket)
    assert "rotate" in groups and bucket, f"the hub's functions were not found: {sorted(groups)}"
    stack.outputs.update({"log_group_names": groups, "run_data_bucket": bucket})


@pytest.fixture(scope="module")
def deployment() -> Iterator[Accounts]:
    endpoint = os.environ.get("LOCALSTACK_ENDPOINT")
    if not endpoint:
        pytest.skip("LOCALSTACK_ENDPOINT is not set: run this tier with `make test-e2e`")
    name = f"e2e-ma-{secrets.token_hex(3)}"
    # "../.." of the example's module sources is the repository from .build/<directory> too.
    config = REPO / ".build" / f"{name}-config"
    shutil.copytree(EXAMPLE, config, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    (config / "e2e_override.tf").write_text(OVERRIDE)
    stack = Stack(name=name, endpoint=endpoint, example=config)
    accounts: Accounts | None = None
    try:
        accounts = create_accounts(stack, name)
        stack.variables = {
            "credentials_handler_arn": accounts.handler_arn,
            "credentials_handler_role_name": accounts.handler_role,
            "hub_usernames": [accounts.listed_hub],
            "member_account_id": MEMBER,
            "member_usernames": [accounts.listed_member],
            "member_user_path_prefix": MEMBER_PATH,
            "member_external_id": EXTERNAL_ID,
        }
        stack.apply()
        read_back_outputs(stack)
        yield accounts
    finally:
        try:
            if accounts is not None and not stack.destroyed:
                stack.destroy()
        finally:
            if accounts is not None:
                delete_accounts(accounts)
            shutil.rmtree(config, ignore_errors=True)


def test_given_the_applied_example_then_the_member_role_is_as_aws_would_need_it(
    deployment: Accounts,
) -> None:
    """What LocalStack does not check and AWS does: GIVEN the applied example THEN the role each
    hub function assumes exists in the member account, trusts exactly the functions' roles with
    the external id they pass, allows what was planned, and each such function may assume it."""
    stack = deployment.stack
    outputs = stack.outputs
    member_iam = deployment.iam(MEMBER)
    role_arn = outputs["member_role_arn"]
    assert role_arn.startswith(f"arn:aws:iam::{MEMBER}:role/")
    role_name = role_arn.rsplit("/", 1)[-1]
    role = member_iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    (statement,) = trust["Statement"]
    trusted = statement["Principal"]["AWS"]
    trusted = sorted([trusted] if isinstance(trusted, str) else trusted)
    assert (statement["Effect"], statement["Action"]) == ("Allow", "sts:AssumeRole")
    assert trusted == sorted(outputs["function_role_arns"])
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
    (policy_name,) = member_iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    policy = member_iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)
    document = policy["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document == json.loads(outputs["member_role_policy_json"])
    assert role_name not in {
        r["RoleName"] for r in stack.client("iam").list_roles()["Roles"]
    }  # only in the member account

    # Each hub function that acts on member users: its role is trusted, it is allowed to assume
    # the role, and it is told the role and the external id.
    hub_iam = stack.client("iam")
    lambda_ = stack.client("lambda")
    for function_role_arn in outputs["function_role_arns"]:
        function_role = function_role_arn.rsplit("/", 1)[-1]
        assumable: set[str] = set()
        attached = hub_iam.list_attached_role_policies(RoleName=function_role)
        for policy_ref in attached["AttachedPolicies"]:
            version = hub_iam.get_policy(PolicyArn=policy_ref["PolicyArn"])["Policy"]
            got = hub_iam.get_policy_version(
                PolicyArn=policy_ref["PolicyArn"], VersionId=version["DefaultVersionId"]
            )["PolicyVersion"]["Document"]
            got = json.loads(got) if isinstance(got, str) else got
            for allowed in got["Statement"]:
                if allowed["Effect"] == "Allow" and "sts:AssumeRole" in allowed["Action"]:
                    resources = allowed["Resource"]
                    assumable.update([resources] if isinstance(resources, str) else resources)
        assert role_arn in assumable, f"{function_role} may not assume {role_arn}"
    functions = {
        function["Role"]: function
        for page in lambda_.get_paginator("list_functions").paginate()
        for function in page["Functions"]
        if function["FunctionName"].startswith(f"{stack.name}-")
    }
    for function_role_arn in outputs["function_role_arns"]:
        settings = json.loads(functions[function_role_arn]["Environment"]["Variables"]["SETTINGS"])
        assert settings["member_role_arn_template"].rsplit("/", 1)[-1] == role_name
        assert settings["member_external_id"] == EXTERNAL_ID


def test_given_users_in_two_accounts_when_a_run_rotates_them_then_each_account_has_its_new_key(
    deployment: Accounts,
) -> None:
    """GIVEN a hub user, a member user of the same name listed by name, a member user selected by
    path and one neither listed nor selected WHEN the schedule's input starts a run THEN the three
    are rotated in their own accounts, their secrets are the hub's, the handler got each key with
    its accountId, and the fourth user is untouched."""
    accounts = deployment
    stack = accounts.stack
    hub_user = (HUB, accounts.listed_hub)
    member_users = [(MEMBER, accounts.listed_member), (MEMBER, accounts.selected_member)]

    run = stack.rotate({})

    cause = stack.client("stepfunctions").describe_execution(executionArn=run.execution_arn)
    assert run.status == "SUCCEEDED", (run.error, cause.get("cause"))
    assert run.summary["failed"] == []
    assert run.usernames("rotated") == sorted(
        [accounts.listed_hub] + [f"{MEMBER}/{username}" for _, username in member_users]
    )
    secret_names = {
        hub_user: f"{stack.name}/{accounts.listed_hub}",
        **{user: f"{stack.name}/{MEMBER}/{user[1]}" for user in member_users},
    }
    hub_secrets = stack.client("secretsmanager")
    for (account, username), secret_name in secret_names.items():
        keys = accounts.keys(account, username)
        assert len(keys) == 1, f"{account}/{username} has {len(keys)} keys"
        ((new_key, status),) = keys.items()
        assert status == "Active"
        assert new_key != accounts.old_keys[account, username]
        value = json.loads(hub_secrets.get_secret_value(SecretId=secret_name)["SecretString"])
        assert (value["UserName"], value["AccessKeyId"]) == (username, new_key)
        received = accounts.received(account, username)
        assert received is not None, f"the handler never got {account}/{username}'s key"
        assert received == {
            "accountId": account,
            "username": username,
            "secretName": secret_name,
            "accessKeyId": new_key,
            "keyActsAs": f"arn:aws:iam::{account}:user"
            + (MEMBER_PATH if username == accounts.selected_member else "/")
            + username,
        }
    outsider = (MEMBER, accounts.outsider)
    assert accounts.keys(*outsider) == {accounts.old_keys[outsider]: "Active"}
    assert accounts.received(*outsider) is None
    member_secrets = stack.client("secretsmanager", MEMBER_CREDENTIALS)
    assert member_secrets.list_secrets()["SecretList"] == []  # the secrets stay in the hub
    # leaks.py reads the listed users' secrets; the selected one is read as well.
    stack.outputs["secret_names"].setdefault(
        f"{MEMBER}/{accounts.selected_member}", secret_names[MEMBER, accounts.selected_member]
    )
    assert_no_secret_leaked(stack, run.execution_arn)


def test_given_the_deployment_when_destroyed_then_the_member_role_goes_and_the_keys_stay(
    deployment: Accounts,
) -> None:
    """GIVEN the applied example WHEN destroyed THEN the member role is gone from the member
    account, and every user keeps the key its handler holds, its secret still in the hub."""
    accounts = deployment
    stack = accounts.stack
    outputs = dict(stack.outputs)
    role_name = outputs["member_role_arn"].rsplit("/", 1)[-1]
    kept = {
        (account, username): accounts.keys(account, username)
        for account, username in accounts.old_keys
    }

    stack.destroy()

    with pytest.raises(ClientError) as gone:
        accounts.iam(MEMBER).get_role(RoleName=role_name)
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as machine:
        stack.client("stepfunctions").describe_state_machine(
            stateMachineArn=outputs["state_machine_arn"]
        )
    assert machine.value.response["Error"]["Code"] == "StateMachineDoesNotExist"
    for (account, username), keys in kept.items():
        assert accounts.keys(account, username) == keys, f"{account}/{username}"
    hub_secrets = stack.client("secretsmanager")
    for secret_name in outputs["secret_names"].values():
        assert "DeletedDate" not in hub_secrets.describe_secret(SecretId=secret_name)
