"""Sealing and opening encrypted columns with the cipher the session was made with."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot.crypto import Cipher


def cipher_of(session: Session) -> Cipher:
    cipher = session.info.get("cipher")
    if not isinstance(cipher, Cipher):
        raise RuntimeError("session was not made by storage.db.make_session_factory")
    return cipher


def seal(session: Session, text: str | None) -> bytes | None:
    return None if text is None else cipher_of(session).encrypt(text)


def unseal(session: Session, token: bytes | None) -> str | None:
    return None if token is None else cipher_of(session).decrypt(token)


STAMP_WIDTH = 6
"""Values sealed with a time are padded to this many characters, so every check-in answer
("good", "adjust", "pause") seals to the same length."""


def seal_stamped(session: Session, value: str, at: datetime) -> bytes:
    """`value` and the time it was given, sealed together: for answers whose time must not
    sit in plaintext beside who gave them (see `bot.checkins.record`)."""
    return cipher_of(session).encrypt(
        f"{value:<{STAMP_WIDTH}}@{at.astimezone(UTC).isoformat(timespec='microseconds')}"
    )


def open_stamped(session: Session, token: bytes) -> tuple[str, datetime | None]:
    """The value and its time from `seal_stamped` (None for a value sealed without one)."""
    value, _, at = cipher_of(session).decrypt(token).partition("@")
    return value.strip(), datetime.fromisoformat(at) if at else None


def opaque_key(session: Session, key: str) -> str:
    """`key` (an idempotency or delivery key naming people, rounds, answers) as HMAC-SHA256
    under the install's secret: unique and stable like the key, and says nothing at rest."""
    digest = hmac.new(_install_secret(session), key.encode("utf-8"), hashlib.sha256)
    return "h:" + digest.hexdigest()


def _install_secret(session: Session) -> bytes:
    from storage.db import insert_once
    from storage.models import InstallSecret

    row = session.get(InstallSecret, 1)
    if row is None:
        insert_once(session, InstallSecret, id=1, secret_ct=seal(session, secrets.token_hex(32)))
        row = session.get(InstallSecret, 1)
    assert row is not None
    return (unseal(session, row.secret_ct) or "").encode("ascii")


def reencrypt_all(session: Session) -> int:
    """Re-encrypt every sealed value under the newest key, so older keys can be retired.
    Returns how many values were rewritten."""
    from sqlalchemy import select

    from storage.models import ENCRYPTED_COLUMNS

    cipher = cipher_of(session)
    count = 0
    for model, columns in ENCRYPTED_COLUMNS:
        for row in session.scalars(select(model)).yield_per(200):
            for column in columns:
                token = getattr(row, column)
                if token is not None:
                    setattr(row, column, cipher.rotate(token))
                    count += 1
    session.flush()
    return count
