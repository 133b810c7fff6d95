"""The run input: what an on-demand start may ask of a run (``{}`` on schedule).

``{"users": ["name", ...], "force": true, "dryRun": true}``, every key optional. Anything else
fails the run in ``plan`` with ``InvalidRunInput`` before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from credentials_rotator.model.errors import InvalidRunInput

RUN_INPUT_KEYS = ("users", "force", "dryRun")


@dataclass(frozen=True)
class RunInput:
    users: list[str] | None  # None: every user
    force: bool
    dry_run: bool


def parse_run_input(run_input: object) -> RunInput:
    if run_input is None:
        run_input = {}
    if not isinstance(run_input, dict):
        raise InvalidRunInput(
            'the run input must be a JSON object such as {} or {"users": ["name"], '
            '"force": true, "dryRun": true}'
        )
    unknown = sorted(set(run_input) - set(RUN_INPUT_KEYS))
    if unknown:
        raise InvalidRunInput(
            f"unknown key {unknown[0]!r} in the run input; allowed: {', '.join(RUN_INPUT_KEYS)}"
        )
    for flag in ("force", "dryRun"):
        if flag in run_input and not isinstance(run_input[flag], bool):
            raise InvalidRunInput(f"{flag!r} in the run input must be true or false")
    requested = run_input.get("users")
    if requested is not None:
        if not isinstance(requested, list) or not all(
            isinstance(name, str) and name for name in requested
        ):
            raise InvalidRunInput("'users' in the run input must be a list of user names")
        if not requested:
            raise InvalidRunInput("'users' in the run input must name at least one user")
        requested = list(dict.fromkeys(requested))
    return RunInput(
        requested, bool(run_input.get("force", False)), bool(run_input.get("dryRun", False))
    )
