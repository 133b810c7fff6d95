"""The policies the module plans per role (testkit/authz/planned.py), from a real `terraform plan`.

Planning needs Terraform and the provider mirror, like the Terraform tier; without them these
tests fail with what is missing rather than skip, so the authorization checks never silently
stop. Each configuration is planned once and cached under .build/authz/ (10 to 30 s the first
time on this machine, milliseconds after).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from testkit.authz import configuration_set, planned, planning
from testkit.authz.facts import MotoFacts
from testkit.authz.planned import (
    STATE_MACHINE,
    PlanError,
    PlannedPolicies,
    plan_policies,
    policies_from_plan,
)
from testkit.authz.planning import PlanningUnavailable
from testkit.authz.policy import Outcome, evaluate
from testkit.authz.requests import requests_for

ACCOUNT, REGION = "123456789012", "us-east-1"
USERS = ["homer", {"username": "bart", "metadata": "school"}, "lisa"]


@pytest.fixture(scope="module")
def listed() -> PlannedPolicies:
    return plan_policies(USERS)


@pytest.fixture
def iam_in_moto(aws: None) -> Any:
    return boto3.client("iam", region_name=REGION)


def decide(policies: PlannedPolicies, function: str, operation: str, **params: Any) -> Outcome:
    (request,) = requests_for("iam", operation, params, MotoFacts(ACCOUNT, REGION))
    return evaluate(policies.by_function[function], request).outcome


def test_given_the_module_when_planned_then_each_function_and_the_state_machine_has_policies(
    listed: PlannedPolicies,
) -> None:
    assert set(listed.functions) == set(listed.function_names)
    assert {"plan", "rotate", "finish"} <= set(listed.functions)
    assert list(listed.by_function)[-1] == STATE_MACHINE
    for key, policies in listed.by_function.items():
        assert policies, f"{key} has no policy"
        for policy in policies:
            assert policy.document["Version"] == "2012-10-17"
    assert listed.function_names["rotate"] == "ci-keys-rotate"
    assert listed.role_names["rotate"].startswith("ci-keys")
    assert STATE_MACHINE in listed.role_names
    assert "schedule" in listed.others and "credentials_handler" in listed.others


def test_given_rotates_policy_when_a_listed_user_gets_a_key_then_its_real_arn_is_allowed(
    listed: PlannedPolicies, iam_in_moto: Any
) -> None:
    iam_in_moto.create_user(UserName="bart", Path="/school/")
    iam_in_moto.create_user(UserName="nelson")
    assert decide(listed, "rotate", "CreateAccessKey", UserName="bart") is Outcome.ALLOW
    assert decide(listed, "rotate", "CreateAccessKey", UserName="homer") is Outcome.ALLOW
    # a user the module does not list
    assert decide(listed, "rotate", "CreateAccessKey", UserName="nelson") is Outcome.IMPLICIT_DENY
    # plan's role never touches keys
    assert decide(listed, "plan", "CreateAccessKey", UserName="bart") is Outcome.IMPLICIT_DENY


def test_given_a_configuration_planned_before_when_planned_again_then_the_cache_answers(
    listed: PlannedPolicies,
) -> None:
    started = time.monotonic()
    again = plan_policies(USERS)
    assert time.monotonic() - started < 2
    assert again.to_json() == listed.to_json()


def test_given_a_tag_selection_when_planned_then_key_actions_require_the_tag(
    iam_in_moto: Any,
) -> None:
    selecting = plan_policies(
        ["homer"], user_path_prefix="/ci/", user_tag={"key": "rotate", "value": "yes"}
    )
    iam_in_moto.create_user(
        UserName="tagged", Path="/ci/", Tags=[{"Key": "Rotate", "Value": "yes"}]
    )
    iam_in_moto.create_user(UserName="untagged", Path="/ci/")
    iam_in_moto.create_user(UserName="outside", Tags=[{"Key": "rotate", "Value": "yes"}])
    assert decide(selecting, "rotate", "CreateAccessKey", UserName="tagged") is Outcome.ALLOW
    assert decide(selecting, "rotate", "CreateAccessKey", UserName="untagged") is (
        Outcome.IMPLICIT_DENY
    )
    assert decide(selecting, "rotate", "CreateAccessKey", UserName="outside") is (
        Outcome.IMPLICIT_DENY
    )
    assert decide(selecting, "plan", "GetAccountAuthorizationDetails") is Outcome.ALLOW
    assert selecting.configuration.user_tag == ("rotate", "yes")


# --- reading a plan (no Terraform needed) ------------------------------------------------------


def change(type_: str, resource: str, index: Any = None, /, **after: Any) -> dict[str, Any]:
    return {
        "address": f"module.rotator.{type_}.{resource}" + ("" if index is None else f'["{index}"]'),
        "module_address": "module.rotator",
        "mode": "managed",
        "type": type_,
        "name": resource,
        "index": index,
        "change": {"after": after},
    }


def document(action: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
        }
    )


def synthetic_plan() -> Any:
    each = {"references": ["aws_iam_role.function", "each.key"]}
    states = {
        "references": [
            'aws_iam_role.service["states"].arn',
            'aws_iam_role.service["states"]',
            "aws_iam_role.service",
        ]
    }
    return {
        "configuration": {
            "root_module": {
                "module_calls": {
                    "rotator": {
                        "module": {
                            "resources": [
                                {
                                    "address": "aws_lambda_function.this",
                                    "expressions": {"role": each},
                                },
                                {
                                    "address": "aws_sfn_state_machine.this",
                                    "expressions": {"role_arn": states},
                                },
                                {
                                    "address": "aws_iam_role_policy.function",
                                    "expressions": {"role": each},
                                },
                                {
                                    "address": "aws_iam_role_policy_attachment.function",
                                    "expressions": {
                                        "role": each,
                                        "policy_arn": {
                                            "references": ["aws_iam_policy.function", "each.key"]
                                        },
                                    },
                                },
                                {
                                    "address": "aws_iam_role_policy_attachment.foreign",
                                    "expressions": {
                                        "role": each,
                                        "policy_arn": {"references": ["var.extra"]},
                                    },
                                },
                            ]
                        }
                    }
                }
            }
        },
        "resource_changes": [
            change("aws_iam_role", "function", "rotate", name="x-rotate"),
            change(
                "aws_iam_role",
                "service",
                "states",
                name="x-states",
                inline_policy=[{"name": "inline", "policy": document("s3:GetObject")}],
            ),
            change("aws_lambda_function", "this", "rotate", function_name="x-rotate"),
            change("aws_sfn_state_machine", "this"),
            change(
                "aws_iam_role_policy",
                "function",
                "rotate",
                name="x-rotate",
                policy=document("iam:CreateAccessKey"),
            ),
            change(
                "aws_iam_policy",
                "function",
                "rotate",
                name="x-rotate-big",
                policy=document("iam:ListAccessKeys"),
            ),
            change("aws_iam_role_policy_attachment", "function", "rotate"),
            {**change("aws_s3_bucket", "elsewhere"), "module_address": "module.other"},
        ],
    }


def test_given_inline_and_managed_policies_when_gathered_then_both_belong_to_the_role() -> None:
    gathered = policies_from_plan(synthetic_plan(), planned.PlanConfiguration(users=()))
    assert [p.name for p in gathered.by_function["rotate"]] == ["x-rotate", "x-rotate-big"]
    assert gathered.managed == {"x-rotate-big"}
    assert [p.name for p in gathered.by_function[STATE_MACHINE]] == ["x-states/inline"]
    assert gathered.role_names == {"rotate": "x-rotate", STATE_MACHINE: "x-states"}
    assert gathered.function_names == {"rotate": "x-rotate"}
    assert gathered.others == {}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            change(
                "aws_iam_role_policy_attachment",
                "foreign",
                "rotate",
                policy_arn="arn:aws:iam::aws:policy/X",
            ),
            "does not plan",
        ),
        (change("aws_iam_policy_attachment", "all"), "teach testkit"),
        (change("aws_iam_role", "bounded", permissions_boundary="arn:x"), "permissions boundary"),
        (change("aws_iam_role", "managed", managed_policy_arns=["arn:x"]), "managed_policy_arns"),
        (change("aws_iam_policy", "function", "rotate", name="unknown"), "known at plan time"),
    ],
)
def test_given_what_cannot_be_read_when_gathered_then_the_plan_is_refused(
    extra: dict[str, Any], message: str
) -> None:
    plan = synthetic_plan()
    plan["resource_changes"] = [
        c for c in plan["resource_changes"] if c["address"] != extra["address"]
    ] + [extra]
    with pytest.raises(PlanError, match=message):
        policies_from_plan(plan, planned.PlanConfiguration(users=()))


def test_given_a_function_whose_role_is_not_the_modules_when_gathered_then_it_is_refused() -> None:
    plan = synthetic_plan()
    plan["configuration"]["root_module"]["module_calls"]["rotator"]["module"]["resources"][0][
        "expressions"
    ] = {"role": {"references": ["var.role"]}}
    with pytest.raises(PlanError, match="not a role of the module"):
        policies_from_plan(plan, planned.PlanConfiguration(users=()))


def test_given_an_index_that_cannot_be_resolved_when_gathered_then_it_is_refused() -> None:
    plan = synthetic_plan()
    resources = plan["configuration"]["root_module"]["module_calls"]["rotator"]["module"]
    resources["resources"][0]["expressions"] = {"role": {"references": ["aws_iam_role.function"]}}
    with pytest.raises(PlanError, match="cannot resolve"):
        policies_from_plan(plan, planned.PlanConfiguration(users=()))
    resources["resources"][0]["expressions"] = {
        "role": {"references": ["aws_iam_role.function[local.x]"]}
    }
    with pytest.raises(PlanError, match="cannot resolve"):
        policies_from_plan(plan, planned.PlanConfiguration(users=()))
    resources["resources"][0]["expressions"] = {
        "role": {"references": ['aws_iam_role.function["nope"]']}
    }
    with pytest.raises(PlanError, match="not planned"):
        policies_from_plan(plan, planned.PlanConfiguration(users=()))


# --- what planning needs -----------------------------------------------------------------------


def test_given_no_terraform_when_planning_then_it_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tf_harness = planning.tf
    monkeypatch.setattr(tf_harness, "find_terraform", lambda: None)
    with pytest.raises(PlanningUnavailable, match="terraform is not on PATH"):
        planning.find_terraform()
    monkeypatch.setattr(tf_harness, "find_terraform", lambda: "/usr/bin/terraform")
    monkeypatch.setattr(tf_harness, "mirror_available", lambda: False)
    with pytest.raises(PlanningUnavailable, match="provider mirror"):
        planning.find_terraform()


def test_given_no_flask_when_the_moto_server_is_started_then_it_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(planning.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(PlanningUnavailable, match="flask"), planning.moto_server():
        pass


def test_given_configurations_when_keyed_then_each_parameter_changes_the_key() -> None:
    base = planned.PlanConfiguration(users=(planned.User.of("homer"),))
    keys = {
        planned.cache_key(base),
        planned.cache_key(planned.PlanConfiguration(users=(planned.User.of("Homer"),))),
        planned.cache_key(planned.PlanConfiguration(users=base.users, old_key_action="deactivate")),
        planned.cache_key(planned.PlanConfiguration(users=base.users, user_path_prefix="/ci/")),
    }
    assert len(keys) == 4
    assert planned.User.of({"username": "bart", "metadata": "school"}).metadata == "school"


def test_given_a_tf_file_edited_when_keyed_then_the_key_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan cached for the module's files is never used once one of them changed."""
    for path in [*planned.REPO.glob("*.tf"), planned.TEMPLATE]:
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(planned.FIXTURE, tmp_path / "fixture")
    monkeypatch.setattr(planned, "REPO", tmp_path)
    monkeypatch.setattr(planned, "TEMPLATE", tmp_path / planned.TEMPLATE.name)
    monkeypatch.setattr(planned, "FIXTURE", tmp_path / "fixture")
    configuration = planned.PlanConfiguration(users=(planned.User.of("homer"),))
    before = planned.cache_key(configuration)

    with (tmp_path / "iam.tf").open("a") as edited:
        edited.write("\n# edited\n")

    assert planned.cache_key(configuration) != before


