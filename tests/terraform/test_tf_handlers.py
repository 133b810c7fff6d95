"""The ready-made handlers' examples planned against a local moto server (only the data sources
are read), and what the plan gives each handler:

- the targets the module renders into ``TARGETS`` are the targets the handler's code reads
  (``parse_target``): the mapping has one channel, the module's input, validated at plan;
- the handler's role may write its logs, read the token's secret and, through the rotator's
  ``credentials_handler_role_name``, the rotator's secrets; nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from credentials_handler.targets import load_target_map
from github_actions_handler.targets import GitHubTarget
from github_actions_handler.targets import parse_target as parse_github_target
from gitlab_ci_handler.targets import GitLabTarget
from gitlab_ci_handler.targets import parse_target as parse_gitlab_target

from testkit.terraform import REPO, Terraform

TOKEN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/token-AbCdEf"
EXAMPLES = {
    "github-actions": ("github_token_secret_arn", "github_actions"),
    "gitlab-ci": ("gitlab_token_secret_arn", "gitlab_ci"),
}


def resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from resources(child)


@pytest.fixture(scope="module")
def planned(
    terraform: Terraform, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Each example's planned resources by address."""
    found = {}
    for example, (token_variable, _) in EXAMPLES.items():
        directory = REPO / "examples" / example
        terraform.init(directory)
        shown, refusal = terraform.plan_json(
            directory,
            {token_variable: TOKEN_ARN},
            moto_endpoint,
            tmp_path_factory.mktemp(example) / "plan",
            endpoint_variable="aws_endpoint_url",
        )
        assert shown is not None, refusal
        root = shown["planned_values"]["root_module"]
        found[example] = {r["address"]: r["values"] for r in resources(root)}
    return found


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def handler_function(planned: dict[str, Any], example: str) -> dict[str, Any]:
    module = EXAMPLES[example][1]
    return dict(planned[example][f"module.{module}.module.function.aws_lambda_function.this"])


def test_the_github_examples_targets_reach_the_handler_as_it_reads_them(
    planned: dict[str, Any],
) -> None:
    variables = handler_function(planned, "github-actions")["environment"][0]["variables"]

    targets = load_target_map(variables["TARGETS"], parse_github_target).by_user

    prod = {"access_key_id_name": "PROD_AWS_ACCESS_KEY_ID"}
    prod["secret_access_key_name"] = "PROD_AWS_SECRET_ACCESS_KEY"
    names = {"access_key_id_name": "AWS_ACCESS_KEY_ID"}
    names["secret_access_key_name"] = "AWS_SECRET_ACCESS_KEY"
    assert targets == {
        "github-keys-demo-deployer": (GitHubTarget(**names, repository="octo-org/app"),),
        "github-keys-demo-releaser": (
            GitHubTarget(**prod, repository="octo-org/app", environment="production"),
        ),
        "github-keys-demo-publisher": (
            GitHubTarget(
                **names,
                organization="octo-org",
                visibility="selected",
                selected_repositories=("app",),
            ),
        ),
    }
    assert variables["GITHUB_TOKEN_SECRET_ARN"] == TOKEN_ARN
    assert variables["GITHUB_API_URL"] == "https://api.github.com"


def test_the_gitlab_examples_targets_reach_the_handler_as_it_reads_them(
    planned: dict[str, Any],
) -> None:
    variables = handler_function(planned, "gitlab-ci")["environment"][0]["variables"]

    targets = load_target_map(variables["TARGETS"], parse_gitlab_target).by_user

    names = {"access_key_id_name": "AWS_ACCESS_KEY_ID"}
    names["secret_access_key_name"] = "AWS_SECRET_ACCESS_KEY"
    assert targets == {
        "gitlab-keys-demo-deployer": (GitLabTarget(**names, project="platform/deploy"),),
        "gitlab-keys-demo-reviewer": (
            GitLabTarget(
                **names, project="platform/deploy", environment_scope="review/*", protected=False
            ),
        ),
        "gitlab-keys-demo-builder": (GitLabTarget(**names, group="platform", hidden=True),),
    }
    assert variables["GITLAB_API_URL"] == "https://gitlab.com/api/v4"


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_handlers_role_may_write_its_logs_read_its_token_and_the_rotators_secrets_only(
    planned: dict[str, Any], example: str
) -> None:
    module = EXAMPLES[example][1]
    role = handler_function(planned, example)["function_name"]
    own = f"module.{module}.module.function.aws_iam_role_policy.this"
    policies = [
        json.loads(values["policy"])
        for address, values in planned[example].items()
        if address == own or (".aws_iam_role_policy." in address and values.get("role") == role)
    ]
    attached = [
        values
        for address, values in planned[example].items()
        if "aws_iam_role_policy_attachment" in address and values.get("role") == role
    ]

    grants = {
        (action, resource)
        for policy in policies
        for statement in policy["Statement"]
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    prefix = "gitlab-keys-demo" if example == "gitlab-ci" else "github-keys-demo"
    own_logs = f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{role}:*"
    rotator_secrets = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{prefix}/*"
    assert grants == {
        ("logs:CreateLogStream", own_logs),
        ("logs:PutLogEvents", own_logs),
        ("secretsmanager:GetSecretValue", TOKEN_ARN),
        ("secretsmanager:GetSecretValue", rotator_secrets),
        ("secretsmanager:DescribeSecret", rotator_secrets),
    }
    assert attached == []
