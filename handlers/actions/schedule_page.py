"""Earlier / Later on the ephemeral schedule list."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond
from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.background import after_ack
from bot.deps import Deps
from bot.meta import unpack
from handlers.commands.schedule import VIEWERS, page_blocks
from storage.db import session_scope
from storage.productions import get_production


def handle(
    ack: Ack, action: dict[str, Any], body: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    ack()

    def work() -> None:
        with session_scope(deps.session_factory) as session:
            _page(session, action, body, respond, deps)

    after_ack(deps, work, respond=respond)


def _page(
    db_session: Session,
    action: dict[str, Any],
    body: dict[str, Any],
    respond: Respond,
    deps: Deps,
) -> None:
    ids = unpack(action.get("value", ""), "page")
    production = get_production(db_session, production_id=int(ids["p"]))
    user_id = body["user"]["id"]
    try:
        if production is None:
            raise Refusal("This production no longer exists.")
        require(
            db_session,
            production=production,
            user_id=user_id,
            roles=VIEWERS,
            doing="see the shooting schedule",
        )
    except Refusal as refusal:
        respond(text=str(refusal), response_type="ephemeral", replace_original=False)
        return
    blocks = page_blocks(
        db_session, production=production, deps=deps, offset=max(0, int(ids["o"])), actor=user_id
    )
    respond(blocks=blocks, text=f"{production.name}: upcoming scenes", replace_original=True)
