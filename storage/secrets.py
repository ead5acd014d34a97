"""Sealing and opening encrypted columns with the cipher the session was made with."""

from __future__ import annotations

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
