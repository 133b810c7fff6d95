"""Build the Lambda zips from their sources, reproducibly byte for byte.

The same sources always give the same bytes, on any machine: entries sorted by path, one fixed
timestamp, fixed permissions, no compression (deflate output differs between zlib builds), no
byte code and no hidden files. The zips are committed, so the module needs nothing but Terraform
and the AWS provider; `make build` refreshes them and a test fails when one is out of date.

    python scripts/build_lambda_zip.py            # build every zip
    python scripts/build_lambda_zip.py --check    # exit 1 when a committed zip is out of date
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# 1980-01-01 00:00:00, the earliest time a zip entry can carry.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
EXCLUDED_DIRECTORIES = {"__pycache__"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}


@dataclass(frozen=True)
class Target:
    """A directory whose contents become the root of a zip."""

    source: Path
    output: Path


COMPLETE_EXAMPLE = REPO / "examples" / "complete"
TARGETS = (
    Target(REPO / "lambda_src", REPO / "dist" / "credentials_rotator.zip"),
    Target(COMPLETE_EXAMPLE / "consumer", COMPLETE_EXAMPLE / "consumer.zip"),
)


def source_files(source: Path) -> list[Path]:
    """The files that go into the zip, sorted by their path inside it."""
    files = []
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if any(part.startswith(".") or part in EXCLUDED_DIRECTORIES for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in EXCLUDED_SUFFIXES:
            files.append(path)
    return sorted(files, key=lambda path: path.relative_to(source).as_posix())


def build(source: Path) -> bytes:
    """The zip of ``source`` as bytes."""
    files = source_files(source)
    if not files:
        raise SystemExit(f"{source}: no files to zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), FIXED_DATE_TIME)
            info.create_system = 3  # Unix, so that external_attr holds the mode
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare the committed zips instead of writing them"
    )
    args = parser.parse_args(argv)
    stale = []
    for target in TARGETS:
        content = build(target.source)
        shown = target.output.relative_to(REPO)
        if args.check:
            if not target.output.exists() or target.output.read_bytes() != content:
                stale.append(shown)
            continue
        target.output.parent.mkdir(parents=True, exist_ok=True)
        if target.output.exists() and target.output.read_bytes() == content:
            print(f"{shown}: up to date")
        else:
            target.output.write_bytes(content)
            print(f"{shown}: written ({len(content)} bytes)")
    if stale:
        for shown in stale:
            print(f"{shown} differs from a fresh build: run `make build` and commit it")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
