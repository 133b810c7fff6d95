"""Derive the AWS actions each engine function calls, from the Python code itself.

The engine names its AWS clients `iam`, `secretsmanager`, `ssm`, `sfn`, `s3`, `eventbridge` and
`sts`, always: a call is
`iam.create_access_key(...)` (or `aws.iam.create_access_key(...)`), a paginator is
`sfn.get_paginator("list_executions")`. An entry point's actions are the calls in the functions
its `handler` can reach: every package function a reached function names (calls it, or passes it
on), transitively. botocore's service models turn the method names into API names, so
`create_access_key` becomes `iam:CreateAccessKey`.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import boto3

PACKAGE = "credentials_rotator"
# The layer of the entry points (docs/design.md, "Package layers").
HANDLERS = f"{PACKAGE}.handlers"

# client variable name -> (boto3 service name, IAM action prefix)
CLIENTS = {
    "iam": ("iam", "iam"),
    "secretsmanager": ("secretsmanager", "secretsmanager"),
    "ssm": ("ssm", "ssm"),
    "sfn": ("stepfunctions", "states"),
    "s3": ("s3", "s3"),
    "eventbridge": ("events", "events"),
    "sts": ("sts", "sts"),
}
# Client methods that are not API calls.
NOT_API = {"get_paginator", "get_waiter", "can_paginate", "close", "generate_presigned_url"}


@dataclass(frozen=True)
class Call:
    module: str
    line: int
    receiver: str
    method: str


@functools.cache
def api_names(service: str) -> dict[str, str]:
    """snake_case method -> API operation name, from botocore's model of ``service``."""
    session = boto3.session.Session(
        aws_access_key_id="unused", aws_secret_access_key="unused", region_name="us-east-1"
    )
    return dict(session.client(service).meta.method_to_api_mapping)  # type: ignore[attr-defined]


class Package:
    def __init__(self, source_root: Path) -> None:
        self.root = source_root
        self.modules = {
            self._module_name(path): path for path in (source_root / PACKAGE).rglob("*.py")
        }
        self._trees: dict[str, ast.Module] = {}

    def _module_name(self, path: Path) -> str:
        parts = list(path.relative_to(self.root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    def tree(self, module: str) -> ast.Module:
        if module not in self._trees:
            path = self.modules[module]
            self._trees[module] = ast.parse(path.read_text(), filename=str(path))
        return self._trees[module]

    def imports(self, module: str) -> set[str]:
        """Package modules that ``module`` imports (directly)."""
        found = set()
        is_package = self.modules[module].name == "__init__.py"
        for node in ast.walk(self.tree(module)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found |= self._with_parents(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                found |= self._with_parents(base)
                for alias in node.names:
                    found |= self._with_parents(f"{base}.{alias.name}")
        return found

    def _with_parents(self, name: str) -> set[str]:
        parts = name.split(".")
        prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        return {prefix for prefix in prefixes if prefix in self.modules}

    def closure(self, module: str) -> set[str]:
        seen, todo = set(), [module]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.imports(current) - seen)
        return seen

    def calls(self, module: str) -> tuple[list[Call], list[Call]]:
        """(client calls, suspicious calls): AWS-looking methods on a receiver of another name."""
        client_calls, suspicious = [], []
        all_methods = {m for service, _ in CLIENTS.values() for m in api_names(service)}
        package_names = {name.rsplit(".", 1)[-1] for name in self.modules}
        for node in ast.walk(self.tree(module)):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver_node = node.func.value
            if isinstance(receiver_node, ast.Name):
                receiver = receiver_node.id
            elif isinstance(receiver_node, ast.Attribute):
                receiver = receiver_node.attr
            else:
                continue
            method = node.func.attr
            if receiver in CLIENTS:
                if method == "get_paginator":
                    argument = node.args[0] if node.args else None
                    if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                        raise ValueError(f"{module}:{node.lineno}: paginator name is not a literal")
                    method = argument.value
                elif method in NOT_API:
                    continue
                client_calls.append(Call(module, node.lineno, receiver, method))
            elif method in all_methods and receiver not in package_names:
                suspicious.append(Call(module, node.lineno, receiver, method))
        return client_calls, suspicious

    def functions(self, module: str) -> dict[str, ast.AST]:
        """The module's top-level functions by name."""
        return {
            node.name: node
            for node in self.tree(module).body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        }

    def _bindings(self, module: str) -> dict[str, tuple[str, str | None]]:
        """Local name -> (package module, function name or None for the module itself)."""
        bound: dict[str, tuple[str, str | None]] = {}
        for node in self.tree(module).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in self.modules:
                        bound[alias.asname or alias.name] = (full, None)
                    elif node.module in self.modules:
                        bound[alias.asname or alias.name] = (node.module, alias.name)
        return bound

    def _references(self, module: str, function: ast.AST) -> set[tuple[str, str]]:
        """The package functions ``function`` names: (module, function)."""
        local, bound = self.functions(module), self._bindings(module)
        found = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Name):
                if node.id in local:
                    found.add((module, node.id))
                elif node.id in bound and bound[node.id][1] is not None:
                    target, name = bound[node.id]
                    found.add((target, str(name)))
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                target_module = bound.get(node.value.id)
                if target_module and target_module[1] is None:
                    found.add((target_module[0], node.attr))
        return {(m, f) for m, f in found if f in self.functions(m)}

    def reachable(self, entry_point: str) -> set[tuple[str, str]]:
        """Every package function ``credentials_rotator.handlers.<entry_point>.handler`` can
        reach."""
        start = (f"{HANDLERS}.{entry_point}", "handler")
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            module, name = current
            todo.extend(self._references(module, self.functions(module)[name]) - seen)
        return seen

    def _client_calls(self, module: str, function: ast.AST) -> list[Call]:
        calls, _ = self.calls(module)
        first, last = getattr(function, "lineno", 0), getattr(function, "end_lineno", 0)
        lines = range(first, last + 1)
        return [call for call in calls if call.line in lines]

    def actions(self, entry_point: str) -> dict[str, list[Call]]:
        """IAM action -> the calls that need it, for
        ``credentials_rotator.handlers.<entry_point>``."""
        found: dict[str, list[Call]] = {}
        for module, name in sorted(self.reachable(entry_point)):
            for call in self._client_calls(module, self.functions(module)[name]):
                service, prefix = CLIENTS[call.receiver]
                operation = api_names(service).get(call.method)
                if operation is None:
                    raise ValueError(
                        f"{call.module}:{call.line}: {call.receiver}.{call.method} is not an "
                        f"operation of {service}"
                    )
                found.setdefault(f"{prefix}:{operation}", []).append(call)
        return found

    def entry_points(self) -> list[str]:
        """The modules of the package's ``handlers`` layer that define a Lambda ``handler``."""
        return sorted(
            module.removeprefix(f"{HANDLERS}.")
            for module in self.modules
            if module.startswith(f"{HANDLERS}.") and "handler" in self.functions(module)
        )
