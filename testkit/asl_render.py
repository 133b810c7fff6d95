"""Render ``step_function.asl.json.tpl`` with Terraform's own ``templatefile``.

``terraform console`` evaluates the expression offline, without ``init``. The variables come from
``tests/fixtures/state_machine_variables.json``, the one list of template variables; a test may
change values but never the set of keys.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "step_function.asl.json.tpl"
VARIABLES = REPO / "tests" / "fixtures" / "state_machine_variables.json"


def terraform_missing_reason() -> str | None:
    """Why the template cannot be rendered here, or None when it can."""
    if shutil.which("terraform") is None:
        return "terraform is not on PATH; it renders the state machine template"
    return None


def template_variables(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fixture's variables with some values replaced; unknown keys are refused."""
    variables: dict[str, Any] = json.loads(VARIABLES.read_text())
    unknown = sorted(set(overrides or {}) - set(variables))
    if unknown:
        raise KeyError(f"not a template variable: {', '.join(unknown)}")
    variables.update(overrides or {})
    return variables


def render_text(overrides: Mapping[str, Any] | None = None) -> str:
    """The rendered template text, exactly as Terraform produces it."""
    variables = template_variables(overrides)
    with tempfile.TemporaryDirectory(prefix="asl-render-") as workdir:
        vars_file = Path(workdir) / "variables.json"
        vars_file.write_text(json.dumps(variables))
        expression = (
            f'base64encode(templatefile("{TEMPLATE.as_posix()}", '
            f'jsondecode(file("{vars_file.as_posix()}"))))\n'
        )
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(Path(workdir) / "none.tfrc")}
        env.pop("TF_CLI_ARGS", None)
        completed = subprocess.run(
            ["terraform", "console"],
            input=expression,
            capture_output=True,
            text=True,
            cwd=workdir,
            env=env,
            timeout=60,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"terraform console failed:\n{completed.stderr}")
    encoded = completed.stdout.strip().splitlines()[-1].strip().strip('"')
    return base64.b64decode(encoded).decode("utf-8")


def render(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The rendered template, parsed."""
    parsed: dict[str, Any] = json.loads(render_text(overrides))
    return parsed
