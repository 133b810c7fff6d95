"""The development venv holds the bytecode of what it installed (`make venv` compiles it).

Where PYTHONDONTWRITEBYTECODE is set, as on CI machines, Python never writes what it compiles: a
venv installed without its bytecode makes every process of every tier compile each module it
imports from source again (moto, botocore and the test kit's other imports, in each pytest worker,
each moto server and each LocalStack environment).
"""

from __future__ import annotations

import importlib.util
import sys
import sysconfig
from pathlib import Path

SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"]).resolve()


def test_every_module_imported_from_the_venv_has_its_bytecode_beside_it() -> None:
    imported = [
        Path(module.__file__).resolve()
        for module in list(sys.modules.values())
        if getattr(module, "__file__", None) and str(module.__file__).endswith(".py")
    ]
    from_the_venv = [path for path in imported if path.is_relative_to(SITE_PACKAGES)]
    missing = [
        path for path in from_the_venv if not Path(importlib.util.cache_from_source(path)).exists()
    ]

    assert len(from_the_venv) > 100  # moto, botocore, boto3, pytest: the session imported them
    assert missing == [], (
        f"{len(missing)} of {len(from_the_venv)} modules imported from {SITE_PACKAGES} have no "
        f"bytecode, e.g. {missing[:3]}: reinstall the venv with `rm -rf .venv && make venv`"
    )
