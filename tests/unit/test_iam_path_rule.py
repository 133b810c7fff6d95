"""An IAM path ("/" or "/" + printable ASCII + "/", at most 512 characters) has one home in the
module: ``local.iam_path_pattern`` (main.tf), with which variables.tf validates every path input.
modules/member-role supports Terraform versions whose validations cannot read a local, so it
writes the pattern in each validation; each must be the module's. The functions only check that a
path is a text (credentials_rotator.settings.settings_document): Terraform validated it."""

from __future__ import annotations

import re

import pytest

from testkit.terraform import REPO

PATTERN = re.compile(r'iam_path_pattern\s*=\s*"((?:[^"\\]|\\.)*)"')
VALIDATION = re.compile(r'regex\("((?:[^"\\]|\\.)*)",\s*var\.(role_path|user_path_prefix)\)')


def hcl_string(literal: str) -> str:
    """An HCL string literal's value (the patterns hold no template sequence)."""
    return re.sub(r"\\(.)", r"\1", literal)


def the_modules_pattern() -> str:
    (literal,) = PATTERN.findall((REPO / "main.tf").read_text())
    return hcl_string(literal)


def test_the_module_validates_every_path_input_with_its_one_pattern() -> None:
    variables = (REPO / "variables.tf").read_text()
    assert variables.count("regex(local.iam_path_pattern, ") == 2
    assert "[!-~]" not in variables


def test_the_member_roles_paths_are_validated_with_the_modules_pattern() -> None:
    found = VALIDATION.findall((REPO / "modules" / "member-role" / "variables.tf").read_text())
    assert sorted(name for _, name in found) == ["role_path", "user_path_prefix"]
    assert {hcl_string(literal) for literal, _ in found} == {the_modules_pattern()}


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("/", True),
        ("/ci/", True),
        ("/ci/deploy/", True),
        ("/" + "p" * 510 + "/", True),
        ("/" + "p" * 511 + "/", False),
        ("ci/", False),
        ("/ci", False),
        ("/c i/", False),
        ("//", False),
    ],
)
def test_the_pattern_says_what_an_iam_path_is(path: str, valid: bool) -> None:
    """The cases variables.tf's messages describe, through the pattern as RE2 reads it (Python's
    re agrees on this pattern's syntax)."""
    assert (re.fullmatch(the_modules_pattern().strip("^$"), path) is not None) == valid
