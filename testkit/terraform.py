"""Run Terraform and the other tools of the Terraform tier, offline where a provider mirror exists.

When `/opt/tf-plugins` holds the AWS provider, the harness writes its own CLI configuration (a
filesystem mirror for hashicorp/aws, direct installation for anything else) and points
TF_CLI_CONFIG_FILE at it for the commands it runs. Without the mirror, the user's own Terraform
setup (the public registry, usually) is left alone. Each directory gets its own TF_DATA_DIR under
.build/terraform, so the tier never writes `.terraform/` into the module or the examples.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / ".build" / "terraform"
MIRROR = Path("/opt/tf-plugins")
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"

CLI_CONFIG = f"""\
provider_installation {{
  filesystem_mirror {{
    path    = "{MIRROR}"
    include = ["{AWS_PROVIDER}"]
  }}
  direct {{
    exclude = ["{AWS_PROVIDER}"]
  }}
}}
"""


def mirror_available() -> bool:
    return (MIRROR / AWS_PROVIDER).is_dir()


class TerraformError(AssertionError):
    """A Terraform command failed; the message carries its output."""


@dataclass
class Terraform:
    binary: str
    env: dict[str, str]
    _initialized: dict[Path, Path] = field(default_factory=dict)

    @classmethod
    def create(cls, binary: str) -> Terraform:
        env = dict(os.environ)
        env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
        for name in ("TF_DATA_DIR", "TF_WORKSPACE", "TF_CLI_ARGS"):
            env.pop(name, None)
        if mirror_available():
            BUILD.mkdir(parents=True, exist_ok=True)
            config = BUILD / "offline.tfrc"
            config.write_text(CLI_CONFIG)
            env["TF_CLI_CONFIG_FILE"] = str(config)
        return cls(binary, env)

    def data_dir(self, directory: Path) -> Path:
        relative = directory.resolve().relative_to(REPO).as_posix()
        return BUILD / "data" / ("root" if relative == "." else relative.replace("/", "__"))

    def run(
        self,
        directory: Path,
        *args: str,
        check: bool = True,
        timeout: float = 600,
        data_dir: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run terraform in `directory`; `data_dir` replaces the directory's own TF_DATA_DIR."""
        env = dict(self.env, TF_DATA_DIR=str(data_dir or self.data_dir(directory)))
        result = subprocess.run(
            [self.binary, *args],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise TerraformError(
                f"terraform {' '.join(args)} failed in {directory} (exit {result.returncode}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
            )
        return result

    def plan_json(
        self,
        directory: Path,
        variables: Mapping[str, Any],
        endpoint: str,
        files: Path,
        *,
        endpoint_variable: str = "endpoint",
    ) -> tuple[dict[str, Any] | None, str]:
        """`terraform plan` of ``directory`` with ``variables`` and ``endpoint`` (a moto server's
        URL) as the variable ``endpoint_variable``, then `terraform show -json`: (the plan, "")
        or, when the plan fails, (None, its output). ``files`` names the variables and plan files
        written meanwhile (``<files>.tfvars.json``, ``<files>.tfplan``), removed after. The one
        way the tiers plan and show a root module."""
        variables_file = files.with_name(f"{files.name}.tfvars.json")
        plan_file = files.with_name(f"{files.name}.tfplan")
        files.parent.mkdir(parents=True, exist_ok=True)
        try:
            variables_file.write_text(json.dumps(variables, indent=1))
            planning = self.run(
                directory,
                "plan",
                "-input=false",
                "-no-color",
                "-refresh=false",
                "-lock=false",
                f"-var-file={variables_file}",
                f"-var={endpoint_variable}={endpoint}",
                f"-out={plan_file}",
                timeout=600,
                check=False,
            )
            if planning.returncode != 0:
                return None, f"{planning.stdout}\n{planning.stderr}"
            shown = self.run(directory, "show", "-json", str(plan_file), timeout=300)
        finally:
            plan_file.unlink(missing_ok=True)
            variables_file.unlink(missing_ok=True)
        plan: dict[str, Any] = json.loads(shown.stdout)
        return plan, ""

    def init(self, directory: Path) -> None:
        """`terraform init` once per directory and session."""
        directory = directory.resolve()
        if directory not in self._initialized:
            self.run(directory, "init", "-backend=false", "-input=false", "-no-color")
            self._initialized[directory] = self.data_dir(directory)


def find_terraform() -> str | None:
    return shutil.which("terraform")
