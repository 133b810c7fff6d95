"""Run each test tier through make, then print each tier's duration and the whole run's, and one
line per tier with its counts (the last lines, in the form CI reads: "unit: N passed, N failed,
...").

``run_tiers.py lint test-unit --alongside test-e2e test-tf`` runs the tiers named before
``--alongside`` one after another, and those after it at the same time as them: the end-to-end
tier spends most of its time waiting on LocalStack and Terraform, and the Terraform tier runs one
command at a time, while the others keep both processors busy. A tier run alongside writes its
output to ``.build/<tier>.log``, printed whole when it ends.

Every tier runs even when an earlier one failed, so one run shows the whole picture. The exit
status is non-zero when any tier failed, or when any test was skipped: on the project's machines
every tool a tier needs is installed, so a skip means a tier did not really run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

BUILD = Path(".build")


@dataclass(frozen=True)
class TierResult:
    target: str
    exit_code: int
    seconds: float
    cpu_seconds: float
    counts: dict[str, int] | None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and (self.counts is None or self.counts["skipped"] == 0)

    def line(self) -> str:
        name = self.target.removeprefix("test-")
        if self.counts is None:
            verdict = "passed" if self.exit_code == 0 else f"FAILED (exit {self.exit_code})"
            return f"{name}: {verdict} in {duration(self.seconds)}"
        c = self.counts
        failed = c["failed"] + c["errors"]
        if self.exit_code != 0 and failed == 0:
            failed = 1  # the tier broke before its tests could report
        line = f"{name}: {c['passed']} passed, {failed} failed, {c['skipped']} skipped"
        if c.get("fault scenarios"):
            line += f" (fault matrix: {c['fault scenarios']} scenarios)"
        return line


def duration(seconds: float) -> str:
    """``7 s``, ``4 min 05 s``."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def junit_counts(path: Path) -> dict[str, int] | None:
    if not path.exists():
        return None
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {"tests": 0, "failed": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        total["tests"] += int(suite.get("tests", 0))
        total["failed"] += int(suite.get("failures", 0))
        total["errors"] += int(suite.get("errors", 0))
        total["skipped"] += int(suite.get("skipped", 0))
    total["passed"] = total["tests"] - total["failed"] - total["errors"] - total["skipped"]
    # What a tier reports of itself with record_property, summed over its tests.
    for prop in root.iter("property"):
        if prop.get("name") == "fault scenarios":
            total["fault scenarios"] = total.get("fault scenarios", 0) + int(prop.get("value", 0))
    return total


@dataclass
class Tier:
    """A tier's make target, started now; its output goes to ``log`` when one is given."""

    target: str
    log: Path | None = None

    def __post_init__(self) -> None:
        self.junit.unlink(missing_ok=True)
        self.started = time.monotonic()
        output = None if self.log is None else self.log.open("w")
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", self.target], stdout=output, stderr=output
        )
        if output is not None:
            output.close()  # the child holds its own copy
        # Waited for at once, so that a tier's duration ends when it does, not when it is read.
        self._waiting = threading.Thread(target=self._wait, daemon=True)
        self._waiting.start()

    def _wait(self) -> None:
        # wait4, not Popen.wait: it also reports the processor time of the tier's whole process
        # tree (every descendant the tier waited for), which shows where the processors go.
        _, status, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = os.waitstatus_to_exitcode(status)
        self.exit_code = self.process.returncode
        self.seconds = time.monotonic() - self.started
        self.cpu_seconds = usage.ru_utime + usage.ru_stime

    @property
    def junit(self) -> Path:
        return BUILD / f"junit-{self.target.removeprefix('test-')}.xml"

    def result(self) -> TierResult:
        self._waiting.join()
        code, seconds = self.exit_code, self.seconds
        if self.log is not None:
            print(f"==> make {self.target} (ran alongside; its output, {self.log})", flush=True)
            print(self.log.read_text(errors="replace"), flush=True)
        counts = junit_counts(self.junit) if self.target.startswith("test-") else None
        if self.target.startswith("test-") and counts is None:
            counts = {"tests": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0}
            code = code or 1  # a test tier that wrote no report did not run
        return TierResult(self.target, code, seconds, self.cpu_seconds, counts)


def run_in_turn(target: str) -> TierResult:
    print(f"==> make {target}", flush=True)
    return Tier(target).result()


def main(arguments: list[str]) -> int:
    BUILD.mkdir(exist_ok=True)
    in_turn, alongside = _split(arguments, "--alongside")
    started = time.monotonic()
    running = []
    for target in alongside:
        print(f"==> make {target}, alongside the others (output: .build/{target}.log)", flush=True)
        running.append(Tier(target, log=BUILD / f"{target}.log"))
    results = [run_in_turn(target) for target in in_turn]
    results += [tier.result() for tier in running]
    print("\n==> durations")
    for result in results:
        name, cpu = result.target.removeprefix("test-"), duration(result.cpu_seconds)
        print(f"{name:<10} {duration(result.seconds):<14} processor time {cpu}")
    label = "total" if not alongside else f"total ({', '.join(alongside)} alongside)"
    print(f"{label:<10} {duration(time.monotonic() - started)}")
    print("\n==> summary")
    for result in results:
        print(result.line())
    return 0 if all(r.ok for r in results) else 1


def _split(arguments: list[str], marker: str) -> tuple[list[str], list[str]]:
    """The arguments before ``marker`` and those after it."""
    if marker not in arguments:
        return arguments, []
    at = arguments.index(marker)
    return arguments[:at], arguments[at + 1 :]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
