"""Buttons on the Home tab: paging, and the coordinator's shortcuts."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.access import Refusal
from bot.deps import Deps
from bot.ids import HomeAction
from bot.meta import unpack
from bot.worker import JobContext
from handlers.commands import checklist, request, setup
from handlers.defer import click_payload, later
from handlers.events.home import publish
from storage.db import session_scope
from storage.productions import get_production


def clicked(ack: Ack, action: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    # Some Home buttons open a modal: urgent, as their trigger expires in 3 seconds.
    payload = {**click_payload(action, body), "action_id": action.get("action_id", "")}
    later(ack, deps, run, payload, response_url=None, user_id=body["user"]["id"], urgent=True)


def run(job: JobContext, payload: dict[str, str]) -> None:
    ids = unpack(payload["value"], "home")
    if payload["action_id"] == HomeAction.PAGE:
        publish(
            job.client,
            job.services,
            payload["team_id"],
            [payload["user_id"]],
            page=int(ids["page"]),
        )
        return
    command = {
        "team_id": payload["team_id"],
        "user_id": payload["user_id"],
        "trigger_id": payload["trigger_id"],
    }
    with session_scope(job.services.session_factory) as session:
        production = get_production(session, production_id=int(ids["p"]))
        if production is None:
            raise Refusal("This production no longer exists.")
        shortcut = {
            HomeAction.REQUEST: (request.run, f"in {production.name}"),
            HomeAction.CHECKLIST: (checklist.run, f"in {production.name}"),
            HomeAction.SETUP: (setup.run, production.name),
        }[HomeAction(payload["action_id"])]
        shortcut[0](
            command=command,
            args=shortcut[1],
            client=job.client,
            db_session=session,
            services=job.services,
        )
