"""A deployment of `examples/complete` on LocalStack, driven the way a user drives the module.

`Stack` applies the example with the real Terraform and AWS provider against the LocalStack at
`LOCALSTACK_ENDPOINT`, starts runs the way the schedule does, and reads what changed through the
AWS APIs. The end-to-end tests and `make demo` both use it. Its state and Terraform data live
under `.build/e2e/<name>/`, so the example's directory stays clean.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from testkit.terraform import REPO, Terraform, TerraformError, find_terraform

EXAMPLE = REPO / "examples" / "complete"
REGION = "us-east-1"
PENDING_STAGE = "PENDING_HANDOFF"
# How often a run's status is asked while it runs.
POLL_SECONDS = 0.2
# A create the provider sent again after LocalStack lost its first answer (AWS SDK retries on a
# dropped connection) finds the user or role that the first attempt made. AWS answers such a
# request or fails it whole; the stack adopts what it made itself, once, and applies again.
RESENT_CREATE = re.compile(
    r"Error: creating IAM (?:User|Role) \((?P<name>[^)\s]+)\):[^\n]*EntityAlreadyExists"
    r"(?:(?!Error:).)*?\n\s*with (?P<address>[^,\n]+),",
    re.DOTALL,
)


def own_resources_made_twice(output: str, prefix: str) -> list[tuple[str, str]]:
    """(address, name) of each IAM user or role that `terraform apply` found already made, when
    its name starts with ``prefix``, this stack's own unique name: nothing else made it."""
    return [
        (match["address"], match["name"])
        for match in RESENT_CREATE.finditer(output)
        if match["name"].startswith(f"{prefix}-")
    ]


@dataclass(frozen=True)
class RunResult:
    """How a run of the state machine ended."""

    execution_arn: str
    status: str
    summary: dict[str, Any]
    error: str | None

    def usernames(self, part: str) -> list[str]:
        return sorted(entry["username"] for entry in self.summary.get(part, []))


