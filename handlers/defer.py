"""Acknowledge now, work later: how every listener hands its work to the job worker.

A listener acknowledges and queues a job (`bot.worker`); when the worker is full, the user is
told "busy, try again" instead: in the acknowledgement itself for a slash command (Slack shows
it), or by a short notice job for a click (through its `response_url`, or as a DM where the
click has none, e.g. on the Home tab). Jobs that open a modal are `urgent`: their `trigger_id`
expires 3 seconds after the click.

A modal submission is checked in its listener only as far as the values themselves go (empty,
too long, not a time), answered with errors under the fields; then `saving` queues its job and
replaces the modal with "Saving…", and the job (`shows_outcome`) does the database work and
replaces that with its outcome (`views.update`): done, or why not. When the worker is full the
modal stays as it was, "busy, try again" under a field, so nothing typed is lost.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError

from bot.access import Refusal
from bot.deps import Deps
from bot.logs import REQUEST_REF
from bot.worker import BUSY, Busy, Job, JobContext, tell
from handlers.blocks.boundaries import notice_modal
from handlers.blocks.saving import saving_modal

log = logging.getLogger(__name__)

Submitted = Callable[[JobContext, dict[str, Any]], "Outcome"]
"""The work of a modal submission's job: the submission (`submission_payload`) in, what to
show out."""


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


def saving(
    ack: Ack,
    deps: Deps,
    job: Job,
    body: dict[str, Any],
    view: dict[str, Any],
    *,
    title: str,
    field: str | None,
) -> bool:
    """Queue the job of a modal submission whose values checked out (`job` gets
    `submission_payload`) and acknowledge with a "Saving…" modal the job replaces. When the
    worker is full, the form stays as it is with "busy, try again" under `field`; a form
    without a field gets the notice on top of it (closing it goes back to the form). Returns
    whether the job was queued."""
    try:
        deps.worker.submit(job, submission_payload(body, view), response_url=None)
    except Busy:
        if field:
            ack(response_action="errors", errors={field: BUSY})
        else:
            ack(response_action="push", view=notice_modal(title, BUSY))
        return False
    # Slack gets this when the listener returns, moments from now; the job's `views.update`
    # follows its database work. (Were the update first, "Saving…" would replace it: the
    # order is likely, not guaranteed, as with every ack-then-update in Slack's own examples.)
    ack(response_action="update", view=saving_modal(title))
    return True


def submission_payload(body: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    """What the job of a modal submission needs: who submitted it in which workspace, and the
    view (`view_id` to show the outcome in; `view`: its state and metadata, what the
    `handlers.view_state` readers take)."""
    return {
        "user_id": body["user"]["id"],
        "team_id": team_of(body),
        "view_id": view.get("id", ""),
        "view": {
            "private_metadata": view.get("private_metadata", ""),
            "state": view.get("state") or {"values": {}},
        },
    }


@dataclass(frozen=True)
class Outcome:
    """What a submission's job shows in place of "Saving…", and what it does once that is
    shown (Home tabs, messages): a failure there is the job's, not the submission's."""

    view: dict[str, Any]
    then: Callable[[], object] | None = None


def shows_outcome(title: str) -> Callable[[Submitted], Job]:
    """The job of a modal submission (queued by `saving`): the wrapped function does the work
    and returns its `Outcome`; a `Refusal` it raises is shown as the reason, and any other
    failure as an apology with a reference (logged with its traceback)."""

    def wrap(work: Submitted) -> Job:
        def job(context: JobContext, payload: dict[str, Any]) -> None:
            try:
                outcome = work(context, payload)
            except Refusal as refusal:
                show(context, payload, notice_modal(title, str(refusal)))
                return
            except Exception as error:
                ref = REQUEST_REF.get() if REQUEST_REF.get() != "-" else uuid.uuid4().hex[:8]
                name = getattr(work, "__name__", "job")
                log.error("%s failed (ref %s, %s)", name, ref, type(error).__name__, exc_info=error)
                apology = (
                    f"Sorry, something went wrong on our side (ref {ref}). Please try again; if "
                    "it keeps happening, give this reference to your admin."
                )
                show(context, payload, notice_modal(title, apology))
                return
            show(context, payload, outcome.view)
            if outcome.then is not None:
                outcome.then()

        job.__name__ = getattr(work, "__name__", "job")
        return job

    return wrap


def show(job: JobContext, payload: dict[str, Any], view: dict[str, Any]) -> None:
    """Replace the submitted modal with `view`. Closed meanwhile, it cannot show anything:
    what was saved stays saved."""
    try:
        job.client.views_update(view_id=payload["view_id"], view=view)
    except SlackApiError as error:
        log.warning("could not show a submission's outcome (%s)", error.response.get("error"))
