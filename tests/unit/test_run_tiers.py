"""`make test`'s tier runner (scripts/run_tiers.py): tiers in turn, a tier alongside them, the
durations and one line per tier with its counts; run on a Makefile of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from testkit.terraform import REPO

RUNNER = REPO / "scripts" / "run_tiers.py"
REPORT = """<testsuite tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}"/>"""
# test-unit waits for a file that test-e2e writes: it passes only when test-e2e started first and
# runs at the same time. lint keeps a processor busy for a second and a half, in a child process.
BUSY = "while __import__('time').process_time() < 1.5: pass"
MAKEFILE = f"""\
lint:
\t@{sys.executable} -c "{BUSY}"
\t@echo linted
test-unit:
\t@for i in $$(seq 200); do [ -f .build/e2e-started ] && break; sleep 0.02; done
\t@test -f .build/e2e-started
\t@echo '{REPORT.format(tests=3, failures=0, skipped=0)}' > .build/junit-unit.xml
test-e2e:
\t@mkdir -p .build && touch .build/e2e-started
\t@echo e2e-output-line
\t@echo '{REPORT.format(tests=2, failures=1, skipped=0)}' > .build/junit-e2e.xml
\t@exit 1
"""


def run_tiers(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "Makefile").write_text(MAKEFILE)
    command = [sys.executable, str(RUNNER), *arguments]
    return subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )


def test_given_a_tier_alongside_when_run_then_it_overlaps_the_others_and_is_reported(
    tmp_path: Path,
) -> None:
    result = run_tiers(tmp_path, "lint", "test-unit", "--alongside", "test-e2e")

    assert result.returncode == 1, result.stdout  # the e2e tier failed one test
    summary = result.stdout.split("==> summary\n")[1].splitlines()
    assert summary[0].startswith("lint: passed in ")
    assert summary[1:] == [
        "unit: 3 passed, 0 failed, 0 skipped",
        "e2e: 1 passed, 1 failed, 0 skipped",
    ]
    assert "e2e-output-line" in result.stdout  # its output, printed when it ended
    log = (tmp_path / ".build" / "test-e2e.log").read_text()
    assert log.splitlines()[0] == "e2e-output-line"
    durations = result.stdout.split("==> durations\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in durations] == ["lint", "unit", "e2e", "total"]
    # Each tier's processor time, its whole process tree's: lint's busy child counted.
    assert durations[0].endswith("processor time 2 s"), durations[0]
    assert all("processor time" in line for line in durations[:-1])
    assert "(test-e2e alongside)" in durations[-1]


def test_given_tiers_in_turn_when_one_has_no_report_then_it_counts_as_failed(
    tmp_path: Path,
) -> None:
    result = run_tiers(tmp_path, "lint", "test-faults")

    assert result.returncode == 1
    assert result.stdout.rstrip().splitlines()[-1] == "faults: 0 passed, 1 failed, 0 skipped"
