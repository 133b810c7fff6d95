"""Static checks on lambda_src: runtime imports, how AWS is called, the error-name contract, and the
size rules (no function over 50 lines, no module over 250).

The entry points are derived from the package: every module with a module-level ``handler``
decorated with ``entry_point`` (``package_scan``).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from credentials_rotator import errors
from package_scan import MODULES, SOURCES, entry_points

from testkit import asl_render
from testkit.terraform import REPO

SERVICES = {"iam", "secretsmanager", "ssm", "sfn", "s3", "sts"}
CLIENT_TYPES = {
    "IAMClient": "iam",
    "SecretsManagerClient": "secretsmanager",
    "SSMClient": "ssm",
    "SFNClient": "sfn",
    "S3Client": "s3",
    "STSClient": "sts",
}
AWS_ERROR_PREFIXES = ("States.", "Lambda.", "Sandbox.", "Runtime.")
MAX_FUNCTION_LINES = 50
MAX_MODULE_LINES = 250
# The model: what a decision is made of, without AWS (test_the_model_imports_only_the_model...).
MODEL = {
    "decision",
    "delivery_record",
    "key_plan",
    "errors",
    "shapes",
    "summary_shapes",
    "summary",
    "config_values",
    "verdicts",
    "run_input",
    "user_listing",
}

Function = tuple[str, str]  # (module, qualified name)


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


# --- the call graph: which functions an entry point may run ------------------------------------


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    """Module-level functions and methods of module-level classes, by qualified name."""
    found: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[f"{node.name}.{item.name}"] = item
    return found


FUNCTIONS = {module: _functions(tree) for module, tree in MODULES.items()}


def _namespace(module: str) -> tuple[dict[str, Function], dict[str, str]]:
    """Names bound to package functions, and names bound to package modules, in ``module``."""
    functions = {name: (module, name) for name in FUNCTIONS[module] if "." not in name}
    modules: dict[str, str] = {}
    for node in MODULES[module].body:
        if not isinstance(node, ast.ImportFrom) or node.level != 0 or not node.module:
            continue
        if node.module == "credentials_rotator":
            for alias in node.names:
                if alias.name in MODULES:
                    modules[alias.asname or alias.name] = alias.name
        elif node.module.startswith("credentials_rotator."):
            source = node.module.split(".")[1]
            for alias in node.names:
                if alias.name in FUNCTIONS.get(source, {}):
                    functions[alias.asname or alias.name] = (source, alias.name)
    return functions, modules


def _callees(function: Function) -> set[Function]:
    """The package functions ``function`` calls or passes on (``pool.submit(_retire, ...)``)."""
    module, name = function
    functions, modules = _namespace(module)
    found: set[Function] = set()
    for node in ast.walk(FUNCTIONS[module][name]):
        if isinstance(node, ast.Name) and node.id in functions:
            found.add(functions[node.id])
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr in FUNCTIONS[modules[node.value.id]]
        ):
            found.add((modules[node.value.id], node.attr))
    return found


def _reachable(entry_point: str) -> set[Function]:
    seen = {(entry_point, "handler")}
    todo = list(seen)
    while todo:
        for callee in _callees(todo.pop()) - seen:
            seen.add(callee)
            todo.append(callee)
    return seen


def _aws_calls(node: ast.AST) -> set[str]:
    """``service:method`` for every call whose receiver is named after a service."""
    calls = set()
    for child in ast.walk(node):
        if not isinstance(child, ast.Call) or not isinstance(child.func, ast.Attribute):
            continue
        receiver = child.func.value
        name = receiver.id if isinstance(receiver, ast.Name) else None
        if isinstance(receiver, ast.Attribute):
            name = receiver.attr
        if name not in SERVICES:
            continue
        method = child.func.attr
        if method == "get_paginator":
            argument = child.args[0]
            assert isinstance(argument, ast.Constant), "paginator names must be literals"
            method = str(argument.value)
        calls.add(f"{name}:{method}")
    return calls


def handler_calls(entry_point: str) -> set[str]:
    return set().union(
        *(_aws_calls(FUNCTIONS[module][name]) for module, name in _reachable(entry_point))
    )


# --- tests ---------------------------------------------------------------------------------------


def test_the_entry_points_are_the_templates_functions() -> None:
    """GIVEN the package and the template's function ARNs THEN one entry point per ARN."""
    assert set(entry_points()) == set(asl_render.template_variables()["function_arns"])


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
    assert len(MODULES) >= 20  # the scan really read the package


