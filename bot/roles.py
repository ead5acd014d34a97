"""Who is in a production, and who hears of it. No Slack here.

- **Coordinators name coordinators.** Only a coordinator of a production changes its list of
  coordinators; an admin may not make themselves or anyone else one
  (`coordinator_change_refused`). The one exception is a production with no coordinator left
  (the last one said "This isn't right"): its admins may name one, or it would be stuck.
- **Every change is told.** Whatever adds or removes a role — the setup form, a cast list
  applied, someone pressing "This isn't right" — is told by DM to every coordinator the
  production had when it happened, except whoever made it (to its admins when it had none)
  (`announce`). The notice names people and roles only.
- **Everyone added is told.** A person given a role by someone else gets a DM: which
  production, which role, who added them, and **This isn't right** (`dispute`), which takes
  those roles away at once and tells the coordinators. A performer keeps their line on the
  cast list without a Slack account, so they are never asked in Slack and the coordinator gets
  the to-do of a cast member not on Slack, to fix the cast list if the match was wrong.
- **A look-alike production asks nobody anything.** Anyone in a workspace can start a
  production with `/closedset setup new`, call it "Night Shift 2", list the real performers
  and read whatever they answer. So a production's performers are asked nothing in Slack
  (boundary checks, nudges, check-ins, closure questions), and their answers to it are
  refused, until someone the workspace already trusts has vouched for it
  (`storage.vouches`, the production's `held` column):
    * the first production of a workspace is vouched for by being first (whoever installed
      the app sets it up before anyone else knows it is there);
    * a production set up, or its setup later saved, by a coordinator of another production of
      the workspace that is vouched for, or by a workspace admin or owner in Slack, is vouched
      for (`vouch_at_setup`; the Slack check is a job, `handlers.vouching`);
    * any other is held, and its coordinators are told once why and how to have it vouched
      for: add such a person as an admin and have them save its setup.
  It is who sets a production up or saves it that counts, never its coordinator list: that
  list is the creator's to write, so naming a trusted coordinator vouches for nothing (it
  tells them, by the DM above). This is the smallest rule that needs no step from each
  performer and keeps every production a trusted coordinator starts working at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.access import ROLE_NAMES, Refusal
from storage import audit, deliveries
from storage.models import Delivery, DeliveryKind, Member, Production, Role
from storage.productions import members_with, productions_of
from storage.roster import apply_roster, roster_entries
from storage.scoped import owned
from storage.vouches import HELD, VOUCHED, hold, is_held, mark_vouched

NOT_VOUCHED = (
    "Nobody in this workspace has vouched for this production yet, so it asks you nothing. "
    "If you do not know it, press This isn't right on the message that said you were added."
)
NO_NOTES_YET = (
    "This production is waiting to be confirmed by someone your workspace trusts, so it takes "
    "no notes yet: nothing you write would reach anyone. If you do not know it, press This "
    "isn't right on the message that said you were added."
)
Snapshot = frozenset[tuple[str, Role]]
LISTED = 20
"""People named in one notice to the coordinators; the rest are counted."""


def snapshot(session: Session, production_id: int | None) -> Snapshot:
    """Every (person, role) of the production (none for one not yet saved)."""
    if production_id is None:
        return frozenset()
    rows = session.execute(
        select(Member.slack_user_id, Member.role).where(Member.production_id == production_id)
    )
    return frozenset((user, role) for user, role in rows)


def coordinator_change_refused(
    session: Session, *, production: Production, user_id: str, coordinators: tuple[str, ...]
) -> str | None:
    """Why `user_id` may not make `coordinators` the production's coordinators, if not."""
    current = set(members_with(session, production_id=production.id, role=Role.COORDINATOR))
    if set(coordinators) == current or not current or user_id in current:
        return None
    return "Only a coordinator can change who coordinates this production."


def announce(
    session: Session,
    *,
    production: Production,
    before: Snapshot,
    by: str,
    now: datetime,
    disputed: bool = False,
) -> None:
    """Tell what changed since `before`: each person added, and the coordinators."""
    after = snapshot(session, production.id)
    added, removed = sorted(after - before), sorted(before - after)
    if not added and not removed:
        return
    change = repr((added, removed)).encode()
    stamp = f"{production.id}:{int(now.timestamp())}:{hashlib.sha256(change).hexdigest()[:12]}"
    given: dict[str, list[str]] = {}
    for user, role in added:
        if user != by:
            given.setdefault(user, []).append(role.value)
    for user, roles in given.items():
        deliveries.send_now(
            session,
            key=f"role_added:{stamp}:{user}",
            production_id=production.id,
            kind=DeliveryKind.ROLE_ADDED,
            recipient=user,
            now=now,
            detail={"by": by, "roles": roles},
        )
    listed = [[user, role.value, "+"] for user, role in added] + [
        [user, role.value, "-"] for user, role in removed
    ]
    detail = {"by": by, "people": listed[:LISTED], "more": max(0, len(listed) - LISTED)}
    if disputed:
        detail["disputed"] = 1
    for person in _told(before | after, before, by):
        deliveries.send_now(
            session,
            key=f"role_change:{stamp}:{person}",
            production_id=production.id,
            kind=DeliveryKind.ROLE_CHANGE,
            recipient=person,
            now=now,
            detail=detail,
        )
    audit.record(
        session,
        at=now,
        team_id=production.workspace.team_id,
        actor=by,
        action="roles.disputed" if disputed else "roles.change",
        production_id=production.id,
        detail={"added": len(added), "removed": len(removed)},
    )


