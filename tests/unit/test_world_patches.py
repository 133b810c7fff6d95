"""Each patch of the test world names the version of moto (or botocore) it was checked against.

A patch replaces a piece of moto's internals with what AWS does; a new moto may rename that
piece, change it, or do what AWS does already. These tests fail when the installed version is not
the one a patch was checked against, so that someone reads the patch again before trusting it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
from types import ModuleType

import pytest

from testkit.world import patches

PATCH_MODULES = sorted(
    info.name for info in pkgutil.iter_modules(patches.__path__, f"{patches.__name__}.")
)


def checked_against(module: ModuleType) -> tuple[str, str]:
    """The distribution and version the patch module says it was checked against."""
    declared = getattr(module, "CHECKED_AGAINST", None)
    assert isinstance(declared, tuple) and len(declared) == 2, (
        f"{module.__name__} does not say which version it was checked against: give it "
        'CHECKED_AGAINST = ("moto", "<the version you checked it against>")'
    )
    return declared


def mismatch(module: str, distribution: str, checked: str, installed: str) -> str | None:
    """What to tell the reader when ``installed`` is not the version the patch was checked
    against (None when it is)."""
    if installed == checked:
        return None
    return (
        f"{module} was checked against {distribution} {checked}, but {distribution} {installed} "
        f"is installed: re-check that patch against {distribution} {installed} (does the code "
        "it replaces still exist and do the same? does moto now do what AWS does?), then set "
        f'its CHECKED_AGAINST to ("{distribution}", "{installed}")'
    )


def test_the_world_has_its_patches() -> None:
    assert len(PATCH_MODULES) >= 15, PATCH_MODULES


@pytest.mark.parametrize("name", PATCH_MODULES)
def test_each_patch_was_checked_against_the_installed_version(name: str) -> None:
    distribution, checked = checked_against(importlib.import_module(name))
    problem = mismatch(name, distribution, checked, importlib.metadata.version(distribution))
    assert problem is None, problem


def test_a_new_moto_names_the_patch_to_check_again() -> None:
    problem = mismatch("testkit.world.patches.x", "moto", "5.2.5", "5.3.0")
    assert problem is not None
    assert "testkit.world.patches.x was checked against moto 5.2.5" in problem
    assert "moto 5.3.0 is installed: re-check that patch against moto 5.3.0" in problem
