"""Saving the production setup modal: the listener checks the values (names, durations, time
zone); the job checks who may change what and that the name is free, then saves, and shows what
is next, or the form again saying what to change."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt import Ack

from bot.access import MANAGERS, Refusal, require
from bot.deps import Deps
from bot.ids import SetupView
from bot.meta import unpack_int
from bot.roles import coordinator_change_refused, saved_setup, snapshot
from bot.setup import ProductionSetup, SetupForm, check_setup
from bot.worker import JobContext
from handlers import view_state
from handlers.blocks.saving import with_problem
from handlers.blocks.setup_modal import setup_done_modal, setup_modal
from handlers.defer import Outcome, saving, shows_outcome
from handlers.home_tab import refresh_production
from handlers.vouching import vouch_if_workspace_admin
from storage import audit, deliveries
from storage.db import session_scope
from storage.models import Production
from storage.productions import name_taken, save_setup
from storage.scoped import owned

TITLE = "Production setup"


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
        retention=view_state.text(view, SetupView.RETENTION),
        date_order=view_state.selected(view, SetupView.DATE_ORDER) or "ask",
    )


def _checked(
    user_id: str, view: dict[str, Any]
) -> tuple[SetupForm, ProductionSetup | None, dict[str, str]]:
    """The form as `user_id` submitted it, and the setup it makes or an error per field (no
    database)."""
    form = _form(view)
    creating = not unpack_int(view.get("private_metadata", ""), "setup", "p")
    if creating and user_id not in form.coordinators:
        # Whoever sets a production up is its first coordinator.
        form = replace(form, coordinators=(user_id, *form.coordinators))
    setup, errors = check_setup(form)
    return form, setup, errors


def handle(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    _, setup, errors = _checked(body["user"]["id"], view)
    if setup is None or errors:
        ack(response_action="errors", errors=errors)
        return
    saving(ack, deps, save_setup_form, body, view, title=TITLE, field=SetupView.NAME)


@shows_outcome(TITLE)
def save_setup_form(job: JobContext, payload: dict[str, Any]) -> Outcome:
    user_id, team_id, view = payload["user_id"], payload["team_id"], payload["view"]
    form, setup, _ = _checked(user_id, view)
    if setup is None:
        raise Refusal("This form is out of date.")
    production_id = unpack_int(view["private_metadata"], "setup", "p")
    now = job.services.clock.now()
    with session_scope(job.services.session_factory) as session:
        production = owned(session, Production, production_id, team_id=team_id)
        if production_id and production is None:
            raise Refusal("This production no longer exists.")
        if production is not None:
            require(
                session,
                production=production,
                team_id=team_id,
                user_id=user_id,
                roles=MANAGERS,
                doing="change its setup",
            )
            refused = coordinator_change_refused(
                session, production=production, user_id=user_id, coordinators=form.coordinators
            )
            if refused:
                return Outcome(_again(view, f"Coordinators: {refused}"))
        if name_taken(
            session,
            team_id=team_id,
            name=setup.name,
            except_id=production.id if production else None,
        ):
            return Outcome(_again(view, f"There is already a production called '{setup.name}'."))
        before = snapshot(session, production.id if production else None)
        saved = save_setup(session, team_id=team_id, production=production, setup=setup, now=now)
        audit.record(
            session,
            at=now,
            team_id=team_id,
            actor=user_id,
            action="production.create" if production is None else "production.update",
            production_id=saved.id,
        )
        saved_setup(  # people told of their new roles; vouched for, or held
            session,
            production=saved,
            created=production is None,
            before=before,
            by=user_id,
            now=now,
        )
        # New lead times or coordinators move or re-address what is planned.
        deliveries.sync_production(session, saved, now=now)
        done = setup_done_modal(saved.name, created=production is None)
        follow = {"production_id": saved.id, "team_id": team_id}

    def then() -> None:
        job.wake()
        refresh_production(job, follow)
        vouch_if_workspace_admin(job, {**follow, "user_id": user_id})

    return Outcome(done, then)


def _again(view: dict[str, Any], problem: str) -> dict[str, Any]:
    """The setup form again, as it was submitted (a time left empty: its default), saying
    what to change."""
    metadata = view["private_metadata"]
    creating = not unpack_int(metadata, "setup", "p")
    form = _form(view)
    blank = SetupForm()
    form = replace(
        form,
        default_call=form.default_call or blank.default_call,
        digest_at=form.digest_at or blank.digest_at,
    )
    return with_problem(setup_modal(form, metadata=metadata, creating=creating), problem)
