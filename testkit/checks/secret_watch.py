"""Every secret access key a test saw, and where any of them appears in a text."""

from __future__ import annotations

import re
import threading
from typing import Any

# What a secret access key is made of (AWS's and moto's alike) and how long it is.
SECRET_LENGTH = 40
SECRET_CHARACTERS = "A-Za-z0-9/+"
SECRET_SHAPE = re.compile(f"[{SECRET_CHARACTERS}]{{{SECRET_LENGTH}}}")
SECRET_RUNS = re.compile(f"[{SECRET_CHARACTERS}]{{{SECRET_LENGTH},}}")


class SecretWatch:
    """Every secret access key seen in a test, to prove none of them leaks anywhere."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        with self._lock:
            self._values.add(value)

    def add_created_key(self, parsed: dict[str, Any], **_: Any) -> None:
        """botocore ``after-call`` hook of CreateAccessKey (errors have no AccessKey)."""
        if "AccessKey" in parsed:
            self.add(parsed["AccessKey"]["SecretAccessKey"])

    def __len__(self) -> int:
        return len(self._values)

    def leaks_in(self, text: str) -> int:
        """How many watched secrets appear in ``text`` (the secrets themselves are never shown).

        A secret access key is 40 characters of ``SECRET_CHARACTERS``, so each one that appears
        lies inside a run of such characters at least as long: the 40-character windows of those
        runs are looked up, in one pass over the text however many secrets are watched. A value
        of another shape is searched for as it is."""
        with self._lock:
            values = set(self._values)
        found = set()
        for run in SECRET_RUNS.finditer(text):
            characters = run.group()
            for start in range(len(characters) - SECRET_LENGTH + 1):
                window = characters[start : start + SECRET_LENGTH]
                if window in values:
                    found.add(window)
        other_shapes = (value for value in values if not SECRET_SHAPE.fullmatch(value))
        return len(found) + sum(1 for value in other_shapes if value in text)