def test_given_a_configuration_when_its_variables_are_read_back_then_it_is_the_same() -> None:
    configuration = planned.PlanConfiguration(
        users=(planned.User("homer", "dad"), planned.User("bart", account_id="111122223333")),
        user_path_prefix="/ci/",
        user_tag=("rotate", None),
        exclude_users=("moe",),
        old_key_action="deactivate",
        kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k",
        event_bus_name=None,
        accounts=(("111122223333", planned.MemberAccountConfiguration(exclude_users=("ned",))),),
        member_external_id="x",
    )
    assert planned.PlanConfiguration.from_variables(configuration.variables()) == configuration


def test_given_a_set_of_configurations_when_one_is_planned_then_the_others_are_planned_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN two configurations in the set and nothing cached WHEN one is planned THEN one plan
    made both: the other one is cached, and matches a plan of its own."""
    asked, other = (planned.PlanConfiguration(users=(planned.User.of(n),)) for n in ("ned", "rod"))
    listed = tmp_path / "configurations.json"
    listed.write_text(json.dumps([asked.variables(), other.variables()]))
    monkeypatch.setattr(configuration_set, "SET_FILE", listed)
    monkeypatch.setattr(planning, "CACHE", tmp_path / "cache")
    plans: list[int] = []
    terraform_plan = planned._terraform_plan
    monkeypatch.setattr(
        planned, "_terraform_plan", lambda batch: plans.append(len(batch)) or terraform_plan(batch)
    )

    planned.plan_configuration(asked)
    together = planned.plan_configuration(other)

    assert plans == [2]
    (tmp_path / "cache" / f"{planned.cache_key(other)}.json").unlink()
    listed.write_text("[]")
    assert planned.plan_configuration(other).to_json() == together.to_json()
    assert plans == [2, 1]


def test_given_an_input_the_module_refuses_when_planned_then_terraforms_error_is_shown() -> None:
    with pytest.raises(PlanError, match=r"(?s)refused the module.s configuration.*Error:"):
        plan_policies(["homer"], old_key_action="sometimes")


def test_given_policies_over_iams_size_limits_when_checked_then_they_are_named() -> None:
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListUsers",
                "Resource": [f"arn:aws:iam::{ACCOUNT}:user/u{n:05d}" for n in range(300)],
            }
        ],
    }
    small = {"Version": "2012-10-17", "Statement": []}
    sized = PlannedPolicies(
        planned.PlanConfiguration(users=()),
        by_function={
            "rotate": (planned.Policy("inline", big),),
            "finish": tuple(planned.Policy(f"m{n}", small) for n in range(11)),
        },
        role_names={},
        function_names={},
        others={"schedule": (planned.Policy("managed-big", big),)},
        managed=frozenset({"managed-big", *(f"m{n}" for n in range(11))}),
    )
    problems = sized.size_problems()
    assert len(problems) == 3
    assert problems[0].startswith("rotate: its inline policies total")
    assert "11 managed policies" in problems[1]
    assert problems[2].startswith("schedule: managed policy managed-big has")


def test_given_the_planned_roles_when_sized_then_they_fit_iams_limits(
    listed: PlannedPolicies,
) -> None:
    assert listed.size_problems() == []
