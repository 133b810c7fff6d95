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
    assert target.output.read_bytes() == builder.build(target.source), (
        f"{shown} differs from a fresh build of {target.source.relative_to(REPO)}: "
        "run `make build` and commit it"
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