def _package_imports(tree: ast.Module) -> Iterator[str]:
    """The package's modules a module imports when it runs (not for type checking only)."""
    typing_only = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or id(node) in typing_only or not node.module:
            continue
        if node.module == "credentials_rotator":
            yield from (alias.name for alias in node.names)
        elif node.module.startswith("credentials_rotator."):
            yield node.module.split(".")[1]


def test_the_model_imports_only_the_model_and_never_boto() -> None:
    """GIVEN the model's modules (keys, records, decisions, outcomes, the settings' values: what
    a decision is made of) THEN each imports, when it runs, only the standard library and other
    modules of the model: no boto3, no botocore, no module that calls AWS. A rule of the model is
    tested without AWS, and an AWS call cannot hide behind one."""
    assert set(MODULES) >= MODEL
    offenders = []
    for module in sorted(MODEL):
        tree = MODULES[module]
        external = {name for name, typing_only in _imports(tree) if not typing_only}
        offenders += [
            f"{module}: {name}"
            for name in sorted(external - set(sys.stdlib_module_names))
            if name != "credentials_rotator"
        ]
        offenders += [f"{module}: {name}" for name in sorted(set(_package_imports(tree)) - MODEL)]
    assert offenders == []


def test_each_function_calls_exactly_the_aws_actions_its_role_allows() -> None:
    """GIVEN each entry point WHEN the AWS calls of every function it may run are collected THEN
    they are these (iam.tf grants each function these actions, no more)."""
    assert {entry: handler_calls(entry) for entry in entry_points()} == {
        "plan": {
            "ssm:get_parameter",
            "sfn:list_executions",  # run_guard: running and recent runs
            # selecting users: ListUsers by path only, GetAccountAuthorizationDetails by tag
            "iam:list_users",
            "iam:get_account_authorization_details",
            "s3:put_object",  # the run's batches
            "sts:assume_role",  # member accounts' users, selected there (member_selection)
        },
        "read_records": {"secretsmanager:batch_get_secret_value"},
        "rotate": {
            "iam:create_access_key",
            "iam:list_access_keys",
            "iam:delete_access_key",
            "iam:get_access_key_last_used",  # strays: was the key ever used; in_use: since when
            "iam:update_access_key",  # in_use: a key still in use is deactivated (in that mode)
            "secretsmanager:tag_resource",  # in_use: the deferral, on the user's secret
            "secretsmanager:get_secret_value",
            "secretsmanager:put_secret_value",
            "secretsmanager:create_secret",
            "secretsmanager:update_secret_version_stage",
            # a secret scheduled for deletion is restored (secret_lifecycle)
            "secretsmanager:describe_secret",
            "secretsmanager:restore_secret",
            "sfn:list_executions",  # strays: the recent runs
            "s3:get_object",  # strays: their items and outcomes
            "sts:assume_role",  # a member user's keys, through its account's member role
            # verification: signed with the new key, not the function's role
            "sts:get_caller_identity",
        },
        "roll_back": {
            "iam:delete_access_key",
            "secretsmanager:update_secret_version_stage",
            "sts:assume_role",
        },
        "record_outcomes": {"s3:put_object"},
        "finish": {
            "iam:delete_access_key",
            "iam:update_access_key",
            "iam:get_access_key_last_used",  # in_use: is the previous key still used
            "iam:list_access_keys",  # in_use: a key AWS denies the last use of may be gone
            # deferrals: the deferral, on the user's secret (a stage and a tag)
            "secretsmanager:describe_secret",
            "secretsmanager:update_secret_version_stage",
            "secretsmanager:tag_resource",
            "s3:get_object",
            "s3:put_object",
            "sts:assume_role",
        },
    }


def test_the_call_graph_follows_functions_passed_to_a_thread_pool() -> None:
    """GIVEN finish, which retires through ``pool.submit(..., _retire, ...)`` WHEN its call graph is
    built THEN it reaches ``access_keys.retire``; rotate's does not."""
    assert ("access_keys", "retire") in _reachable("finish")
    assert ("access_keys", "retire") not in _reachable("rotate")


