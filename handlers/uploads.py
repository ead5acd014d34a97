"""A file uploaded to the bot in a DM: fetched, parsed and previewed, as a job (`bot.worker`)
after Slack's event was acknowledged. It reports every outcome (preview, problems, failure) to
the uploader in the DM.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.access import Refusal, pick_production
from bot.deps import Services
from bot.downloads import download
from bot.imports import (
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
from bot.worker import JobContext
from handlers.blocks.import_preview import preview_blocks, problems_blocks
from storage import audit
from storage.db import session_scope
from storage.imports import save_pending
from storage.models import Role
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
    client = job.client
    try:
        blocks, text = _preview(upload, client=client, services=job.services)
    except Refusal as refusal:
        blocks, text = [], str(refusal)
    except InputRejected as rejected:
        blocks, text = problems_blocks(what="file", problems=rejected.summary()), "Import refused"
    except Exception as error:
        ref = uuid.uuid4().hex[:8]
        log.error("upload failed (ref %s, %s)", ref, type(error).__name__, exc_info=error)
        blocks, text = [], f"Sorry, I could not read that file (ref {ref}). Nothing was changed."
    try:
        client.chat_postMessage(channel=upload.channel_id, text=text, blocks=blocks or None)
    except Exception as error:
        log.error("could not post the import preview (%s)", type(error).__name__, exc_info=error)


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
        name, data = download(client, upload.file_id, max_bytes=MAX_FILE_BYTES)
        text = decode(data)
        kind = detect_kind(text)
        now = services.clock.now()
        if kind is FileKind.CAST:
            cast = plan_cast_import(session, production=production, text=text, client=client)
            summary, payload, base = cast.summary(), cast_payload(cast), cast.base_digest
            empty = cast.change.is_empty
            title = f"Cast list preview: {name}"
        else:
            # For someone in one production, the message typed with a .uss file names the
            # stripboard to import (the parser lists them when there are several).
            board = None if several else (upload.text.strip() or None)
            schedule = parse_schedule(text, production, stripboard=board)
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
                requested_by=upload.user_id,
                now=now,
            )
            pending_id = pending.id
        audit.record(
            session,
            at=now,
            team_id=upload.team_id,
            actor=upload.user_id,
            action=f"{kind.value}.preview",
            production_id=production.id,
            detail={"pending_import": pending_id},
        )
        blocks = preview_blocks(
            title=title, production=production.name, summary=summary, pending_id=pending_id
        )
        return blocks, title
