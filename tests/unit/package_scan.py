"""The engine's source, parsed: its modules and which of them are Lambda entry points."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lambda_src" / "credentials_rotator"
SOURCES = {path.stem: path for path in sorted(PACKAGE.glob("*.py"))}
MODULES = {name: ast.parse(path.read_text(), str(path)) for name, path in SOURCES.items()}


def _is_entry_point(decorator: ast.expr) -> bool:
    return ast.unparse(decorator) in {"entry_point", "entry.entry_point"}


def entry_points() -> tuple[str, ...]:
    """The modules that define a module-level ``handler`` decorated with ``entry_point``."""
    return tuple(
        name
        for name, tree in MODULES.items()
        if any(
            isinstance(node, ast.FunctionDef)
            and node.name == "handler"
            and any(_is_entry_point(d) for d in node.decorator_list)
            for node in tree.body
        )
    )
