"""Secrets Manager finds a secret by its name or ARN without scanning every secret.

moto finds a secret by iterating over every secret: each call costs time in proportion to the
number of secrets, and a secret created by one thread while another iterates fails that other
call ("dictionary changed size during iteration"); AWS does neither. moto keys its store by
name, and a full ARN is the name plus a 6-character suffix, so the patch looks both up directly;
a name that is not a key is no secret's name. Anything else (a partial ARN) still goes through
moto's own lookup.
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.secretsmanager.models import SecretsStore

CHECKED_AGAINST = ("moto", "5.2.5")


def _lookup(store: SecretsStore, key: str) -> Any:
    candidates = [key]
    if ":secret:" in key:
        name = key.split(":secret:", 1)[1]
        candidates = [name.rsplit("-", 1)[0], name]
    for candidate in candidates:
        secret = dict.get(store, candidate)
        if secret is not None and key in (secret.arn, secret.name):
            return secret
    return None


def _plain_name(key: object) -> bool:
    return isinstance(key, str) and not key.startswith("arn:")


def patch(monkeypatch: pytest.MonkeyPatch) -> None:
    scan_getitem, scan_contains, scan_get = (
        SecretsStore.__getitem__,
        SecretsStore.__contains__,
        SecretsStore.get,
    )

    def getitem(store: SecretsStore, key: str) -> Any:
        found = _lookup(store, key)
        if found is None and _plain_name(key):
            raise KeyError(key)
        return found if found is not None else scan_getitem(store, key)

    def contains(store: SecretsStore, key: object) -> bool:
        if isinstance(key, str) and _lookup(store, key) is not None:
            return True
        return False if _plain_name(key) else scan_contains(store, key)

    def get(store: SecretsStore, key: str) -> Any:
        found = _lookup(store, key)
        if found is None and _plain_name(key):
            return None
        return found if found is not None else scan_get(store, key)

    monkeypatch.setattr(SecretsStore, "__getitem__", getitem)
    monkeypatch.setattr(SecretsStore, "__contains__", contains)
    monkeypatch.setattr(SecretsStore, "get", get)
