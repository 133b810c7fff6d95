"""checkov on the module, examples and fixtures: no failed check, each skip with a reason."""

from __future__ import annotations

import json
import subprocess

from testkit.terraform import REPO


def test_checkov_finds_no_failed_check(checkov: str) -> None:
    result = subprocess.run(
        [checkov, "--config-file", ".checkov.yaml", "-d", ".", "--output", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    parsed = sum(report.get("summary", {}).get("resource_count", 0) for report in reports)
    assert parsed > 0, f"checkov scanned nothing:\n{result.stderr[-3000:]}"
    assert not failed, "\n".join(failed)
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_skipped_check_has_a_written_reason() -> None:
    lines = (REPO / ".checkov.yaml").read_text().splitlines()
    start = lines.index("skip-check:")
    skips = []
    for index in range(start + 1, len(lines)):
        line = lines[index].strip()
        if not line.startswith(("-", "#")):
            break
        if line.startswith("-"):
            skips.append(line)
            assert lines[index - 1].strip().startswith("#"), f"{line}: write its reason above it"
    assert skips, "no skip-check entries found"
