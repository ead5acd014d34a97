"""Parsed files waiting for Apply (their content encrypted: schedules carry planned content)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.db import lock_row
from storage.models import ImportStatus, PendingImport
from storage.productions import team_of
from storage.scoped import owned
from storage.secrets import seal, unseal


def save_pending(
    session: Session,
    *,
    production_id: int,
    kind: str,
    payload: str,
    base_digest: str,
    requested_by: str,
    now: datetime,
) -> PendingImport:
    sealed = seal(session, payload)
    assert sealed is not None
    pending = PendingImport(
        production_id=production_id,
        team_id=team_of(session, production_id),
        kind=kind,
        requested_by=requested_by,
        payload_ct=sealed,
        base_digest=base_digest,
        status=ImportStatus.PENDING,
        created_at=now,
    )
    session.add(pending)
    session.flush()
    return pending


def claim_pending(session: Session, *, pending_id: int, team_id: str) -> PendingImport | None:
    """The pending import of workspace `team_id`, locked against a concurrent Apply/Cancel.
    Its lock comes first (`lock_row`): on SQLite a transaction that read before its first
    write cannot write once another one (the dispatcher recording a message sent) committed
    meanwhile. (The lock of another workspace's row, a no-op update, changes nothing.)"""
    lock_row(session, PendingImport.status, pending_id)
    return owned(session, PendingImport, pending_id, team_id=team_id, fresh=True)


def payload_of(session: Session, pending: PendingImport) -> str:
    text = unseal(session, pending.payload_ct)
    assert text is not None
    return text
