"""Whether a production may ask its performers anything yet (the rule is `bot.roles`'s).

A production set up by someone nobody in the workspace vouches for is *held* until someone
does. Both facts are audit events, `production.held` and `production.vouched`: the log is
append-only, so neither can be edited away, and a production with neither (set up before the
rule, or straight in the database) is not held. (A `vouched_at` column of `production` would be
their natural home; the events serve until one is added.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEvent

HELD = "production.held"
VOUCHED = "production.vouched"


def is_held(session: Session, *, production_id: int) -> bool:
    found = set(
        session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.production_id == production_id,
                AuditEvent.action.in_((HELD, VOUCHED)),
            )
            .distinct()
        )
    )
    return HELD in found and VOUCHED not in found
