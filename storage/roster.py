"""The cast list of a production, and the performer role that follows from it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cast.resolve import Roster, RosterEntry
from storage.models import CastEntry, Role
from storage.productions import set_members


def roster_entries(session: Session, *, production_id: int) -> list[RosterEntry]:
    rows = session.scalars(
        select(CastEntry).where(CastEntry.production_id == production_id).order_by(CastEntry.id)
    )
    return [
        RosterEntry(
            cast_number=r.cast_number,
            character=r.character,
            performer_name=r.performer_name,
            slack_user_id=r.slack_user_id,
            slack_handle=r.slack_handle,
            email=r.email,
        )
        for r in rows
    ]


def roster(session: Session, *, production_id: int) -> Roster:
    return Roster(roster_entries(session, production_id=production_id))


def digest(entries: Sequence[RosterEntry]) -> str:
    return hashlib.sha256(repr(sorted(entries, key=lambda e: e.cast_number)).encode()).hexdigest()


@dataclass(frozen=True)
class CastChange:
    added: list[RosterEntry]
    changed: list[RosterEntry]
    removed: list[RosterEntry]
    unchanged: int

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def headline(self) -> str:
        if self.is_empty:
            return "No changes: the cast list already matches this file."
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged"
        )

    def lines(self) -> list[str]:
        def who(e: RosterEntry) -> str:
            return f"{e.cast_number}. {e.character or '(no character)'}: {e.performer_name}"

        return (
            [f"+ {who(e)}" for e in self.added]
            + [f"~ {who(e)}" for e in self.changed]
            + [f"- {who(e)} (removed from every scene)" for e in self.removed]
        )


def plan_cast_change(current: Sequence[RosterEntry], incoming: Sequence[RosterEntry]) -> CastChange:
    now = {e.cast_number: e for e in current}
    added, changed, unchanged = [], [], 0
    for entry in incoming:
        old = now.pop(entry.cast_number, None)
        if old is None:
            added.append(entry)
        elif old != entry:
            changed.append(entry)
        else:
            unchanged += 1
    return CastChange(added, changed, list(now.values()), unchanged)


def apply_roster(session: Session, *, production_id: int, entries: Sequence[RosterEntry]) -> None:
    """Make the cast list exactly `entries` (matched by cast number) and the performer role
    follow it."""
    rows = {
        r.cast_number: r
        for r in session.scalars(select(CastEntry).where(CastEntry.production_id == production_id))
    }
    for entry in entries:
        row = rows.pop(entry.cast_number, None)
        if row is None:
            row = CastEntry(production_id=production_id, cast_number=entry.cast_number)
            session.add(row)
        row.character = entry.character
        row.performer_name = entry.performer_name
        row.slack_user_id = entry.slack_user_id
        row.slack_handle = entry.slack_handle
        row.email = entry.email
    for row in rows.values():
        session.delete(row)
    session.flush()
    set_members(
        session,
        production_id=production_id,
        role=Role.PERFORMER,
        user_ids=[e.slack_user_id for e in entries],
    )
