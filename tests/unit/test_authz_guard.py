"""The authorization guard (testkit/authz/guard.py) with a tiny hand-made policy set, on moto.

The guard's hooks are registered on a session before its clients are made, as the workflow
harness does; the engine would see what these clients see.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from testkit.authz.facts import MotoFacts
from testkit.authz.guard import (
    HARNESS_AGENT,
    RUNNING_FUNCTION,
    AuthorizationGuard,
    propagating_context_to_thread_pools,
    unneeded_grants,
)
from testkit.authz.policy import AuthorizationRequest, Outcome
from testkit.authz.requests import UnmappedCall

ACCOUNT, REGION = "123456789012", "us-east-1"
USERS = f"arn:aws:iam::{ACCOUNT}:user/"
SECRETS = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
FUNCTIONS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


POLICIES = {
    "rotate": [
        policy(
            {
                "Sid": "Keys",
                "Effect": "Allow",
                "Action": ["iam:CreateAccessKey", "iam:ListAccessKeys"],
                "Resource": f"{USERS}homer",
            },
            {
                "Sid": "Records",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": f"{SECRETS}ci-keys/*",
            },
            {
                "Sid": "Batch",
                "Effect": "Allow",
                "Action": "secretsmanager:BatchGetSecretValue",
                "Resource": "*",
            },
            {"Sid": "NeverBart", "Effect": "Deny", "Action": "iam:*", "Resource": f"{USERS}bart"},
        ),
    ],
    "state_machine": [
        policy(
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": f"{FUNCTIONS}ci-keys-rotate",
            }
        ),
    ],
}


class World:
    def __init__(self, guard: AuthorizationGuard, session: boto3.Session) -> None:
        self.guard = guard
        self.session = session
        self.harness = Config(user_agent_extra=HARNESS_AGENT)

    def client(self, service: str, harness: bool = False) -> Any:
        return self.session.client(service, config=self.harness if harness else None)  # type: ignore[call-overload]


@pytest.fixture
def world(aws: None) -> Iterator[World]:
    session = boto3.Session(region_name=REGION)
    guard = AuthorizationGuard(
        POLICIES,
        MotoFacts(ACCOUNT, REGION),
        role_names={"rotate": "ci-keys-rotate", "state_machine": "ci-keys-states"},
        session_names={"rotate": "ci-keys-rotate"},
    )
    guard.register(session.events)
    iam = session.client("iam", config=Config(user_agent_extra=HARNESS_AGENT))
    for user in ("homer", "bart", "marge"):
        iam.create_user(UserName=user)
    yield World(guard, session)


def error(exc: pytest.ExceptionInfo[ClientError]) -> dict[str, Any]:
    return dict(exc.value.response["Error"]) | {
        "Status": exc.value.response["ResponseMetadata"]["HTTPStatusCode"]
    }


# --- deciding calls ----------------------------------------------------------------------------


def test_given_an_allowed_call_when_made_then_it_reaches_moto_and_is_recorded(world: World) -> None:
    iam = world.client("iam")
    with world.guard.acting_as("rotate"):
        key = iam.create_access_key(UserName="homer")["AccessKey"]
    assert key["UserName"] == "homer"
    (check,) = world.guard.checks
    assert (check.function, check.service, check.operation) == ("rotate", "iam", "CreateAccessKey")
    assert check.allowed and check.request.resource == f"{USERS}homer"
    assert (
        check.request.context["aws:PrincipalArn"] == f"arn:aws:iam::{ACCOUNT}:role/ci-keys-rotate"
    )
    assert "allow" in check.describe()
    assert world.guard.requests_of("rotate") == [check.request]


def test_given_a_call_no_statement_allows_when_made_then_iam_answers_access_denied(
    world: World,
) -> None:
    iam = world.client("iam")
    with world.guard.acting_as("rotate"), pytest.raises(ClientError) as denied:
        iam.create_access_key(UserName="marge")
    answer = error(denied)
    assert (answer["Code"], answer["Status"], answer["Type"]) == ("AccessDenied", 403, "Sender")
    assert answer["Message"].startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/ci-keys-rotate/ci-keys-rotate is not "
        f"authorized to perform: iam:CreateAccessKey on resource: {USERS}marge because no "
        "identity-based policy allows the iam:CreateAccessKey action"
    )
    assert "function rotate" in answer["Message"]
    harness_iam = world.client("iam", harness=True)
    assert harness_iam.list_access_keys(UserName="marge")["AccessKeyMetadata"] == []  # not reached
    (denial,) = world.guard.denials
    assert denial.decision.outcome is Outcome.IMPLICIT_DENY


def test_given_an_explicit_deny_when_a_call_matches_it_then_the_message_says_so(
    world: World,
) -> None:
    with world.guard.acting_as("rotate"), pytest.raises(ClientError) as denied:
        world.client("iam").list_access_keys(UserName="bart")
    assert "with an explicit deny in an identity-based policy" in error(denied)["Message"]
    assert world.guard.denials[0].decision.outcome is Outcome.EXPLICIT_DENY


def test_given_a_json_service_when_a_call_is_denied_then_the_code_is_access_denied_exception(
    world: World,
) -> None:
    secretsmanager = world.client("secretsmanager")
    with world.guard.acting_as("rotate"), pytest.raises(ClientError) as denied:
        secretsmanager.put_secret_value(SecretId="ci-keys/homer", SecretString="{}")
    answer = error(denied)
    assert (answer["Code"], answer["Status"]) == ("AccessDeniedException", 400)
    assert f"secretsmanager:PutSecretValue on resource: {SECRETS}ci-keys/homer" in answer["Message"]


def test_given_no_running_function_when_a_call_is_made_then_it_is_the_state_machines(
    world: World,
) -> None:
    awslambda = world.client("lambda")
    with pytest.raises(ClientError) as missing:  # allowed, then moto: no such function
        awslambda.invoke(FunctionName="ci-keys-rotate", Payload=b"{}")
    assert error(missing)["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as denied:
        awslambda.invoke(FunctionName="ci-keys-finish", Payload=b"{}")
    assert error(denied)["Code"] == "AccessDeniedException"
    assert [(c.function, c.allowed) for c in world.guard.checks] == [
        ("state_machine", True),
        ("state_machine", False),
    ]
    assert "assumed-role/ci-keys-states/ci-keys-states" in error(denied)["Message"]


def test_given_the_harness_agent_when_a_call_is_made_then_it_is_not_checked(world: World) -> None:
    harness_iam = world.client("iam", harness=True)
    with world.guard.acting_as("rotate"):
        harness_iam.create_access_key(UserName="marge")
        harness_iam.delete_user(UserName="bart")  # not even unmapped calls are refused
    assert world.guard.checks == [] and world.guard.errors == []


def test_given_a_call_without_a_rule_when_made_then_it_raises_and_is_kept_as_an_error(
    world: World,
) -> None:
    with world.guard.acting_as("rotate"), pytest.raises(UnmappedCall, match=r"iam\.DeleteUser"):
        world.client("iam").delete_user(UserName="marge")
    assert "iam.DeleteUser" in world.guard.errors[0]


def test_given_a_function_without_policies_when_it_calls_then_it_raises_and_is_kept(
    world: World,
) -> None:
    with (
        world.guard.acting_as("finish"),
        pytest.raises(LookupError, match="no policies for finish"),
    ):
        world.client("iam").list_access_keys(UserName="homer")
    assert "finish" in world.guard.errors[0]
    world.guard.reset()
    assert world.guard.errors == [] and world.guard.checks == []


def test_given_no_default_function_when_nothing_runs_then_the_guard_refuses(world: World) -> None:
    guard = AuthorizationGuard(POLICIES, MotoFacts(ACCOUNT, REGION), default_function=None)
    with pytest.raises(LookupError, match="no function is running"):
        guard.current_function()
    with guard.acting_as("rotate"):
        assert guard.current_function() == "rotate" == RUNNING_FUNCTION.get()
    assert RUNNING_FUNCTION.get() is None


def test_given_only_the_before_call_hook_when_a_call_is_made_then_the_guard_says_what_is_missing(
    world: World,
) -> None:
    session = boto3.Session(region_name=REGION)
    session.events.register("before-call", world.guard.before_call)
    with pytest.raises(LookupError, match=r"guard\.register"):
        session.client("iam").list_users()


def test_given_an_unregistered_guard_when_calls_are_made_then_none_is_checked(world: World) -> None:
    world.guard.unregister(world.session.events)
    world.client("iam").create_access_key(UserName="marge")
    assert world.guard.checks == []


# --- BatchGetSecretValue: per secret -------------------------------------------------------------


def test_given_a_batch_read_when_one_secret_is_not_allowed_then_it_becomes_an_error_entry(
    world: World,
) -> None:
    harness_secrets = world.client("secretsmanager", harness=True)
    harness_secrets.create_secret(Name="ci-keys/homer", SecretString=json.dumps({"k": 1}))
    harness_secrets.create_secret(Name="other/homer", SecretString="{}")
    with world.guard.acting_as("rotate"):
        answer = world.client("secretsmanager").batch_get_secret_value(
            SecretIdList=["ci-keys/homer", "other/homer"]
        )
    assert [v["Name"] for v in answer["SecretValues"]] == ["ci-keys/homer"]
    (denied,) = answer["Errors"]
    assert (denied["SecretId"], denied["ErrorCode"]) == ("other/homer", "AccessDeniedException")
    assert "secretsmanager:GetSecretValue" in denied["Message"]
    assert [(c.request.action, c.allowed) for c in world.guard.checks] == [
        ("secretsmanager:BatchGetSecretValue", True),
        ("secretsmanager:GetSecretValue", True),
        ("secretsmanager:GetSecretValue", False),
    ]


def test_given_the_harness_when_it_reads_a_batch_then_nothing_is_filtered(world: World) -> None:
    harness_secrets = world.client("secretsmanager", harness=True)
    harness_secrets.create_secret(Name="other/bart", SecretString="{}")
    answer = harness_secrets.batch_get_secret_value(SecretIdList=["other/bart"])
    assert len(answer["SecretValues"]) == 1 and world.guard.checks == []


# --- threads -------------------------------------------------------------------------------------


def test_given_a_thread_pool_when_the_context_is_propagated_then_workers_act_as_the_function(
    world: World,
) -> None:
    iam = world.client("iam")
    with (
        world.guard.acting_as("rotate"),
        propagating_context_to_thread_pools(),
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        assert pool.submit(iam.list_access_keys, UserName="homer").result()
    assert [c.function for c in world.guard.checks] == ["rotate"]


def test_given_a_thread_pool_without_propagation_when_a_worker_calls_then_it_is_the_state_machine(
    world: World,
) -> None:
    iam = world.client("iam")
    with world.guard.acting_as("rotate"), ThreadPoolExecutor(max_workers=1) as pool:
        failure = pool.submit(iam.list_access_keys, UserName="homer").exception()
    # the worker's context is empty: its call is the state machine's, which may not list keys
    assert isinstance(failure, ClientError)
    assert failure.response["Error"]["Code"] == "AccessDenied"
    assert [c.function for c in world.guard.checks] == ["state_machine"]
    with world.guard.acting_as("rotate"):
        copied = contextvars.copy_context()
    assert copied.run(world.guard.current_function) == "rotate"


# --- authorize, directly -------------------------------------------------------------------------


def test_given_a_call_when_authorized_directly_then_denials_raise_client_errors(
    world: World,
) -> None:
    checks = world.guard.authorize("rotate", "iam", "CreateAccessKey", {"UserName": "homer"})
    assert [c.allowed for c in checks] == [True]
    with pytest.raises(ClientError) as iam_denied:
        world.guard.authorize("rotate", "iam", "CreateAccessKey", {"UserName": "marge"})
    assert error(iam_denied)["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as sfn_denied:
        world.guard.authorize(
            "rotate",
            "stepfunctions",
            "StartExecution",
            {"stateMachineArn": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:ci-keys"},
        )
    assert error(sfn_denied)["Code"] == "AccessDeniedException"
    assert (
        world.guard.principal_arn("finish") == f"arn:aws:sts::{ACCOUNT}:assumed-role/finish/finish"
    )


# --- unneeded grants -----------------------------------------------------------------------------

UNNEEDED_POLICIES = {
    "rotate": [
        policy(
            {
                "Sid": "Keys",
                "Effect": "Allow",
                "Action": ["iam:CreateAccessKey", "iam:ListAccessKeys"],
                "Resource": [f"{USERS}homer", f"{USERS}bart"],
            },
            {
                "Sid": "Records",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": f"{SECRETS}ci-keys/*",
            },
            {"Sid": "Logs", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"},
            {"Sid": "Guardrail", "Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"},
            {
                "Sid": "Anything",
                "Effect": "Allow",
                "NotAction": "iam:*",
                "Resource": "arn:aws:s3:::x",
            },
        ),
    ],
    "finish": [
        policy(
            {
                "Sid": "Retire",
                "Effect": "Allow",
                "Action": "iam:DeleteAccessKey",
                "Resource": f"{USERS}homer",
            }
        )
    ],
}


def create_key(user: str) -> AuthorizationRequest:
    return AuthorizationRequest("iam:CreateAccessKey", f"{USERS}{user}")


def test_given_recorded_requests_when_grants_are_removed_then_the_unused_ones_are_reported() -> (
    None
):
    report = unneeded_grants(
        UNNEEDED_POLICIES, [("rotate", create_key("homer"))], exempt_actions=["logs:*"]
    )
    assert sorted(grant.describe() for grant in report) == [
        "finish: policy 0/Retire: statement is never needed",
        "rotate: policy 0/Keys: action iam:ListAccessKeys is never needed",
        f"rotate: policy 0/Keys: resource {USERS}bart is never needed",
        "rotate: policy 0/Records: statement is never needed",
    ]


def test_given_exemptions_are_not_given_when_reported_then_exercised_nowhere_grants_show() -> None:
    report = unneeded_grants(UNNEEDED_POLICIES, [("rotate", create_key("homer"))])
    assert "Logs" in {grant.statement for grant in report}


def test_given_every_grant_is_used_when_reported_then_nothing_is_unneeded() -> None:
    recorded = [
        ("rotate", create_key("homer")),
        ("rotate", AuthorizationRequest("iam:ListAccessKeys", f"{USERS}bart")),
        ("rotate", AuthorizationRequest("secretsmanager:GetSecretValue", f"{SECRETS}ci-keys/a-1")),
        ("finish", AuthorizationRequest("iam:DeleteAccessKey", f"{USERS}homer")),
    ]
    assert unneeded_grants(UNNEEDED_POLICIES, recorded, exempt_actions=["logs:*"]) == []


def test_given_two_statements_allow_one_request_when_reported_then_each_alone_is_unneeded() -> None:
    twice = {
        "rotate": [
            policy(
                {
                    "Sid": "A",
                    "Effect": "Allow",
                    "Action": "iam:CreateAccessKey",
                    "Resource": f"{USERS}homer",
                },
                {"Sid": "B", "Effect": "Allow", "Action": "iam:Create*", "Resource": f"{USERS}*"},
            )
        ]
    }
    report = unneeded_grants(twice, [("rotate", create_key("homer"))])
    assert {(g.statement, g.kind) for g in report} == {("A", "statement"), ("B", "statement")}


def test_given_a_guards_record_when_asked_then_it_reports_from_its_own_checks(
    world: World,
) -> None:
    with world.guard.acting_as("rotate"):
        world.client("iam").list_access_keys(UserName="homer")
    report = {grant.describe() for grant in world.guard.unneeded()}
    assert "rotate: policy 0/Keys: action iam:CreateAccessKey is never needed" in report
    assert "rotate: policy 0/Batch: statement is never needed" in report
    assert not any("ListAccessKeys" in line for line in report)
