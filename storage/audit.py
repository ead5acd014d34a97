"""The audit log: every read of sensitive data and every change or post is recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import AuditEvent


def record(
    session: Session,
    *,
    at: datetime,
    team_id: str,
    actor: str,
    action: str,
    production_id: int | None = None,
    subject: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit row. `detail` holds ids and counts only, never answers or content."""
    session.add(
        AuditEvent(
            at=at,
            team_id=team_id,
            actor=actor,
            action=action,
            production_id=production_id,
            subject=subject,
            detail=detail or {},
        )
    )
