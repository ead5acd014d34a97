"""Apply or Cancel on an import preview."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import Refusal, require
from bot.deps import Services
from bot.imports import (
    FileKind,
    StalePreview,
    apply_cast_plan,
    apply_schedule_plan,
    cast_from_payload,
    schedule_from_payload,
)
from bot.meta import unpack_int
from bot.problems import InputRejected
from bot.schedule.diff import headline, summary_lines
from bot.text import mrkdwn_escape
from bot.worker import JobContext
from handlers.blocks.import_preview import outcome_blocks
from handlers.defer import submitting
from handlers.home_tab import refresh_production
from storage.db import session_scope
from storage.imports import claim_pending, payload_of
from storage.models import ImportStatus, PendingImport, Role
from storage.scoped import owned


def _pending(session: Session, payload: dict[str, str]) -> PendingImport:
    pending = claim_pending(
        session,
        pending_id=unpack_int(payload["value"], "import", "id"),
        team_id=payload["team_id"],
    )
    if pending is None or pending.kind not in (FileKind.CAST, FileKind.SCHEDULE):
        raise Refusal("This preview has expired. Upload the file again.")
    production = pending.production
    require(
        session,
        production=production,
        team_id=payload["team_id"],
        user_id=payload["user_id"],
        roles=(Role.COORDINATOR,),
        doing="import into it",
    )
    return pending


def _already(pending: PendingImport) -> str | None:
    if pending.status is ImportStatus.PENDING:
        return None
    return f"This import was already {pending.status.value}."


def _apply(session: Session, pending: PendingImport, *, user_id: str, services: Services) -> str:
    production = pending.production
    now = services.clock.now()
    payload = payload_of(session, pending)
    if pending.kind == FileKind.CAST:
        change = apply_cast_plan(
            session,
            production=production,
            entries=cast_from_payload(payload),
            base_digest=pending.base_digest,
            now=now,
            actor=user_id,
        )
        return f"*Cast list applied* · {mrkdwn_escape(production.name)}\n{change.headline()}"
    plan = apply_schedule_plan(
        session,
        production=production,
        schedule=schedule_from_payload(payload),
        base_digest=pending.base_digest,
        now=now,
        actor=user_id,
    )
    lines = summary_lines(plan.diff, ZoneInfo(production.time_zone))
    body = mrkdwn_escape("\n".join(lines))
    name = mrkdwn_escape(production.name)
    return f"*Schedule applied* · {name}\n{headline(plan.diff)}\n```{body}```"


def _finish(client: WebClient, payload: dict[str, str], text: str) -> None:
    client.chat_update(
        channel=payload["channel"],
        ts=payload["ts"],
        text=text.split("\n", 1)[0],
        blocks=outcome_blocks(text=text),
    )


def _decide(session: Session, payload: dict[str, str], services: Services) -> str:
    # A refusal is told to the clicker alone: the message clicked is updated only for a
    # coordinator of the import's production (a crafted click could name anyone's message).
    pending = _pending(session, payload)
    if (already := _already(pending)) is not None:
        return already
    try:
        with session.begin_nested():
            text = _apply(session, pending, user_id=payload["user_id"], services=services)
        pending.status = ImportStatus.APPLIED
    except (StalePreview, InputRejected) as refused:
        detail = refused.summary() if isinstance(refused, InputRejected) else str(refused)
        detail = mrkdwn_escape(detail)  # it quotes the file
        text = f"*Not applied; nothing was changed.*\n{detail}"
        pending.status = ImportStatus.CANCELLED
    return text


def _cancel(session: Session, payload: dict[str, str]) -> str:
    pending = _pending(session, payload)
    if (already := _already(pending)) is not None:
        return already
    pending.status = ImportStatus.CANCELLED
    return "Import cancelled; nothing was changed."


def apply_import(job: JobContext, payload: dict[str, str]) -> None:
    """The job: apply the previewed import, then say so in place of the preview."""
    with session_scope(job.services.session_factory) as session:
        text = _decide(session, payload, job.services)
        pending = owned(
            session,
            PendingImport,
            unpack_int(payload["value"], "import", "id"),
            team_id=payload["team_id"],
        )
        applied = pending is not None and pending.status is ImportStatus.APPLIED
        production_id = pending.production_id if pending is not None else None
        team_id = pending.production.workspace.team_id if pending is not None else ""
    _finish(job.client, payload, text)  # after the commit: never claims what did not land
    if applied and production_id is not None:
        job.wake()  # prompts due at once (short notice) go now
        refresh_production(job, {"production_id": production_id, "team_id": team_id})


def cancel_import(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        text = _cancel(session, payload)
    _finish(job.client, payload, text)


apply = submitting(apply_import)
cancel = submitting(cancel_import)
