"""Whether a production may ask its performers anything yet (the rule is `bot.roles`'s).

A production set up by someone nobody in the workspace vouches for is *held* until someone
does: `production.held`, with `vouched_at`/`vouched_by` once someone has. Columns, not audit
events, are the record (the retention purge may delete old events); each change is also an
audit event, `production.held` or `production.vouched`, for the trail. A production that was
never held (the first of its workspace, one set up by a trusted coordinator, or one set up
before the rule) is not held.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Production

HELD = "production.held"
VOUCHED = "production.vouched"


def is_held(session: Session, *, production_id: int) -> bool:
    return bool(session.scalar(select(Production.held).where(Production.id == production_id)))


def hold(production: Production) -> None:
    production.held = True


def mark_vouched(production: Production, *, by: str, now: datetime) -> None:
    production.held = False
    production.vouched_at = now
    production.vouched_by = by
