"""The cast list of a production, and the performer role that follows from it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.cast.resolve import Roster, RosterEntry, number_key, unlisted_order
from storage.models import CastEntry, Role, Scene
from storage.productions import set_members, team_of


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
            real_name=r.slack_real_name,
            display_name=r.slack_display_name,
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
            offline = "" if e.slack_user_id else " (not on Slack: never asked in Slack)"
            return (
                f"{e.cast_number}. {e.character or '(no character)'}: {e.performer_name}{offline}"
            )

        return (
            [f"+ {who(e)}" for e in self.added]
            + [f"~ {who(e)}" for e in self.changed]
            + [
                f"- {who(e)} (their scenes will show cast {e.cast_number} as not on the cast list)"
                for e in self.removed
            ]
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
    follow it.

    Nobody drops out of a scene in silence: a cast number taken off the list stays in its
    scenes as not on the cast list (`Scene.unlisted_cast`, a coordinator's to-do when the scene
    is intimate), and one the schedule named before it was on the list joins its scenes now.
    """
    rows = {
        r.cast_number: r
        for r in session.scalars(select(CastEntry).where(CastEntry.production_id == production_id))
    }
    added: dict[str, CastEntry] = {}
    team_id = team_of(session, production_id)
    for entry in entries:
        row = rows.pop(entry.cast_number, None)
        if row is None:
            row = CastEntry(
                production_id=production_id, team_id=team_id, cast_number=entry.cast_number
            )
            session.add(row)
            added[number_key(entry.cast_number)] = row
        row.character = entry.character
        row.performer_name = entry.performer_name
        row.slack_user_id = entry.slack_user_id
        row.slack_handle = entry.slack_handle
        row.email = entry.email
        row.slack_real_name = entry.real_name
        row.slack_display_name = entry.display_name
    session.flush()
    gone = {row.id: row.cast_number for row in rows.values()}
    scenes = session.scalars(
        select(Scene).where(Scene.production_id == production_id).options(selectinload(Scene.cast))
    )
    for scene in scenes:
        dropped = [gone[e.id] for e in scene.cast if e.id in gone]
        joining = [added[n] for n in scene.unlisted_cast if n in added]
        if not dropped and not joining:
            continue
        scene.cast = [e for e in scene.cast if e.id not in gone] + joining
        kept = [n for n in scene.unlisted_cast if n not in added]
        scene.unlisted_cast = sorted({*kept, *(number_key(n) for n in dropped)}, key=unlisted_order)
    for row in rows.values():
        session.delete(row)
    session.flush()
    set_members(
        session,
        production_id=production_id,
        role=Role.PERFORMER,
        user_ids=[e.slack_user_id for e in entries if e.slack_user_id],
    )
