"""Encryption at rest for everything a performer answers or writes, and planned content.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with rotation: several keys may be
configured, newest first; the newest encrypts and every key decrypts, so an old key can be
retired after `closedset db reencrypt`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.config import ConfigError, Settings, validate_key


class Cipher:
    """Encrypts text to opaque bytes and back."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            # Never include the token or any text: say only what to check.
            raise DecryptionError(
                "stored data could not be decrypted with the configured keys "
                "(is an old key missing from CLOSEDSET_ENCRYPTION_KEY?)"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt `token` under the newest key."""
        return self._fernet.rotate(token)


class DecryptionError(Exception):
    pass


def generate_key() -> str:
    return Fernet.generate_key().decode()


def key_file_for(database: Path) -> Path:
    return database.with_name(database.name + ".key")


def load_cipher(settings: Settings, *, create: bool = True) -> Cipher:
    """The cipher for `settings`: the configured keys, or for SQLite a key file beside the
    database (created on first run with owner-only permissions)."""
    if settings.encryption_keys:
        return Cipher(settings.encryption_keys)
    database = settings.sqlite_path()
    if database is None:
        raise ConfigError(
            "CLOSEDSET_ENCRYPTION_KEY is not set: PostgreSQL deployments need an explicit key; "
            "generate one with `closedset keygen` and set it on every instance."
        )
    path = key_file_for(database)
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise ConfigError(
                f"The key file {path} is readable by others: run `chmod 600 {path}` and start "
                "again."
            )
        key = path.read_text().strip()
        if not validate_key(key):
            raise ConfigError(f"The key file {path} is damaged; restore it from your backup.")
        return Cipher([key])
    if not create:
        raise ConfigError(f"No encryption key: set CLOSEDSET_ENCRYPTION_KEY or restore {path}.")
    key = generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    print(
        f"closedset: created encryption key file {path} (readable by you only). Back it up "
        "with the database: without it the stored answers cannot be read.",
        file=sys.stderr,
    )
    return Cipher([key])
