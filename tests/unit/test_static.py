"""Static checks on lambda_src: runtime imports, how AWS is called, the error-name contract."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asl_render
import pytest
from credentials_rotator import errors

PACKAGE = Path(__file__).resolve().parents[2] / "lambda_src" / "credentials_rotator"
MODULES = {path.stem: ast.parse(path.read_text(), str(path)) for path in PACKAGE.glob("*.py")}
SERVICES = {"iam", "secretsmanager", "ssm", "sfn", "s3"}
CLIENT_TYPES = {
    "IAMClient": "iam",
    "SecretsManagerClient": "secretsmanager",
    "SSMClient": "ssm",
    "SFNClient": "sfn",
    "S3Client": "s3",
}
HANDLERS = ("plan", "rotate", "roll_back", "finish")


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        }:
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def _imports(tree: ast.Module) -> Iterator[tuple[str, bool]]:
    """(top-level module name, only for type checking) of every import in a module."""
    typing_only = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], id(node) in typing_only
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], id(node) in typing_only


def _package_imports(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "credentials_rotator":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "credentials_rotator."
        ):
            found.add(str(node.module).split(".")[1])
    return found & set(MODULES)


def _aws_calls(tree: ast.Module) -> set[str]:
    """``service:method`` for every call whose receiver is named after a service."""
    calls = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        receiver = node.func.value
        name = receiver.id if isinstance(receiver, ast.Name) else None
        if isinstance(receiver, ast.Attribute):
            name = receiver.attr
        if name not in SERVICES:
            continue
        method = node.func.attr
        if method == "get_paginator":
            argument = node.args[0]
            assert isinstance(argument, ast.Constant), "paginator names must be literals"
            method = str(argument.value)
        calls.add(f"{name}:{method}")
    return calls


def _closure(module: str) -> set[str]:
    seen = {module}
    todo = [module]
    while todo:
        for imported in _package_imports(MODULES[todo.pop()]) - seen:
            seen.add(imported)
            todo.append(imported)
    return seen


def handler_calls(handler: str) -> set[str]:
    return set().union(*(_aws_calls(MODULES[m]) for m in _closure(handler)))


def test_runtime_imports_are_stdlib_boto3_and_botocore_only() -> None:
    """GIVEN every module WHEN its imports are read THEN only stdlib, boto3 and botocore run."""
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", "credentials_rotator"}
    offenders = []
    for module, tree in MODULES.items():
        for name, typing_only in _imports(tree):
            if typing_only:
                if not name.startswith("mypy_boto3_"):
                    offenders.append(f"{module}: {name} (type checking)")
            elif name not in allowed:
                offenders.append(f"{module}: {name}")
    assert offenders == []
    assert len(MODULES) >= 10  # the scan really read the package


def test_each_function_calls_exactly_the_aws_actions_its_role_allows() -> None:
    """GIVEN the four entry points WHEN their AWS calls are collected THEN they are these."""
    assert {handler: handler_calls(handler) for handler in HANDLERS} == {
        "plan": {
            "ssm:get_parameter",
            "sfn:list_executions",
            # selecting users: ListUsers by path only, GetAccountAuthorizationDetails by tag
            "iam:list_users",
            "iam:get_account_authorization_details",
            "s3:put_object",  # the run's batches
        },
        "rotate": {
            "iam:create_access_key",
            "iam:list_access_keys",
            "iam:delete_access_key",
            "secretsmanager:get_secret_value",
            "secretsmanager:put_secret_value",
            "secretsmanager:create_secret",
            "secretsmanager:update_secret_version_stage",
            "secretsmanager:batch_get_secret_value",  # a batch's delivery records
        },
        "roll_back": {"iam:delete_access_key", "secretsmanager:update_secret_version_stage"},
        # outcomes, items and summary in the run-data bucket
        "finish": {
            "iam:delete_access_key",
            "iam:update_access_key",
            "s3:get_object",
            "s3:put_object",
        },
    }


def test_clients_are_made_only_by_the_factory_and_named_after_their_service() -> None:
    """GIVEN the package WHEN clients are created or passed THEN the naming convention holds."""
    for module, tree in MODULES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in {
                "boto3.client",
                "boto3.resource",
                "boto3.Session",
            }:
                assert module == "clients", f"{module} creates a client"
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "getattr":
                first = node.args[0]
                assert not (isinstance(first, ast.Name) and first.id in SERVICES), module
            if isinstance(node, ast.arg) and node.annotation is not None:
                annotation = ast.unparse(node.annotation)
                for type_name, service in CLIENT_TYPES.items():
                    if type_name in annotation:
                        assert node.arg == service, f"{module}: {node.arg}: {annotation}"


def _error_names(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "ErrorEquals":
                yield from child
            else:
                yield from _error_names(child)
    elif isinstance(value, list):
        for child in value:
            yield from _error_names(child)


def _raised_names() -> set[str]:
    raised = set()
    for tree in MODULES.values():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
            ):
                raised.add(node.exc.func.id)
    return raised


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    missing = asl_render.terraform_missing_reason()
    if missing:
        pytest.skip(missing)
    return asl_render.render()


def test_every_error_the_template_matches_is_defined_and_raised(template: dict[str, Any]) -> None:
    """GIVEN the rendered template WHEN its ErrorEquals are read THEN each own name is real."""
    own = {name for name in _error_names(template) if not name.startswith(("States.", "Lambda."))}
    assert own  # the template does match our own errors
    raised = _raised_names()
    for name in sorted(own):
        assert isinstance(getattr(errors, name, None), type), f"{name} is not in errors.py"
        assert issubclass(getattr(errors, name), errors.RotatorError)
        assert name in raised, f"{name} is never raised in lambda_src"


def test_every_named_error_is_raised_somewhere() -> None:
    """GIVEN errors.py WHEN lambda_src is scanned THEN no error class is dead."""
    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.RotatorError)
    }
    assert defined - _raised_names() == {"RotatorError"}
