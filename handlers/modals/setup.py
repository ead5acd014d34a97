"""The production setup modal: from `/closedset setup` and the Home tab."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import MANAGERS, Refusal, pick_production
from bot.durations import format_duration
from bot.meta import pack
from bot.setup import SetupForm
from handlers.blocks.setup_modal import setup_modal
from storage.models import Production, Role
from storage.productions import members_with, productions_of


def _form(session: Session, production: Production) -> SetupForm:
    def who(role: Role) -> tuple[str, ...]:
        return tuple(members_with(session, production_id=production.id, role=role))

    return SetupForm(
        name=production.name,
        zone=production.time_zone,
        coordinators=who(Role.COORDINATOR),
        ads=who(Role.AD),
        admins=who(Role.ADMIN),
        ad_channel=production.ad_channel_id,
        lead=format_duration_minutes(production.lead_minutes),
        nudge=format_duration_minutes(production.nudge_minutes),
        escalation=format_duration_minutes(production.escalation_minutes),
        default_call=production.default_call.strftime("%H:%M"),
        intimacy_category=production.intimacy_category or "",
        tolerance=format_duration_minutes(production.move_tolerance_minutes),
        departments=tuple(production.department_channels or ()),
        quiet=format_duration_minutes(production.quiet_minutes),
        reminders=production.reminder_offsets,
        reminders_by_dm=production.reminders_by_dm,
        digest_at=production.digest_at.strftime("%H:%M"),
        closed_set_text=production.closed_set_text,
        checkin_window=format_duration_minutes(production.checkin_window_minutes),
        closure_after=format_duration_minutes(production.closure_after_minutes),
        retention=str(production.retention_days),
        date_order=production.date_order or "ask",
    )


def format_duration_minutes(minutes: int) -> str:
    return format_duration(timedelta(minutes=minutes))


def _caller_zone(client: WebClient, user_id: str) -> str:
    try:
        return str(client.users_info(user=user_id)["user"].get("tz") or "")
    except Exception:  # the zone is only a default for the form: never fail setup over it
        return ""


def open_setup_modal(
    client: WebClient,
    *,
    trigger_id: str,
    session: Session,
    team_id: str,
    user_id: str,
    name: str | None,
    new: bool = False,
) -> None:
    """The setup of the production `name`s (or the caller's only one) for a coordinator or
    admin of it; an empty form for a new production when `new`, or when the caller manages
    none and names none."""
    managed = productions_of(session, team_id=team_id, user_id=user_id, roles=MANAGERS)
    creating = new or (not managed and name is None)
    if creating:
        member = productions_of(session, team_id=team_id, user_id=user_id)
        if not managed and member and not new:
            # A performer or AD typing `setup` most likely meant their production: say why not.
            raise Refusal(
                "Only a coordinator or admin can change a production's setup. To start a "
                "separate production of your own, use `/closedset setup new`."
            )
        form = SetupForm(zone=_caller_zone(client, user_id), coordinators=(user_id,))
        metadata = pack("setup", p=0)
    else:
        production = pick_production(
            session,
            team_id=team_id,
            user_id=user_id,
            roles=MANAGERS,
            name=name,
            doing="change a production's setup",
        )
        form = _form(session, production)
        metadata = pack("setup", p=production.id)
    client.views_open(
        trigger_id=trigger_id, view=setup_modal(form, metadata=metadata, creating=creating)
    )
