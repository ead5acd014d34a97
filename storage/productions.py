"""Workspaces, productions and who holds which role in them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.setup import ProductionSetup
from storage.models import Member, Production, Role, Workspace


def get_or_create_workspace(session: Session, *, team_id: str, now: datetime) -> Workspace:
    workspace = session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    if workspace is None:
        workspace = Workspace(team_id=team_id, created_at=now)
        session.add(workspace)
        session.flush()
    return workspace


def get_production(session: Session, *, production_id: int) -> Production | None:
    return session.get(Production, production_id)


def team_of(session: Session, production_id: int) -> str:
    """The team id of the production's workspace, for a row made by the production's id (the
    session's copy of the production when it holds one: usually no query)."""
    production = session.get(Production, production_id)
    if production is None:
        raise LookupError(f"no production {production_id}")
    return production.team_id


def find_production(session: Session, *, team_id: str, name: str) -> Production | None:
    return session.scalar(
        select(Production).where(Production.team_id == team_id, Production.name == name.strip())
    )


def find_production_anywhere(session: Session, *, name: str) -> list[Production]:
    """Productions called `name` in any workspace (the CLI has no workspace of its own)."""
    return list(session.scalars(select(Production).where(Production.name == name.strip())))


def productions_of(
    session: Session, *, team_id: str, user_id: str, roles: Iterable[Role] | None = None
) -> list[Production]:
    """Productions in which `user_id` holds any of `roles` (any role when None), by name."""
    query = (
        select(Production)
        .join(Member, Member.production_id == Production.id)
        .where(Member.team_id == team_id, Member.slack_user_id == user_id)
        .distinct()
        .order_by(Production.name)
    )
    if roles is not None:
        query = query.where(Member.role.in_(list(roles)))
    return list(session.scalars(query))


def memberships(session: Session, *, team_id: str, user_id: str) -> list[tuple[str, Role]]:
    """(production name, role) for every role the user holds in the workspace, in one query."""
    rows = session.execute(
        select(Production.name, Member.role)
        .join(Member, Member.production_id == Production.id)
        .where(Member.team_id == team_id, Member.slack_user_id == user_id)
        .order_by(Production.name)
    )
    return [(name, role) for name, role in rows]


def roles_of(session: Session, *, production_id: int, user_id: str) -> set[Role]:
    return set(
        session.scalars(
            select(Member.role).where(
                Member.production_id == production_id, Member.slack_user_id == user_id
            )
        )
    )


def members_with(session: Session, *, production_id: int, role: Role) -> list[str]:
    return list(
        session.scalars(
            select(Member.slack_user_id)
            .where(Member.production_id == production_id, Member.role == role)
            .order_by(Member.id)
        )
    )


def set_members(
    session: Session, *, production_id: int, role: Role, user_ids: Iterable[str]
) -> None:
    """Make exactly `user_ids` hold `role` in the production."""
    wanted = list(dict.fromkeys(user_ids))
    session.execute(
        delete(Member).where(
            Member.production_id == production_id,
            Member.role == role,
            Member.slack_user_id.not_in(wanted),
        )
    )
    have = set(members_with(session, production_id=production_id, role=role))
    team_id = team_of(session, production_id)
    for user_id in wanted:
        if user_id not in have:
            session.add(
                Member(
                    production_id=production_id, team_id=team_id, slack_user_id=user_id, role=role
                )
            )
    session.flush()


def name_taken(session: Session, *, team_id: str, name: str, except_id: int | None) -> bool:
    existing = find_production(session, team_id=team_id, name=name)
    return existing is not None and existing.id != except_id


def save_setup(
    session: Session,
    *,
    team_id: str,
    production: Production | None,
    setup: ProductionSetup,
    now: datetime,
) -> Production:
    """Create or update a production from a checked setup form, with its people."""
    if production is None:
        workspace = get_or_create_workspace(session, team_id=team_id, now=now)
        production = Production(
            workspace_id=workspace.id, team_id=workspace.team_id, created_at=now
        )
        session.add(production)
    production.name = setup.name
    production.time_zone = setup.zone
    production.ad_channel_id = setup.ad_channel
    production.lead_minutes = int(setup.lead.total_seconds() // 60)
    production.nudge_minutes = int(setup.nudge.total_seconds() // 60)
    production.escalation_minutes = int(setup.escalation.total_seconds() // 60)
    production.default_call = setup.default_call
    production.intimacy_category = setup.intimacy_category
    production.date_order = setup.date_order
    production.move_tolerance_minutes = int(setup.tolerance.total_seconds() // 60)
    production.department_channels = list(setup.departments)
    production.quiet_minutes = int(setup.quiet.total_seconds() // 60)
    production.reminder_offsets = setup.reminders
    production.reminders_by_dm = setup.reminders_by_dm
    production.digest_at = setup.digest_at
    production.closed_set_text = setup.closed_set_text
    production.checkin_window_minutes = int(setup.checkin_window.total_seconds() // 60)
    production.closure_after_minutes = int(setup.closure_after.total_seconds() // 60)
    production.retention_days = setup.retention_days
    production.updated_at = now
    session.flush()
    for role, users in (
        (Role.COORDINATOR, setup.coordinators),
        (Role.AD, setup.ads),
        (Role.ADMIN, setup.admins),
    ):
        set_members(session, production_id=production.id, role=role, user_ids=users)
    return production
