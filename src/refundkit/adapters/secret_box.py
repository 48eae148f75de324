"""Secrets the service must read back (webhook signing secrets: Standard Webhooks signs with
the secret itself, so a hash would not do), stored encrypted.

The key is derived (HKDF-SHA256) from ``REFUNDKIT_SECRET_KEY``, a setting of at least 32
characters kept out of the database, so a copy of the database (a backup, a replica, a
leaked dump) holds no usable secret. Each value is sealed with AES-256-GCM under a fresh
nonce and bound to its row (the endpoint's id is the associated data), so a sealed value
moved to another row does not open. ``REFUNDKIT_SECRET_KEY_PREVIOUS`` opens what the key
before sealed while the secret key is rotated; every start seals again with the current
key. A sandbox started without a key uses a built-in one: its secrets are test data, which
any process opens (and a start with a real key seals again).
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from refundkit.domain.errors import Conflict, ValidationError

PREFIX = "sealed:v1:"
SANDBOX_KEY = "refundkit-sandbox-key-not-a-secret-0000"
MIN_KEY_LENGTH = 32
_INFO = b"refundkit webhook secrets v1"


def _derive(material: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        material.encode()
    )
    return AESGCM(key)


class SecretBox:
    def __init__(self, key: str | None, previous: str | None = None, *,
                 sandbox: bool = False) -> None:  # fmt: skip
        for name, value in (("REFUNDKIT_SECRET_KEY", key),
                            ("REFUNDKIT_SECRET_KEY_PREVIOUS", previous)):  # fmt: skip
            if value is not None and len(value) < MIN_KEY_LENGTH:
                raise ValidationError(f"{name} must be at least {MIN_KEY_LENGTH} characters "
                                      "(e.g. openssl rand -base64 32)")  # fmt: skip
        if key is None and sandbox:
            key = SANDBOX_KEY
        self._current = None if key is None else _derive(key)
        # What a sandbox sealed opens anywhere (its key is no secret): a database filled in
        # the sandbox stays readable, and a start with a real key seals it properly.
        self._keys = [_derive(k) for k in dict.fromkeys((key, previous, SANDBOX_KEY)) if k]

    @classmethod
    def from_env(cls, *, sandbox: bool) -> SecretBox:
        return cls(os.environ.get("REFUNDKIT_SECRET_KEY") or None,
                   os.environ.get("REFUNDKIT_SECRET_KEY_PREVIOUS") or None,
                   sandbox=sandbox)  # fmt: skip

    def seal(self, plain: str, context: str) -> str:
        if self._current is None:
            raise Conflict(
                "webhook endpoints need REFUNDKIT_SECRET_KEY (at least 32 characters): "
                "their signing secrets are stored encrypted with a key derived from it"
            )
        nonce = os.urandom(12)
        sealed = self._current.encrypt(nonce, plain.encode(), context.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, stored: str, context: str) -> str:
        """The plain value; a value stored before sealing existed is plain already."""
        if not stored.startswith(PREFIX):
            return stored
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
        for key in self._keys:
            try:
                return key.decrypt(raw[:12], raw[12:], context.encode()).decode()
            except InvalidTag:
                continue
        raise ValidationError(
            "REFUNDKIT_SECRET_KEY does not open the stored webhook secrets: start with the key "
            "that sealed them (or give it as REFUNDKIT_SECRET_KEY_PREVIOUS while rotating)"
        )

    def needs_sealing(self, stored: str, context: str) -> bool:
        """Whether a start should seal ``stored`` again: plain, or sealed by an older key."""
        if self._current is None:
            return False
        if not stored.startswith(PREFIX):
            return True
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
        try:
            self._current.decrypt(raw[:12], raw[12:], context.encode())
        except InvalidTag:
            return True
        return False