def test_clients_are_made_only_by_the_factory_and_named_after_their_service() -> None:
    """GIVEN the package WHEN clients are created or passed THEN the naming convention holds."""
    offenders = []
    for module, tree in MODULES.items():
        for node in ast.walk(tree):
            creates = isinstance(node, ast.Call) and ast.unparse(node.func) in {
                "boto3.client",
                "boto3.resource",
                "boto3.Session",
            }
            if creates and module != "clients":
                offenders.append(f"{module} creates a client")
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "getattr":
                first = node.args[0]
                if isinstance(first, ast.Name) and first.id in SERVICES:
                    offenders.append(f"{module}: getattr on {first.id}")
            if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
                annotation = ast.unparse(node.annotation)
                name = node.arg if isinstance(node, ast.arg) else ast.unparse(node.target)
                if annotation.startswith("tuple["):  # several clients, unpacked by name
                    continue
                for type_name, service in CLIENT_TYPES.items():
                    if type_name in annotation and name != service:
                        offenders.append(f"{module}: {name}: {annotation}")
    assert offenders == []


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


def _reported_names() -> set[str]:
    """Errors whose name is reported without raising them (``OutcomeUnknown.__name__``)."""
    return {
        node.value.id
        for tree in MODULES.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "__name__"
        and isinstance(node.value, ast.Name)
    }


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    missing = asl_render.terraform_missing_reason()
    if missing:
        pytest.skip(missing)
    return asl_render.render()


def test_every_error_the_template_matches_is_defined_and_raised(template: dict[str, Any]) -> None:
    """GIVEN the rendered template WHEN its ErrorEquals are read THEN each of our names is an
    error of errors.py that the engine raises."""
    own = {name for name in _error_names(template) if not name.startswith(AWS_ERROR_PREFIXES)}
    assert own  # the template does match our own errors
    raised = _raised_names()
    for name in sorted(own):
        assert isinstance(getattr(errors, name, None), type), f"{name} is not in errors.py"
        assert issubclass(getattr(errors, name), errors.RotatorError)
        assert name in raised, f"{name} is never raised in lambda_src"


def test_every_named_error_is_raised_or_reported_somewhere() -> None:
    """GIVEN errors.py WHEN lambda_src is scanned THEN no error class is dead: each is raised, or
    its name is reported in an outcome or a failure."""
    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.RotatorError)
    }
    assert defined - _raised_names() - _reported_names() == {"RotatorError"}


# --- size rules ----------------------------------------------------------------------------------


def _function_lengths() -> dict[str, int]:
    """Every function and method (nested ones too): lines from ``def`` to its last line."""
    lengths = {}
    for module, tree in MODULES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lengths[f"{module}.{node.name}:{node.lineno}"] = node.end_lineno - node.lineno + 1
    return lengths


def test_no_function_is_longer_than_50_lines() -> None:
    """GIVEN every function of lambda_src (nested ones and methods too) THEN none spans more than 50
    lines, ``def`` to last line."""
    lengths = _function_lengths()
    assert len(lengths) > 100  # the scan really read every function
    assert {name: n for name, n in lengths.items() if n > MAX_FUNCTION_LINES} == {}


def test_no_module_is_longer_than_250_lines() -> None:
    """GIVEN every module of lambda_src THEN none has more than 250 lines."""
    lengths = {module: len(path.read_text().splitlines()) for module, path in SOURCES.items()}
    assert {module: n for module, n in lengths.items() if n > MAX_MODULE_LINES} == {}


def test_the_formatter_lays_out_every_line_of_the_project() -> None:
    """GIVEN every Python file of the project THEN none turns the formatter off for a line or a
    block: the size rules are met by the code's shape, not by lines squeezed past the formatter."""
    markers = ("fmt" + ": skip", "fmt" + ": off")  # spelled apart, so that this file is clean too
    roots = ("lambda_src", "handlers_src", "testkit", "tests", "scripts", "bench", "dev")
    files = [path for root in roots for path in (REPO / root).rglob("*.py")]
    assert len(files) > 100  # the scan really read the project
    squeezed = sorted(
        f"{path.relative_to(REPO)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if any(marker in line for marker in markers)
    )
    assert squeezed == []