@dataclass
class Stack:
    """One deployment of examples/complete (or of another `example`), named `name`, on the
    emulator at `endpoint`."""

    name: str
    endpoint: str
    variables: dict[str, Any] = field(default_factory=dict)
    destroyed: bool = False
    example: Path = EXAMPLE
    terraform: Terraform = field(init=False)

    def __post_init__(self) -> None:
        binary = find_terraform()
        if binary is None:
            raise RuntimeError("terraform is not on PATH; the end-to-end tier applies the module")
        self.terraform = Terraform.create(binary)
        self.workdir.mkdir(parents=True, exist_ok=True)

    # --- Terraform -------------------------------------------------------------------------

    @property
    def workdir(self) -> Path:
        return REPO / ".build" / "e2e" / self.name

    def _terraform(self, *args: str, check: bool = True) -> Any:
        return self.terraform.run(self.example, *args, data_dir=self.workdir / "data", check=check)

    def _var_file(self, overrides: Mapping[str, Any]) -> str:
        values = {"name": self.name, "aws_endpoint_url": self.endpoint, **self.variables}
        values.update(overrides)
        path = self.workdir / "terraform.tfvars.json"
        path.write_text(json.dumps(values, indent=2))
        return f"-var-file={path}"

    @property
    def _state(self) -> str:
        return f"-state={self.workdir / 'terraform.tfstate'}"

    def apply(self, **overrides: Any) -> None:
        self._terraform("init", "-input=false", "-no-color")
        try:
            self._apply(overrides)
        except TerraformError as error:
            made_twice = own_resources_made_twice(str(error), self.name)
            if not made_twice:
                raise
            for address, name in made_twice:
                self._terraform(
                    "import",
                    "-input=false",
                    "-no-color",
                    self._state,
                    self._var_file(overrides),
                    address,
                    name,
                )
            self._apply(overrides)
        self.__dict__.pop("outputs", None)

    def _apply(self, overrides: Mapping[str, Any]) -> None:
        self._terraform(
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            self._state,
            self._var_file(overrides),
        )

    def planned_changes(self, **overrides: Any) -> dict[str, set[str]]:
        """What applying again would change: resource address → names of changed attributes."""
        plan_file = self.workdir / "again.tfplan"
        self._terraform(
            "plan",
            "-input=false",
            "-no-color",
            self._state,
            self._var_file(overrides),
            f"-out={plan_file}",
        )
        shown = json.loads(self._terraform("show", "-json", str(plan_file)).stdout)
        changes: dict[str, set[str]] = {}
        for change in shown.get("resource_changes", []):
            if change["change"]["actions"] in (["no-op"], ["read"]):
                continue
            before = change["change"].get("before") or {}
            after = change["change"].get("after") or {}
            unknown = change["change"].get("after_unknown") or {}
            changed = {k for k in {*before, *after} if before.get(k) != after.get(k)}
            changes[change["address"]] = changed | {k for k, v in unknown.items() if v}
        return changes

    def destroy(self, *, target: str | None = None, **overrides: Any) -> None:
        """`terraform destroy`, of everything or of one `target` address only."""
        targets = [f"-target={target}"] if target else []
        self._terraform(
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            self._state,
            self._var_file(overrides),
            *targets,
        )
        self.destroyed = target is None

    @cached_property
    def outputs(self) -> dict[str, Any]:
        result = self._terraform("output", "-json", self._state)
        return {key: value["value"] for key, value in json.loads(result.stdout).items()}

    # --- AWS clients on the emulator ----------------------------------------------------------

    def client(self, service: str, credentials: Mapping[str, str] | None = None) -> Any:
        creds = credentials or {
            "AccessKeyId": "test",
            "SecretAccessKey": "test",
            "SessionToken": "",
        }
        return boto3.client(
            service,  # type: ignore[call-overload]
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds.get("SessionToken") or None,
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )

    # --- Runs ---------------------------------------------------------------------------------

    def start_like_schedule(self) -> str:
        """Start a run as the deployed schedule would: its target, its input, its role.

        LocalStack creates EventBridge Scheduler schedules but never fires them, so the schedule
        is read back and its target is called with the schedule's own role and input.
        """
        schedule = self.client("scheduler").get_schedule(Name=self.outputs["schedule_name"])
        target = schedule["Target"]
        assumed = self.client("sts").assume_role(
            RoleArn=target["RoleArn"], RoleSessionName="scheduler"
        )
        sfn = self.client("stepfunctions", credentials=assumed["Credentials"])
        started = sfn.start_execution(stateMachineArn=target["Arn"], input=target["Input"])
        return str(started["executionArn"])

    def start(self, run_input: Mapping[str, Any]) -> str:
        """Start an on-demand run with `run_input`."""
        started = self.client("stepfunctions").start_execution(
            stateMachineArn=self.outputs["state_machine_arn"], input=json.dumps(run_input)
        )
        return str(started["executionArn"])

    def wait(self, execution_arn: str, timeout: float = 240) -> RunResult:
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            execution = sfn.describe_execution(executionArn=execution_arn)
            if execution["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"run {execution_arn} still RUNNING after {timeout:g} s")
            time.sleep(POLL_SECONDS)
        if execution["status"] == "SUCCEEDED":
            return RunResult(execution_arn, "SUCCEEDED", json.loads(execution["output"]), None)
        cause = execution.get("cause") or "{}"
        try:
            summary = json.loads(cause)
        except json.JSONDecodeError:
            summary = {}
        return RunResult(execution_arn, execution["status"], summary, execution.get("error"))

    def rotate(self, run_input: Mapping[str, Any] | None = None) -> RunResult:
        arn = self.start_like_schedule() if run_input is None else self.start(run_input)
        return self.wait(arn)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        paginator = self.client("stepfunctions").get_paginator("get_execution_history")
        return [
            event
            for page in paginator.paginate(executionArn=execution_arn)
            for event in page["events"]
        ]

    # --- Users, keys and secrets --------------------------------------------------------------

    @property
    def usernames(self) -> list[str]:
        return list(self.outputs["user_names"])

    def keys(self, username: str) -> dict[str, str]:
        """Access key id → status of the user's keys."""
        listed = self.client("iam").list_access_keys(UserName=username)["AccessKeyMetadata"]
        return {key["AccessKeyId"]: key["Status"] for key in listed}

    def secret_key_id(self, username: str, stage: str = "AWSCURRENT") -> str:
        """The access key id the user's secret holds at `stage` (never the secret itself)."""
        value = self.client("secretsmanager").get_secret_value(
            SecretId=self.outputs["secret_names"][username], VersionStage=stage
        )
        return str(json.loads(value["SecretString"])["AccessKeyId"])

    def received(self, username: str) -> dict[str, Any] | None:
        """What the sample consumer recorded for the user's last handoff, if anything."""
        name = self.outputs["received_parameter_prefix"] + username
        try:
            value = self.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
        except self.client("ssm").exceptions.ParameterNotFound:
            return None
        return dict(json.loads(value))

    def reset_user(self, username: str) -> tuple[str, str]:
        """Give the user one Active key, recorded in its secret as delivered; forget past runs.

        Returns (access key id, secret access key) of that key. The secret is for checks in the
        caller that must never print it.
        """
        iam = self.client("iam")
        for key_id in self.keys(username):
            iam.delete_access_key(UserName=username, AccessKeyId=key_id)
        key = iam.create_access_key(UserName=username)["AccessKey"]
        secretsmanager = self.client("secretsmanager")
        secret_arn = self.outputs["secret_names"][username]
        with contextlib.suppress(secretsmanager.exceptions.ResourceExistsException):
            secretsmanager.create_secret(Name=secret_arn)  # the rotator's, made here ahead of it
        secretsmanager.put_secret_value(
            SecretId=secret_arn,
            SecretString=json.dumps(
                {
                    "UserName": username,
                    "AccessKeyId": key["AccessKeyId"],
                    "Status": key["Status"],
                    "SecretAccessKey": key["SecretAccessKey"],
                    "CreateDate": key["CreateDate"].isoformat(),
                }
            ),
            VersionStages=["AWSCURRENT"],
        )
        for version_id, stages in self._stages(secret_arn):
            if PENDING_STAGE in stages:
                secretsmanager.update_secret_version_stage(
                    SecretId=secret_arn, VersionStage=PENDING_STAGE, RemoveFromVersionId=version_id
                )
        ssm = self.client("ssm")
        with contextlib.suppress(ssm.exceptions.ParameterNotFound):
            ssm.delete_parameter(Name=self.outputs["received_parameter_prefix"] + username)
        return str(key["AccessKeyId"]), str(key["SecretAccessKey"])

    def _stages(self, secret_arn: str) -> Iterator[tuple[str, list[str]]]:
        versions = self.client("secretsmanager").list_secret_version_ids(SecretId=secret_arn)
        for version in versions["Versions"]:
            yield version["VersionId"], list(version.get("VersionStages", []))

    def log_events(self) -> Iterator[tuple[str, str]]:
        """(log group, message) of every event in every log group of the deployment."""
        logs = self.client("logs")
        for group in self.outputs["log_group_names"].values():
            paginator = logs.get_paginator("filter_log_events")
            try:
                for page in paginator.paginate(logGroupName=group):
                    for event in page["events"]:
                        yield group, str(event["message"])
            except logs.exceptions.ResourceNotFoundException:
                continue
