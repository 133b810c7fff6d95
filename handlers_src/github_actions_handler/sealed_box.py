"""GitHub's encryption of a secret value: a libsodium sealed box to the target's public key."""

from __future__ import annotations

import base64

from credentials_handler.errors import TargetRefused
from nacl.encoding import Base64Encoder
from nacl.exceptions import CryptoError
from nacl.public import PublicKey, SealedBox


def seal(public_key: str, value: str, whose: str) -> str:
    """``value`` sealed to ``public_key`` (base64, as GitHub gives it), in base64."""
    try:
        box = SealedBox(PublicKey(public_key.encode(), encoder=Base64Encoder))
    except (CryptoError, ValueError, TypeError) as exc:
        raise TargetRefused(f"the public key of {whose} is not a Curve25519 key") from exc
    return base64.b64encode(box.encrypt(value.encode())).decode()
