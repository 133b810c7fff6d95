"""The engine's source, parsed: its modules, the layer each belongs to, and which of them are
Lambda entry points."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "lambda_src" / "credentials_rotator"
# The package's subpackages, bottom to top: each imports only its own and those below it
# (docs/design.md, "Package layers").
LAYERS = ("model", "settings", "aws", "run", "handlers")
SOURCES = {path.stem: path for path in sorted(PACKAGE.rglob("*.py")) if path.stem != "__init__"}
MODULES = {name: ast.parse(path.read_text(), str(path)) for name, path in SOURCES.items()}


def layer(module: str) -> str:
    """The subpackage ``module`` lives in."""
    return SOURCES[module].parent.name


def dotted(module: str) -> str:
    """``module``'s import name."""
    return f"credentials_rotator.{layer(module)}.{module}"


def imported(node: ast.ImportFrom) -> list[tuple[ast.alias, str, str | None]]:
    """(the alias, its package module, the name taken from that module; None: the module
    itself) of each name ``node`` imports from the package; nothing for an import from
    elsewhere."""
    parts = (node.module or "").split(".")
    if parts[0] != "credentials_rotator" or node.level:
        return []
    if len(parts) == 3:
        return [(alias, parts[2], alias.name) for alias in node.names]
    return [(alias, alias.name, None) for alias in node.names if alias.name in SOURCES]


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
