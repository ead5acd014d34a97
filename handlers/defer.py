"""Acknowledge now, work later: how every listener hands its work to the job worker.

A listener acknowledges and queues a job (`bot.worker`); when the worker is full, the user is
told "busy, try again" instead: in the acknowledgement itself for a slash command (Slack shows
it), or by a short notice job for a click (through its `response_url`, or as a DM where the
click has none, e.g. on the Home tab). Jobs that open a modal are `urgent`: their `trigger_id`
expires 3 seconds after the click.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack

from bot.deps import Deps
from bot.worker import BUSY, Busy, Job, JobContext, tell

log = logging.getLogger(__name__)


def later(
    ack: Ack,
    deps: Deps,
    job: Job,
    payload: Any,
    *,
    response_url: str | None,
    user_id: str | None = None,
    urgent: bool = False,
    busy_in_ack: bool = False,
) -> bool:
    """Queue `job` and acknowledge. `busy_in_ack`: a slash command, whose acknowledgement
    Slack shows. Returns whether the job was queued."""
    try:
        deps.worker.submit(job, payload, response_url=response_url, urgent=urgent)
    except Busy:
        if busy_in_ack:
            ack(text=BUSY, response_type="ephemeral")
        else:
            ack()
            deps.worker.notice(
                busy_notice,
                user_id or "",
                response_url=response_url,
                key=f"busy:{user_id}" if user_id else None,
            )
        return False
    ack()
    return True


def after(deps: Deps, job: Job, payload: Any) -> None:
    """Queue follow-up work of a request already answered (Home tabs refreshed, messages
    updated). When the worker is full it is skipped and logged: what it would show is in the
    database, and the next refresh or the delivery sweep shows it."""
    try:
        deps.worker.submit(job, payload, response_url=None)
    except Busy:
        log.warning("%s skipped: %s", getattr(job, "__name__", "job"), BUSY)


def busy_notice(job: JobContext, user_id: str) -> None:
    """Tell the user we are busy: where they clicked, or else in their DM with the bot."""
    if job.response_url:
        tell(job, BUSY)
    elif user_id:
        job.client.chat_postMessage(channel=user_id, text=BUSY)


def submitting(job: Job, *, urgent: bool = False) -> Any:
    """A click listener that hands `job` the click (see `click_payload`)."""

    def listener(ack: Ack, action: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
        later(
            ack,
            deps,
            job,
            click_payload(action, body),
            response_url=body.get("response_url"),
            user_id=body["user"]["id"],
            urgent=urgent,
        )

    listener.__name__ = f"{getattr(job, '__name__', 'job')}_clicked"
    return listener


def click_payload(action: dict[str, Any], body: dict[str, Any]) -> dict[str, str]:
    """What a job needs of a click: the button's value, who clicked in which workspace, the
    trigger for a modal, and where the click was (a view, or a message's channel and ts)."""
    return {
        "value": action.get("value", ""),
        "user_id": body["user"]["id"],
        "team_id": team_of(body),
        "trigger_id": body.get("trigger_id", ""),
        "view_id": (body.get("view") or {}).get("id", ""),
        "view_type": (body.get("view") or {}).get("type", ""),
        "channel": (body.get("container") or {}).get("channel_id")
        or (body.get("channel") or {}).get("id", ""),
        "ts": (body.get("container") or {}).get("message_ts")
        or (body.get("message") or {}).get("ts", ""),
    }


def team_of(body: dict[str, Any]) -> str:
    """The workspace of an interaction (a click or a modal submission)."""
    return str(body.get("team", {}).get("id") or body["user"].get("team_id", ""))
