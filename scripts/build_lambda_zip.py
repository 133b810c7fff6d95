"""Build the Lambda zips from their sources, reproducibly byte for byte.

The same sources always give the same bytes, on any machine: entries sorted by path, one fixed
timestamp, fixed permissions, no compression (deflate output differs between zlib builds), no
byte code and no hidden files. The zips are committed, so the module needs nothing but Terraform
and the AWS provider; `make build` refreshes them and a test fails when one is out of date.

A zip may also bundle packages of its own (a credentials handler's, from handlers_src/) and
third-party wheels pinned with their hashes in a requirements file: pip downloads them for the
Lambda runtime and architecture the zip is for (`--wheels` does only that, into .build/wheels/),
and their files go into the zip as they are in the wheels.

    python scripts/build_lambda_zip.py            # build every zip
    python scripts/build_lambda_zip.py --check    # exit 1 when a committed zip is out of date
    python scripts/build_lambda_zip.py --wheels   # download the pinned wheels only
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# 1980-01-01 00:00:00, the earliest time a zip entry can carry.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
EXCLUDED_DIRECTORIES = {"__pycache__"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}


# Lambda's runtime and architecture the bundled wheels are for (modules/handler-function).
WHEEL_PYTHON = "3.13"
WHEEL_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux2014_x86_64")
WHEELS = REPO / ".build" / "wheels"


@dataclass(frozen=True)
class Target:
    """A directory whose contents become the root of a zip, plus package directories placed at
    the root under their own names and the wheels a requirements file pins."""

    source: Path | None
    output: Path
    packages: tuple[Path, ...] = ()
    requirements: Path | None = None

    @property
    def wheel_directory(self) -> Path:
        return WHEELS / self.output.stem

    def entries(self) -> list[tuple[str, bytes]]:
        """(name in the zip, content) of everything the zip holds."""
        found = [] if self.source is None else source_entries(self.source)
        for package in self.packages:
            found += [(f"{package.name}/{name}", data) for name, data in source_entries(package)]
        if self.requirements is not None:
            found += wheel_entries(self.wheel_directory)
        return found

    def content(self) -> bytes:
        return zip_bytes(self.entries())


COMPLETE_EXAMPLE = REPO / "examples" / "complete"
HANDLERS = REPO / "handlers_src"
TARGETS = (
    Target(REPO / "lambda_src", REPO / "dist" / "credentials_rotator.zip"),
    Target(COMPLETE_EXAMPLE / "consumer", COMPLETE_EXAMPLE / "consumer.zip"),
    Target(
        None,
        REPO / "dist" / "handler-github-actions.zip",
        packages=(HANDLERS / "credentials_handler", HANDLERS / "github_actions_handler"),
        requirements=HANDLERS / "requirements-github-actions.txt",
    ),
    Target(
        None,
        REPO / "dist" / "handler-gitlab-ci.zip",
        packages=(HANDLERS / "credentials_handler", HANDLERS / "gitlab_ci_handler"),
    ),
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


def source_entries(source: Path) -> list[tuple[str, bytes]]:
    files = source_files(source)
    if not files:
        raise SystemExit(f"{source}: no files to zip")
    return [(path.relative_to(source).as_posix(), path.read_bytes()) for path in files]


def download_wheels(target: Target) -> None:
    """The wheels ``target.requirements`` pins, for the Lambda runtime, checked by their hashes."""
    assert target.requirements is not None
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    command += ["--only-binary=:all:", "--no-deps", "--require-hashes"]
    command += [argument for p in WHEEL_PLATFORMS for argument in ("--platform", p)]
    command += ["--python-version", WHEEL_PYTHON, "--implementation", "cp"]
    command += ["--dest", str(target.wheel_directory), "--requirement", str(target.requirements)]
    subprocess.run(command, check=True)


def wheel_entries(directory: Path) -> list[tuple[str, bytes]]:
    """The files of every wheel in ``directory``, as the wheels hold them."""
    wheels = sorted(directory.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"{directory} holds no wheels: run `make build` (or --wheels) first")
    found = []
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            found += [(i.filename, archive.read(i)) for i in archive.infolist() if not i.is_dir()]
    return found


def zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip of ``entries``, sorted by name, with fixed times and modes."""
    counts = Counter(name for name, _ in entries)
    duplicated = sorted(name for name, count in counts.items() if count > 1)
    if duplicated:
        raise SystemExit(f"two sources give the same files: {', '.join(duplicated)}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, FIXED_DATE_TIME)
            info.create_system = 3  # Unix, so that external_attr holds the mode
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, data)
    return buffer.getvalue()


def build(source: Path) -> bytes:
    """The zip of ``source`` as bytes."""
    return zip_bytes(source_entries(source))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare the committed zips instead of writing them"
    )
    parser.add_argument("--wheels", action="store_true", help="download the pinned wheels only")
    args = parser.parse_args(argv)
    if not args.check:
        for target in TARGETS:
            if target.requirements is not None:
                download_wheels(target)
    if args.wheels:
        return 0
    stale = []
    for target in TARGETS:
        content = target.content()
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
