"""The harness's secret watch finds every watched secret wherever it sits in a text: alone,
inside a longer run of the same characters (a base64 body), at either end, more than once."""

from __future__ import annotations

import base64
import secrets
import string

from testkit.checks.secret_watch import SECRET_LENGTH, SecretWatch

ALPHABET = string.ascii_letters + string.digits + "/+"


def secret() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))


def test_a_secret_is_found_alone_inside_a_longer_run_and_at_either_end() -> None:
    watch, first, second, unseen = SecretWatch(), secret(), secret(), secret()
    for value in (first, second, unseen):
        watch.add(value)

    assert watch.leaks_in(f'{{"key": "{first}"}}') == 1
    assert watch.leaks_in(base64.b64encode(b"\x00" * 30).decode() + first + "AAAA") == 1
    assert watch.leaks_in(first + " " + second) == 2
    assert watch.leaks_in(f"{first}{second}{first}") == 2
    assert watch.leaks_in(first[:-1] + " " + first[1:]) == 0
    assert watch.leaks_in("") == 0


def test_a_value_of_another_shape_is_still_found() -> None:
    """A watched value that is not a secret access key's shape (a token with ``-``) is searched
    for as it is."""
    watch = SecretWatch()
    watch.add("ghp-token-with-dashes")
    assert watch.leaks_in("header: ghp-token-with-dashes;") == 1
    assert watch.leaks_in("header: ghp-token;") == 0
