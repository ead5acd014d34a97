"""The uploader's answer to "how should I read 03/04/2027?": the file is read that way and
its preview replaces the question (with Apply / Cancel, as for any upload)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.imports import ASK_DATE_ORDER
from bot.meta import unpack_int
from bot.worker import JobContext
from handlers.defer import submitting
from handlers.uploads import answer_of, preview_file
from storage.db import session_scope
from storage.imports import claim_pending, payload_of
from storage.models import ImportStatus, PendingImport, Role


def _read_as(order: str) -> Any:
    def job(ctx: JobContext, payload: dict[str, str]) -> None:
        with session_scope(ctx.services.session_factory) as session:
            pending = _answered(session, payload)  # a Refusal is told to the clicker only
            asked = json.loads(payload_of(session, pending))
            blocks, text = answer_of(
                lambda: preview_file(
                    session,
                    client=ctx.client,
                    production=pending.production,
                    file_id=str(asked["file_id"]),
                    board=asked.get("board"),
                    date_order=order,
                    team_id=payload["team_id"],
                    user_id=payload["user_id"],
                    now=ctx.services.clock.now(),
                )
            )
        ctx.client.chat_update(
            channel=payload["channel"], ts=payload["ts"], text=text, blocks=blocks or None
        )

    job.__name__ = f"read_{order}"
    return job


def _answered(session: Session, payload: dict[str, str]) -> PendingImport:
    """The question clicked, if the clicker may answer it and nobody has yet; it is answered
    from now on (a second click, say a double click, previews nothing twice)."""
    pending = claim_pending(
        session,
        pending_id=unpack_int(payload["value"], "import", "id"),
        team_id=payload["team_id"],
    )
    if pending is None or pending.kind != ASK_DATE_ORDER:
        raise Refusal("This question has expired. Upload the file again.")
    require(
        session,
        production=pending.production,
        team_id=payload["team_id"],
        user_id=payload["user_id"],
        roles=(Role.COORDINATOR,),
        doing="import into it",
    )
    if pending.status is not ImportStatus.PENDING:
        raise Refusal("This question was already answered: its preview is in its place.")
    pending.status = ImportStatus.APPLIED
    return pending


day_first = submitting(_read_as("dmy"))
month_first = submitting(_read_as("mdy"))