def _told(everyone: Snapshot, before: Snapshot, by: str) -> list[str]:
    """The coordinators the production had, or else those it has, or else its admins; none
    for a production just set up (everyone in it was just told they were added)."""
    if not before:
        return []
    for group in (
        {u for u, r in before if r is Role.COORDINATOR},
        {u for u, r in everyone if r is Role.COORDINATOR},
        {u for u, r in everyone if r is Role.ADMIN},
    ):
        if group - {by}:
            return sorted(group - {by})
    return []


def dispute(
    session: Session, *, delivery_id: int, user_id: str, team_id: str, now: datetime
) -> tuple[Production, list[Role]]:
    """ "This isn't right" on the DM that told `user_id` they were added: the roles it named
    that they still hold are taken away, and the coordinators told. Returns the roles taken."""
    row = owned(session, Delivery, delivery_id, team_id=team_id)
    production = session.get(Production, row.production_id) if row is not None else None
    if (
        row is None
        or production is None
        or row.kind is not DeliveryKind.ROLE_ADDED
        or row.recipient != user_id
    ):
        raise Refusal("This message is not addressed to you.")
    before = snapshot(session, production.id)
    named = {Role(r) for r in row.detail.get("roles", ())}
    taken = sorted(r for u, r in before if u == user_id and r in named)
    if not taken:
        return production, []
    session.execute(
        delete(Member).where(
            Member.production_id == production.id,
            Member.slack_user_id == user_id,
            Member.role.in_([r for r in taken if r is not Role.PERFORMER]),
        )
    )
    if Role.PERFORMER in taken:
        entries = [
            replace(e, slack_user_id=None) if e.slack_user_id == user_id else e
            for e in roster_entries(session, production_id=production.id)
        ]
        apply_roster(session, production_id=production.id, entries=entries)
    session.flush()
    announce(session, production=production, before=before, by=user_id, now=now, disputed=True)
    deliveries.sync_production(session, production, now=now)  # what they were to get is off
    return production, taken


def vouch_at_setup(
    session: Session, *, production: Production, created: bool, by: str, now: datetime
) -> bool:
    """Vouch for the production if `by`, who just saved its setup, may; on creation, hold it
    otherwise and tell its coordinators. Returns whether it is held now."""
    team_id = production.workspace.team_id
    first = created and _productions_in(session, production.workspace_id) == 1
    if first or _trusted(session, team_id=team_id, user_id=by, production_id=production.id):
        if created or is_held(session, production_id=production.id):
            vouch(
                session,
                production=production,
                by=by,
                now=now,
                why="first" if first else "coordinator",
            )
        return False
    if not created:
        return is_held(session, production_id=production.id)
    hold(production)
    audit.record(
        session, at=now, team_id=team_id, actor=by, action=HELD, production_id=production.id
    )
    deliveries.tell_coordinators(
        session,
        key=f"held:{production.id}",
        production_id=production.id,
        kind=DeliveryKind.HELD,
        now=now,
    )
    return True


def saved_setup(
    session: Session,
    *,
    production: Production,
    created: bool,
    before: Snapshot,
    by: str,
    now: datetime,
) -> None:
    """After the setup form was saved by `by`: the people told of what changed, and the
    production vouched for or held (before its messages are planned)."""
    announce(session, production=production, before=before, by=by, now=now)
    vouch_at_setup(session, production=production, created=created, by=by, now=now)


def vouch(session: Session, *, production: Production, by: str, now: datetime, why: str) -> None:
    """Record that `by` vouched for the production; if it was held, its coordinators hear
    that its performers are asked from now on (the caller re-plans its messages)."""
    if is_held(session, production_id=production.id):
        deliveries.tell_coordinators(
            session,
            key=f"vouched:{production.id}",
            production_id=production.id,
            kind=DeliveryKind.HELD,
            now=now,
            detail={"vouched_by": by},
        )
    mark_vouched(production, by=by, now=now)
    audit.record(
        session,
        at=now,
        team_id=production.workspace.team_id,
        actor=by,
        action=VOUCHED,
        production_id=production.id,
        detail={"why": why},
    )


def _productions_in(session: Session, workspace_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Production)
            .where(Production.workspace_id == workspace_id)
        )
        or 0
    )


def _trusted(session: Session, *, team_id: str, user_id: str, production_id: int) -> bool:
    """A coordinator of another production of the workspace that is vouched for."""
    return any(
        other.id != production_id and not is_held(session, production_id=other.id)
        for other in productions_of(
            session, team_id=team_id, user_id=user_id, roles=(Role.COORDINATOR,)
        )
    )


def refuse_if_held(session: Session, *, production_id: int, why: str = NOT_VOUCHED) -> None:
    """Nothing goes from a performer to a held production: a look-alike must not collect
    notes or answers (`why` says so to the performer)."""
    if is_held(session, production_id=production_id):
        raise Refusal(why)


def role_names(roles: list[str]) -> str:
    """`["ad", "admin"]` → "assistant director and admin"."""
    names = [ROLE_NAMES[Role(r)] for r in roles]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
