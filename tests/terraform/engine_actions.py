"""Derive the AWS actions each engine function calls, from the Python code itself.

The engine names its AWS clients `iam`, `secretsmanager`, `ssm`, `sfn` and `s3`, always: a call is
`iam.create_access_key(...)` (or `self.iam.create_access_key(...)`), a paginator is
`sfn.get_paginator("list_executions")`. An entry point's actions are the calls in its module and
in every package module it imports, transitively. botocore's service models turn the method
names into API names, so `create_access_key` becomes `iam:CreateAccessKey`.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import boto3

PACKAGE = "credentials_rotator"

# client variable name -> (boto3 service name, IAM action prefix)
CLIENTS = {
    "iam": ("iam", "iam"),
    "secretsmanager": ("secretsmanager", "secretsmanager"),
    "ssm": ("ssm", "ssm"),
    "sfn": ("stepfunctions", "states"),
    "s3": ("s3", "s3"),
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

    def _module_name(self, path: Path) -> str:
        parts = list(path.relative_to(self.root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts)

    def tree(self, module: str) -> ast.Module:
        return ast.parse(self.modules[module].read_text(), filename=str(self.modules[module]))

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

    def actions(self, entry_point: str) -> dict[str, list[Call]]:
        """IAM action -> the calls that need it, for ``credentials_rotator.<entry_point>``."""
        found: dict[str, list[Call]] = {}
        for module in sorted(self.closure(f"{PACKAGE}.{entry_point}")):
            for call in self.calls(module)[0]:
                service, prefix = CLIENTS[call.receiver]
                operation = api_names(service).get(call.method)
                if operation is None:
                    raise ValueError(
                        f"{call.module}:{call.line}: {call.receiver}.{call.method} is not an "
                        f"operation of {service}"
                    )
                found.setdefault(f"{prefix}:{operation}", []).append(call)
        return found
