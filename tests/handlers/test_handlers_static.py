"""Static checks on handlers_src: what each handler's zip may import at run time, which way the
packages depend on each other, the pins of the bundled wheels, and the size rules (no function
over 50 lines, no module over 250)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

HANDLERS = Path(__file__).resolve().parents[2] / "handlers_src"
SHARED = "credentials_handler"
# Each target package and the third-party packages its zip bundles.
BUNDLED = {"github_actions_handler": {"nacl", "cryptography"}, "gitlab_ci_handler": set()}
DISTRIBUTIONS = {"nacl": "pynacl", "cryptography": "cryptography"}
MAX_FUNCTION_LINES = 50
MAX_MODULE_LINES = 250
SOURCES = sorted(HANDLERS.glob("*/*.py"))


def runtime_imports(path: Path) -> set[str]:
    """Top-level names of what ``path`` imports, leaving out imports for type checking only."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for child in ast.walk(node)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def imports_of(package: str) -> set[str]:
    return set().union(*(runtime_imports(path) for path in (HANDLERS / package).glob("*.py")))


@pytest.mark.parametrize("package", [SHARED, *BUNDLED])
def test_each_package_imports_only_the_standard_library_the_aws_sdk_and_what_its_zip_bundles(
    package: str,
) -> None:
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore", SHARED, package}
    allowed |= BUNDLED.get(package, set())
    assert imports_of(package) - allowed == set()


def test_the_shared_part_knows_no_target() -> None:
    assert imports_of(SHARED) & set(BUNDLED) == set()
    for package in BUNDLED:  # and a target knows no other target
        assert imports_of(package) & (set(BUNDLED) - {package}) == set()


def test_the_github_handlers_wheels_are_pinned_with_hashes_at_the_versions_the_tests_run() -> None:
    text = (HANDLERS / "requirements-github-actions.txt").read_text()
    pins = dict(re.findall(r"^([a-z0-9-]+)==([^\s\\]+)", text, re.MULTILINE))
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", text)) == len(pins)
    for module in BUNDLED["github_actions_handler"]:
        assert DISTRIBUTIONS[module] in pins, f"{module} is imported but not bundled"
    development = (HANDLERS.parent / "requirements-dev.txt").read_text().lower()
    for name, version in pins.items():
        assert f"\n{name}=={version}\n" in development, f"{name}: not {version} in development"


def test_no_function_is_longer_than_50_lines() -> None:
    long = {
        f"{path.parent.name}/{path.name}:{node.name}": node.end_lineno - node.lineno + 1
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.end_lineno is not None
    }
    assert {name: n for name, n in long.items() if n > MAX_FUNCTION_LINES} == {}
    assert len(long) > 40  # the scan really read the packages


def test_no_module_is_longer_than_250_lines() -> None:
    lengths = {path: len(path.read_text().splitlines()) for path in SOURCES}
    assert {path: n for path, n in lengths.items() if n > MAX_MODULE_LINES} == {}
