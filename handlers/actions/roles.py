"""**This isn't right**, on the DM that told someone they were added to a production: the
roles it named are taken away at once and the coordinators told (see `bot.roles`)."""

from __future__ import annotations

from bot.meta import unpack_int
from bot.roles import dispute, role_names
from bot.text import mrkdwn_escape
from bot.worker import JobContext
from handlers.blocks.messages import one_line
from handlers.defer import submitting
from storage.db import session_scope
from storage.models import Delivery
from storage.scoped import owned


def not_right(job: JobContext, payload: dict[str, str]) -> None:
    delivery_id = unpack_int(payload["value"], "role", "d")
    with session_scope(job.services.session_factory) as session:
        production, taken = dispute(
            session,
            delivery_id=delivery_id,
            user_id=payload["user_id"],
            team_id=payload["team_id"],
            now=job.services.clock.now(),
        )
        name = mrkdwn_escape(production.name)
        row = owned(session, Delivery, delivery_id, team_id=payload["team_id"])
        on_it = row is not None and (payload["channel"], payload["ts"]) == (row.channel, row.ts)
    job.wake()  # the coordinators' notice goes now
    if taken:
        line = (
            f"You are no longer in *{name}* as {role_names([r.value for r in taken])}. Its "
            "coordinators have been told."
        )
    else:
        line = f"Already done: what this message said no longer applies to you in *{name}*."
    if on_it:  # the DM itself says so; a click naming another message changes none
        job.client.chat_update(
            channel=payload["channel"], ts=payload["ts"], text=line, blocks=one_line(line)
        )
    elif job.response_url:
        job.respond()(text=line, response_type="ephemeral", replace_original=False)


not_right_clicked = submitting(not_right)
