"""The package's layers (docs/design.md, "Package layers"): each subpackage imports only its own
modules and those of the layers below it, and the model imports nothing but the standard library.
A rule of the model is tested without AWS, and an AWS call cannot hide behind one."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator

from package_scan import LAYERS, MODULES, PACKAGE, SOURCES, imported, layer


def _package_imports(tree: ast.Module) -> Iterator[str]:
    """The package's modules a module imports, at run time or for type checking alike."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield from (module for _, module, _ in imported(node))
        elif isinstance(node, ast.Import) and any(
            alias.name.startswith("credentials_rotator.") for alias in node.names
        ):
            yield "import credentials_rotator.<...>: use from-imports"


def _outside_imports(tree: ast.Module) -> Iterator[str]:
    """The top-level names of the modules from outside the package a module imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            name = node.module.split(".")[0]
            if name != "credentials_rotator":
                yield name


def test_every_module_lives_in_a_layer() -> None:
    """GIVEN the package THEN each module is in one of the layers' subpackages, none loose at the
    top, and every layer holds modules."""
    assert {layer(module) for module in SOURCES} == set(LAYERS)
    assert sorted(path.name for path in PACKAGE.glob("*.py")) == ["__init__.py"]


def test_each_layer_imports_only_itself_and_the_layers_below() -> None:
    """GIVEN each module WHEN its imports of the package are read THEN none reaches a layer above
    its own (a model type read by an adapter is fine; an adapter's call in the model is not)."""
    rank = {name: index for index, name in enumerate(LAYERS)}
    upward = [
        f"{layer(module)}.{module} imports {target}"
        for module, tree in MODULES.items()
        for target in _package_imports(tree)
        if target not in SOURCES or rank[layer(target)] > rank[layer(module)]
    ]
    assert upward == []


def test_the_model_imports_nothing_but_the_standard_library() -> None:
    """GIVEN the model's modules (keys, records, decisions, outcomes) THEN each imports only the
    standard library and the model: no boto3, no botocore, not even their type stubs."""
    model = [module for module in MODULES if layer(module) == "model"]
    assert {"decision", "delivery_record", "shapes"} <= set(model)
    offenders = [
        f"{module}: {name}"
        for module in model
        for name in _outside_imports(MODULES[module])
        if name not in sys.stdlib_module_names
    ]
    assert offenders == []


def test_the_layer_test_catches_an_upward_import() -> None:
    """GIVEN a model module that imported an adapter THEN the scan names the adapter: the test
    above can fail."""
    tree = ast.parse("from credentials_rotator.aws import clients\nimport boto3\n")
    assert list(_package_imports(tree)) == ["clients"]
    assert list(_outside_imports(tree)) == ["boto3"]
