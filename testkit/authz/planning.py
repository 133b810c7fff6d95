"""Planning with Terraform for the authorization checks, written once for the hub's policies
(``planned``) and the member roles (``members``): a root module planned against a local moto
server and shown as JSON (``plan_and_show``), each configuration planned once and then read from
the cache under ``.build/authz/`` (``Planning``), with every other known configuration missing
from the cache planned in the same plan.

A plan takes 10 to 30 s, and most of it is Terraform's and the provider's own work, which one
plan of many configurations shares: a clean clone, or an edited ``.tf`` file, costs one plan of
the set instead of one plan per configuration. A configuration the module's input validation
refuses is cached as refused. Without Terraform, the provider mirror or moto's server,
``PlanningUnavailable`` names what is missing.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from testkit import terraform as tf

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".build" / "authz"


class PlanningUnavailable(RuntimeError):
    """Terraform, the provider mirror or moto's server is missing: nothing can be planned."""


class PlanError(RuntimeError):
    """The plan holds something the policies cannot be read from (named in the message)."""


class PlanRefused(PlanError):
    """The module's input validation refused the configuration (cached like a plan)."""


class Cacheable(Protocol):
    def to_json(self) -> dict[str, Any]: ...


# What a ``Planning`` plans (the hub's or a member role's configuration) and gives.
Configuration = TypeVar("Configuration")
Planned = TypeVar("Planned", bound=Cacheable)


@dataclass(frozen=True)
class Planning(Generic[Configuration, Planned]):
    """How one kind of configuration is planned, read from its plan and cached.

    ``known``: the configurations worth planning with a missing one; ``key_of``: a
    configuration's cache key; ``plan``: one plan of a batch (by cache key), as
    ``plan_and_show`` gives it; ``read``: what the plan holds for one configuration of the batch
    (by its key); ``from_json``: a cached result read back.
    """

    known: Callable[[], Iterable[Configuration]]
    key_of: Callable[[Configuration], str]
    plan: Callable[[Mapping[str, Configuration]], dict[str, Any]]
    read: Callable[[dict[str, Any], Configuration, str], Planned]
    from_json: Callable[[Mapping[str, Any], Configuration], Planned]

    def planned(self, configuration: Configuration) -> Planned:
        """``configuration`` planned once, then read from the cache. Planned in one plan with
        every known configuration missing from the cache, or alone when that plan fails (one
        refused configuration fails a plan); one planning at a time across processes."""
        key = self.key_of(configuration)
        found = self._from_cache(key, configuration)
        if found is not None:
            return found
        CACHE.mkdir(parents=True, exist_ok=True)
        with _locked(CACHE / ".lock"):
            found = self._from_cache(key, configuration)  # planned by another process meanwhile
            if found is not None:
                return found
            others = {self.key_of(other): other for other in self.known() if other != configuration}
            missing = {k: c for k, c in others.items() if not _cached(k)}
            try:
                self._plan_into_cache({key: configuration, **missing})
            except PlanError:
                if not missing:
                    raise
                self._plan_into_cache({key: configuration})
        found = self._from_cache(key, configuration)
        assert found is not None, f"{configuration} was planned but not cached"
        return found

    def _plan_into_cache(self, batch: Mapping[str, Configuration]) -> None:
        """Plan the configurations of ``batch`` (by cache key) in one plan and cache each; a
        refusal of a batch of one is cached too."""
        try:
            plan = self.plan(batch)
        except PlanRefused as exc:
            if len(batch) == 1:
                (key,) = batch
                write(CACHE / f"{key}.refused.txt", str(exc))
            raise
        for key, configuration in batch.items():
            planned = self.read(plan, configuration, key)
            write(CACHE / f"{key}.json", json.dumps(planned.to_json(), indent=1, sort_keys=True))

    def _from_cache(self, key: str, configuration: Configuration) -> Planned | None:
        cached, refused = CACHE / f"{key}.json", CACHE / f"{key}.refused.txt"
        if cached.exists():
            return self.from_json(json.loads(cached.read_text()), configuration)
        if refused.exists():
            raise PlanRefused(refused.read_text())
        return None


def _cached(key: str) -> bool:
    return (CACHE / f"{key}.json").exists() or (CACHE / f"{key}.refused.txt").exists()


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` at once: a reader sees the whole file or none."""
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    temporary.write_text(text)
    temporary.replace(path)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One planning at a time across processes (they share Terraform's data directory)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- running Terraform ---------------------------------------------------------------------------

# Given Terraform and the moto server's URL: the directory of the root module to plan, and its
# variables (the root module is written and initialized meanwhile).
Root = Callable[[tf.Terraform, str], tuple[Path, Mapping[str, Any]]]


def plan_and_show(root: Root, files: str, planned: str) -> dict[str, Any]:
    """``terraform plan`` of the root module ``root`` prepares, against a moto server, then
    ``terraform show -json``: the plan. ``files`` names the plan's files under the cache;
    ``planned`` is what a refusal says was planned."""
    terraform = find_terraform()
    with moto_server() as endpoint:
        directory, variables = root(terraform, endpoint)
        plan, output = terraform.plan_json(directory, variables, endpoint, CACHE / files)
    if plan is None:
        raise refusal(output, planned)
    return plan


def refusal(output: str, planned: str) -> PlanError:
    """The error of a plan that failed: ``PlanRefused`` when an input validation refused it."""
    start = output.find("Error:")
    refused = "checked by the validation rule" in output
    return (PlanRefused if refused else PlanError)(
        f"terraform plan {'refused' if refused else 'failed for'} {planned}:\n"
        + (output[start:] if start >= 0 else output[-4000:]).strip()[:4000]
    )


def find_terraform() -> tf.Terraform:
    """Terraform, set up to plan offline through the provider mirror."""
    binary = tf.find_terraform()
    if binary is None:
        raise PlanningUnavailable(
            "terraform is not on PATH: the authorization checks plan the module's policies with "
            "it (install Terraform 1.9 or newer)"
        )
    if not tf.mirror_available():
        raise PlanningUnavailable(
            f"the AWS provider mirror {tf.MIRROR / tf.AWS_PROVIDER} is missing: "
            "the authorization checks plan the module offline with it"
        )
    return tf.Terraform.create(binary)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_server(environment: Mapping[str, str] | None = None) -> Iterator[str]:
    """tests/terraform/moto_for_plan.py on a free local port, for the provider's lookups (also
    the Terraform tier's); ``environment`` is added to the server's (``MOTO_ACCOUNT_ID``: the
    account it answers as)."""
    if importlib.util.find_spec("flask") is None:
        raise PlanningUnavailable(
            "moto's server needs flask (moto[server], pinned in requirements-dev.txt) to answer "
            "the provider while the module is planned"
        )
    script = REPO / "tests" / "terraform" / "moto_for_plan.py"
    if not script.exists():
        raise PlanningUnavailable(f"{script} is missing")
    port = _free_port()
    CACHE.mkdir(parents=True, exist_ok=True)
    log_path = CACHE / "moto_server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(  # noqa: S603  (our own script, with this interpreter)
            [sys.executable, str(script), "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, **(environment or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(server, port, log_path)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_for(server: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Return once the server answers on ``port``; ``PlanningUnavailable`` when it ended or
    took more than 30 s."""
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise PlanningUnavailable(f"moto's server did not start; see {log_path}") from None
            time.sleep(0.1)
