"""Erasing a workspace: when the app is uninstalled (or its bot token revoked), every row that
belongs to the workspace goes — productions and everything under them (people, scenes,
answers, notes, requests, planned messages, check-ins, imports, the audit trail), and the rows
kept by team id alone (audit events without a production, "told once" notices).

Deleted, not flagged: the database's cascades remove what hangs off a production (SQLite runs
with foreign keys on). What stays is nothing of the workspace: processed event ids (random
ids, nothing else) and dispatcher heartbeats (one per process).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import AuditEvent, DmNotice, Production, Workspace


@dataclass(frozen=True)
class Erased:
    productions: int
    audit_events: int


def erase_workspace(session: Session, *, team_id: str) -> Erased:
    workspace = session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    productions = 0
    if workspace is not None:
        productions = (
            session.scalar(
                select(func.count())
                .select_from(Production)
                .where(Production.workspace_id == workspace.id)
            )
            or 0
        )
        session.execute(delete(Production).where(Production.workspace_id == workspace.id))
        session.execute(delete(Workspace).where(Workspace.id == workspace.id))
    audit = session.execute(delete(AuditEvent).where(AuditEvent.team_id == team_id))
    session.execute(delete(DmNotice).where(DmNotice.team_id == team_id))
    session.expunge_all()
    return Erased(productions=productions, audit_events=int(getattr(audit, "rowcount", 0) or 0))
