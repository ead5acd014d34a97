"""Saving the production setup modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from sqlalchemy.orm import Session

from bot.access import MANAGERS, Refusal, require
from bot.deps import Deps
from bot.ids import SetupView
from bot.meta import unpack_int
from bot.roles import coordinator_change_refused, saved_setup, snapshot
from bot.setup import SetupForm, check_setup
from handlers import view_state
from handlers.blocks.setup_modal import setup_done_modal
from handlers.defer import after
from handlers.home_tab import refresh_production
from handlers.vouching import vouch_if_workspace_admin
from storage import audit, deliveries
from storage.db import session_scope
from storage.productions import get_production, name_taken, save_setup


def _form(view: dict[str, Any]) -> SetupForm:
    return SetupForm(
        name=view_state.text(view, SetupView.NAME),
        zone=view_state.text(view, SetupView.ZONE),
        coordinators=view_state.users(view, SetupView.COORDINATORS),
        ads=view_state.users(view, SetupView.ADS),
        admins=view_state.users(view, SetupView.ADMINS),
        ad_channel=view_state.conversation(view, SetupView.AD_CHANNEL),
        lead=view_state.text(view, SetupView.LEAD),
        nudge=view_state.text(view, SetupView.NUDGE),
        escalation=view_state.text(view, SetupView.ESCALATION),
        default_call=view_state.time_of_day(view, SetupView.CALL),
        intimacy_category=view_state.text(view, SetupView.CATEGORY),
        tolerance=view_state.text(view, SetupView.TOLERANCE),
        departments=tuple(view_state.conversations(view, SetupView.DEPARTMENTS)),
        quiet=view_state.text(view, SetupView.QUIET),
        reminders=view_state.text(view, SetupView.REMINDERS),
        reminders_by_dm=view_state.checked(view, SetupView.REMINDERS_BY_DM),
        digest_at=view_state.time_of_day(view, SetupView.DIGEST),
        closed_set_text=view_state.text(view, SetupView.CLOSED_SET_TEXT),
        checkin_window=view_state.text(view, SetupView.CHECKIN_WINDOW),
        closure_after=view_state.text(view, SetupView.CLOSURE_AFTER),
        date_order=view_state.selected(view, SetupView.DATE_ORDER) or "ask",
    )


def _save(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], db_session: Session, deps: Deps
) -> int | None:
    user_id, team_id = body["user"]["id"], body["user"]["team_id"]
    production_id = unpack_int(view.get("private_metadata", ""), "setup", "p")
    production = get_production(db_session, production_id=production_id) if production_id else None
    if production_id and production is None:
        ack(response_action="errors", errors={SetupView.NAME: "This production no longer exists."})
        return None
    if production is not None:
        try:
            require(
                db_session,
                production=production,
                user_id=user_id,
                roles=MANAGERS,
                doing="change its setup",
            )
        except Refusal as refusal:
            ack(response_action="errors", errors={SetupView.NAME: str(refusal)})
            return None
    form = _form(view)
    if production is not None and (
        refused := coordinator_change_refused(
            db_session, production=production, user_id=user_id, coordinators=form.coordinators
        )
    ):
        ack(response_action="errors", errors={SetupView.COORDINATORS: refused})
        return None
    if production is None and user_id not in form.coordinators:
        # Whoever sets a production up is its first coordinator.
        form = SetupForm(**{**form.__dict__, "coordinators": (user_id, *form.coordinators)})
    setup, errors = check_setup(form)
    if setup is not None and name_taken(
        db_session,
        team_id=team_id,
        name=setup.name,
        except_id=production.id if production else None,
    ):
        errors = {SetupView.NAME: f"There is already a production called '{setup.name}'."}
    if setup is None or errors:
        ack(response_action="errors", errors=errors)
        return None
    now = deps.clock.now()
    before = snapshot(db_session, production.id if production else None)
    saved = save_setup(db_session, team_id=team_id, production=production, setup=setup, now=now)
    audit.record(
        db_session,
        at=now,
        team_id=team_id,
        actor=user_id,
        action="production.create" if production is None else "production.update",
        production_id=saved.id,
    )
    saved_setup(  # people told of their new roles; vouched for, or held
        db_session, production=saved, created=production is None, before=before, by=user_id, now=now
    )
    # New lead times or coordinators move or re-address what is planned.
    deliveries.sync_production(db_session, saved, now=now)
    ack(response_action="update", view=setup_done_modal(saved.name, created=production is None))
    return saved.id


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    with session_scope(deps.session_factory) as db_session:
        production_id = _save(ack, body, view, db_session, deps)
        team_id = body["user"].get("team_id") or body.get("team", {}).get("id", "")
    if production_id is not None:
        deps.worker.wake()
        payload = {"production_id": production_id, "team_id": team_id}
        after(deps, refresh_production, payload)
        after(deps, vouch_if_workspace_admin, {**payload, "user_id": body["user"]["id"]})
