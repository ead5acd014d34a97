"""A file uploaded to the bot in a DM: fetched, parsed and previewed, as a job (`bot.worker`)
after Slack's event was acknowledged. It reports every outcome (preview, problems, failure) to
the uploader in the DM.

A schedule whose slashed dates could be read either way, for a production that has not chosen
its date order, is not guessed at: the uploader is asked, with two buttons showing one of the
file's dates read both ways (`handlers/actions/date_order.py` previews it once they answer).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import Refusal, pick_production
from bot.deps import Services
from bot.downloads import download
from bot.imports import (
    ASK_DATE_ORDER,
    MAX_FILE_BYTES,
    FileKind,
    cast_payload,
    decode,
    detect_kind,
    parse_schedule,
    plan_cast_import,
    plan_schedule_import,
    schedule_payload,
)
from bot.problems import InputRejected
from bot.schedule.csv_format import AmbiguousDateOrder, DateOrder
from bot.text import mrkdwn_escape
from bot.worker import JobContext
from handlers.blocks.import_preview import date_order_blocks, preview_blocks, problems_blocks
from storage import audit
from storage.db import session_scope
from storage.imports import save_pending
from storage.models import Production, Role
from storage.productions import productions_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upload:
    team_id: str
    user_id: str
    channel_id: str
    file_id: str
    text: str  # the message typed with the file: may name the production


def process(job: JobContext, upload: Upload) -> None:
    """The job: preview the uploaded file for the uploader, in the DM; never raises."""
    blocks, text = answer_of(lambda: _preview(upload, client=job.client, services=job.services))
    try:
        job.client.chat_postMessage(channel=upload.channel_id, text=text, blocks=blocks or None)
    except Exception as error:
        log.error("could not post the import preview (%s)", type(error).__name__, exc_info=error)


def answer_of(make: Callable[[], tuple[list[Any], str]]) -> tuple[list[Any], str]:
    """The preview `make` builds, or what to say instead: a refusal, the file's problems, or a
    reference for a failure of ours (logged without the file's content)."""
    try:
        return make()
    except Refusal as refusal:
        return [], mrkdwn_escape(str(refusal))
    except InputRejected as rejected:
        return problems_blocks(what="file", problems=rejected.summary()), "Import refused"
    except Exception as error:
        ref = uuid.uuid4().hex[:8]
        log.error("upload failed (ref %s, %s)", ref, type(error).__name__, exc_info=error)
        return [], f"Sorry, I could not read that file (ref {ref}). Nothing was changed."


def _preview(upload: Upload, *, client: WebClient, services: Services) -> tuple[list[Any], str]:
    with session_scope(services.session_factory) as session:
        # The message typed with the file names the production only for someone in several.
        several = (
            len(
                productions_of(
                    session,
                    team_id=upload.team_id,
                    user_id=upload.user_id,
                    roles=(Role.COORDINATOR,),
                )
            )
            > 1
        )
        production = pick_production(
            session,
            team_id=upload.team_id,
            user_id=upload.user_id,
            roles=(Role.COORDINATOR,),
            name=(upload.text.strip() or None) if several else None,
            doing="import a cast list or schedule",
        )
        # For someone in one production, the message typed with a .uss file names the
        # stripboard to import (the parser lists them when there are several).
        return preview_file(
            session,
            client=client,
            production=production,
            file_id=upload.file_id,
            board=None if several else (upload.text.strip() or None),
            date_order=production.date_order if production.date_order in ("dmy", "mdy") else None,
            team_id=upload.team_id,
            user_id=upload.user_id,
            now=services.clock.now(),
        )


def preview_file(
    session: Session,
    *,
    client: WebClient,
    production: Production,
    file_id: str,
    board: str | None,
    date_order: str | None,
    team_id: str,
    user_id: str,
    now: datetime,
) -> tuple[list[Any], str]:
    """Download, read and plan the file, keep the plan for Apply, and return the preview (or
    the date-order question, when `date_order` is None and the file does not settle it)."""
    name, data = download(client, file_id, max_bytes=MAX_FILE_BYTES)
    text = decode(data)
    kind = detect_kind(text)
    if kind is FileKind.CAST:
        cast = plan_cast_import(session, production=production, text=text, client=client)
        summary, payload, base = cast.summary(), cast_payload(cast), cast.base_digest
        empty = cast.change.is_empty
        title = f"Cast list preview: {name}"
    else:
        order: DateOrder | None = "dmy" if date_order == "dmy" else "mdy" if date_order else None
        try:
            schedule = parse_schedule(text, production, stripboard=board, date_order=order)
        except AmbiguousDateOrder as asked:
            return _ask_date_order(
                session, asked, production, name, file_id, board, team_id, user_id, now
            )
        plan = plan_schedule_import(session, production=production, schedule=schedule)
        summary = plan.summary(ZoneInfo(production.time_zone))
        payload, base, empty = schedule_payload(plan), plan.base_digest, plan.diff.is_empty
        title = f"Schedule preview: {name}"
    pending_id = None
    if not empty:
        pending = save_pending(
            session,
            production_id=production.id,
            kind=kind.value,
            payload=payload,
            base_digest=base,
            requested_by=user_id,
            now=now,
        )
        pending_id = pending.id
    audit.record(
        session,
        at=now,
        team_id=team_id,
        actor=user_id,
        action=f"{kind.value}.preview",
        production_id=production.id,
        detail={"pending_import": pending_id},
    )
    blocks = preview_blocks(
        title=title, production=production.name, summary=summary, pending_id=pending_id
    )
    return blocks, mrkdwn_escape(title)


def _ask_date_order(
    session: Session,
    asked: AmbiguousDateOrder,
    production: Production,
    name: str,
    file_id: str,
    board: str | None,
    team_id: str,
    user_id: str,
    now: datetime,
) -> tuple[list[Any], str]:
    """Keep which file it was (its id; the file stays in Slack) and ask how its dates read."""
    pending = save_pending(
        session,
        production_id=production.id,
        kind=ASK_DATE_ORDER,
        payload=json.dumps({"file_id": file_id, "board": board}),
        base_digest="",
        requested_by=user_id,
        now=now,
    )
    audit.record(
        session,
        at=now,
        team_id=team_id,
        actor=user_id,
        action="schedule.date_order.ask",
        production_id=production.id,
        detail={"pending_import": pending.id},
    )
    day_first, month_first = asked.readings
    blocks = date_order_blocks(
        title=f"Schedule: {name}",
        production=production.name,
        example=asked.example,
        where=f"row {asked.row}" + (f", column '{asked.column}'" if asked.column else ""),
        day_first=day_first,
        month_first=month_first,
        pending_id=pending.id,
    )
    return blocks, mrkdwn_escape(asked.question)
