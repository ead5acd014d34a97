"""Earlier / Later on the ephemeral schedule list."""

from __future__ import annotations

from bot.access import Refusal, require
from bot.meta import unpack
from bot.text import mrkdwn_escape
from bot.worker import JobContext
from handlers.defer import submitting
from handlers.schedule_pages import VIEWERS, page_blocks
from storage.db import session_scope
from storage.models import Production
from storage.scoped import owned


def show_page(job: JobContext, payload: dict[str, str]) -> None:
    """The job: replace the list with the page the button's ids name."""
    ids = unpack(payload["value"], "page")
    with session_scope(job.services.session_factory) as session:
        production = owned(session, Production, ids.get("p"), team_id=payload["team_id"])
        if production is None:
            raise Refusal("This production no longer exists.")
        require(
            session,
            production=production,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            roles=VIEWERS,
            doing="see the shooting schedule",
        )
        blocks = page_blocks(
            session,
            production=production,
            services=job.services,
            offset=max(0, int(ids["o"])),
            actor=payload["user_id"],
        )
        name = production.name
    text = f"{mrkdwn_escape(name)}: upcoming scenes"
    job.respond()(blocks=blocks, text=text, replace_original=True)


handle = submitting(show_page)
