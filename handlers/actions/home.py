"""Buttons on the Home tab: paging, and the coordinator's shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack

from bot.access import Refusal
from bot.deps import Deps
from bot.ids import HomeAction
from bot.meta import unpack
from bot.worker import JobContext
from handlers.defer import click_payload, later
from handlers.home_tab import publish
from handlers.modals.checklist import open_checklist_modal
from handlers.modals.request import open_new_request
from handlers.modals.setup import open_setup_modal
from storage.db import session_scope
from storage.models import Production
from storage.scoped import owned


def clicked(ack: Ack, action: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    # Some Home buttons open a modal: urgent, as their trigger expires in 3 seconds.
    payload = {**click_payload(action, body), "action_id": action.get("action_id", "")}
    later(ack, deps, run, payload, response_url=None, user_id=body["user"]["id"], urgent=True)


def run(job: JobContext, payload: dict[str, str]) -> None:
    ids = unpack(payload["value"], "home")
    action = HomeAction(payload["action_id"])
    if action is HomeAction.PAGE:
        publish(
            job.client,
            job.services,
            payload["team_id"],
            [payload["user_id"]],
            page=int(ids["page"]),
        )
        return
    with session_scope(job.services.session_factory) as session:
        production = owned(session, Production, ids.get("p"), team_id=payload["team_id"])
        if production is None:
            raise Refusal("This production no longer exists.")
        openers: dict[HomeAction, Callable[..., None]] = {
            HomeAction.REQUEST: partial(open_new_request, now=job.services.clock.now()),
            HomeAction.CHECKLIST: open_checklist_modal,
            HomeAction.SETUP: open_setup_modal,
        }
        openers[action](
            job.client,
            trigger_id=payload["trigger_id"],
            session=session,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            name=production.name,
        )
