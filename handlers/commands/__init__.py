"""`/closedset SUBCOMMAND ...`: one Slack command, routed by its first word.

Slack is answered at once (an empty acknowledgement); the subcommand then runs as a job (see
`bot.worker`) in one database transaction, and answers through `respond` (ephemeral messages)
or `client.views_open` (modals; a trigger stays valid for 3 seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps
from bot.ids import Command
from bot.worker import JobContext
from handlers.commands import (
    audit,
    boundaries,
    checkin,
    checklist,
    help,
    mydata,
    note,
    request,
    requests,
    scene,
    schedule,
    setup,
    status,
)
from handlers.defer import later
from storage.db import session_scope

Subcommand = Callable[..., None]

SUBCOMMANDS: dict[str, Subcommand] = {
    "help": help.run,
    "setup": setup.run,
    "schedule": schedule.run,
    "scene": scene.run,
    "status": status.run,
    "checklist": checklist.run,
    "boundaries": boundaries.run,
    "request": request.run,
    "requests": requests.run,
    "note": note.run,
    "checkin": checkin.run,
    "mydata": mydata.run,
    "audit": audit.run,
}


def subcommand(text: str | None) -> str:
    """The subcommand word of `/closedset`'s text (`help` when there is none)."""
    return (text or "").strip().partition(" ")[0].lower() or "help"


PLANS_FOR_NOW = frozenset({"checkin"})
"""Subcommands that plan messages due at once: the dispatcher is woken after them (a wake-up
costs a delivery pass, so not after every command)."""

OPENS_A_MODAL = frozenset(
    {"setup", "scene", "status", "checklist", "request", "note", "mydata", "audit"}
)
"""Subcommands whose job opens a modal: urgent, as the trigger expires in 3 seconds."""


def dispatch(ack: Ack, command: dict[str, Any], deps: Deps) -> None:
    word = subcommand(command.get("text"))
    if word not in SUBCOMMANDS:
        ack(
            text=f"I don't know `{word[:30]}`. Try `/closedset help` for what you can do.",
            response_type="ephemeral",
        )
        return
    later(
        ack,
        deps,
        run_subcommand,
        command,
        response_url=command.get("response_url"),
        urgent=word in OPENS_A_MODAL,
        busy_in_ack=True,
    )


def run_subcommand(job: JobContext, command: dict[str, Any]) -> None:
    """The job: `command` is Slack's slash-command payload."""
    rest = (command.get("text") or "").strip().partition(" ")[2]
    handler = SUBCOMMANDS[subcommand(command.get("text"))]
    # What the subcommand says goes out once its transaction has committed: "Check-in 2 is on
    # its way" must not reach anyone before round 2 exists for their taps (nor anything be
    # said of work that then rolls back).
    said: list[dict[str, Any]] = []
    with session_scope(job.services.session_factory) as db_session:
        handler(
            command=command,
            args=rest.strip(),
            client=job.client,
            respond=lambda **message: said.append(message),
            db_session=db_session,
            services=job.services,
        )
    respond = job.respond()
    for message in said:
        respond(**message)
    if subcommand(command.get("text")) in PLANS_FOR_NOW:
        job.wake()  # messages planned for now (a check-in's prompts) are sent at once


def register(app: App) -> None:
    app.command(Command.SLASH)(dispatch)
