"""The committed Lambda zips are exactly what `make build` makes from their sources, and the build
is reproducible: same bytes whatever the files' times, modes or byte-code caches."""

from __future__ import annotations

import importlib.util
import os
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from testkit.terraform import REPO


def load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_lambda_zip", REPO / "scripts" / "build_lambda_zip.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_lambda_zip"] = module
    spec.loader.exec_module(module)
    return module


builder = load_builder()


@pytest.mark.parametrize(
    "target", builder.TARGETS, ids=lambda t: t.output.relative_to(REPO).as_posix()
)
def test_committed_zip_matches_a_fresh_build(target: Any) -> None:
    shown = target.output.relative_to(REPO)
    assert target.output.exists(), f"{shown} is missing: run `make build`"
    assert target.output.read_bytes() == target.content(), (
        f"{shown} differs from a fresh build of its sources: run `make build` and commit it"
    )


def test_build_ignores_times_modes_and_byte_code(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "__init__.py").write_text("")
    (source / "pkg" / "b.py").write_text("B = 2\n")
    (source / "pkg" / "a.py").write_text("A = 1\n")
    first = builder.build(source)

    os.utime(source / "pkg" / "a.py", (1_000_000_000, 1_000_000_000))
    (source / "pkg" / "b.py").chmod(0o755)
    (source / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (source / "pkg" / "stale.pyc").write_bytes(b"\0")
    (source / ".mypy_cache").mkdir()
    (source / ".mypy_cache" / "x.json").write_text("{}")

    assert builder.build(source) == first


def test_zip_entries_are_sorted_with_fixed_time_and_mode() -> None:
    with zipfile.ZipFile(REPO / "dist" / "credentials_rotator.zip") as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos)
    assert all(info.external_attr >> 16 == 0o100644 for info in infos)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert "credentials_rotator/__init__.py" in names


ELF_MACHINE_X86_64 = 0x3E


def zip_contents(name: str) -> dict[str, bytes]:
    with zipfile.ZipFile(REPO / "dist" / name) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_the_github_handlers_zip_bundles_its_wheels_built_for_lambdas_python_and_x86_64() -> None:
    """modules/handler-function runs the zips on python3.13, x86_64: the native libraries must be
    that interpreter's and that architecture's."""
    contents = zip_contents("handler-github-actions.zip")
    native = {
        "_cffi_backend.cpython-313-x86_64-linux-gnu.so",
        "nacl/_sodium.abi3.so",
        "cryptography/hazmat/bindings/_rust.abi3.so",
    }
    assert native <= set(contents)
    for name in native:
        assert contents[name][:4] == b"\x7fELF", f"{name} is not a Linux shared library"
        machine = int.from_bytes(contents[name][18:20], "little")
        assert machine == ELF_MACHINE_X86_64, f"{name} is not for x86_64"
    tops = {name.split("/")[0] for name in contents if "/" in name}
    assert {"credentials_handler", "github_actions_handler", "nacl", "cryptography"} <= tops
    assert "gitlab_ci_handler" not in tops


def test_the_gitlab_handlers_zip_holds_its_own_package_and_the_shared_part_only() -> None:
    contents = zip_contents("handler-gitlab-ci.zip")
    assert {name.split("/")[0] for name in contents} == {"credentials_handler", "gitlab_ci_handler"}
    assert "gitlab_ci_handler/handler.py" in contents
