"""Encryption at rest for personal data, and keyed hashes for looking it up.

Values are sealed with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`). Lookups never
use plaintext: a contact address is found by HMAC-SHA256 under a key derived from the same secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)


class DataKeyError(Exception):
    """The data key is missing or malformed."""


class Keyring:
    def __init__(self, key: bytes | str):
        key = key.encode() if isinstance(key, str) else key
        try:
            raw = base64.urlsafe_b64decode(key)
            if len(raw) != 32:
                raise ValueError
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise DataKeyError("the data key must be a Fernet key: 32 url-safe base64-encoded bytes") from None
        self._lookup_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"lapor-gateway contact lookup"
        ).derive(raw)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise DataKeyError("stored personal data cannot be decrypted with this data key") from None

    def lookup_hash(self, kind: str, value: str) -> str:
        """Stable keyed hash of a normalised value, e.g. ('sms', '+62812…')."""
        message = f"{kind}\x00{value.strip().lower()}".encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()


_active: Keyring | None = None


def activate(keyring: Keyring) -> None:
    """Make `keyring` the one the encrypted column types use in this process."""
    global _active
    _active = keyring


def active() -> Keyring:
    if _active is None:
        raise DataKeyError("no data key is active; open the store first")
    return _active


def load_keyring(env_name: str, dev_key_file: Path, environ: dict[str, str] | None = None) -> Keyring:
    """The key from the environment, or a development key kept (0600) under var/."""
    environ = os.environ if environ is None else environ
    key = environ.get(env_name, "").strip()
    if key:
        return Keyring(key)
    if dev_key_file.exists():
        return Keyring(dev_key_file.read_text().strip())
    dev_key_file.parent.mkdir(parents=True, exist_ok=True)
    new_key = Fernet.generate_key()
    fd = os.open(dev_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(new_key + b"\n")
    log.warning("no %s set: generated a development data key in %s", env_name, dev_key_file)
    return Keyring(new_key)
