"""A performer's own data: "My data" on their Home opens the modal; in it, Newer/Older, Delete
my notes and Ask to erase the rest (each updates the modal). And the coordinator's Erase on
the Home to-do a request makes.

A performer's buttons act only on the clicker's own data in the clicker's workspace, whatever
the button's value says. Erase is checked against the database: an erasure request still
waiting, in the clicker's workspace, in a production the clicker coordinates."""

from __future__ import annotations

from typing import Any

from bot.access import Refusal, require
from bot.meta import unpack
from bot.worker import JobContext
from handlers.blocks.boundaries import notice_modal
from handlers.blocks.mydata import my_data_modal
from handlers.defer import submitting
from handlers.home_tab import refresh_coordinators, refresh_people
from storage import mydata
from storage.db import session_scope
from storage.models import Production, Role


def _page(value: str) -> int:
    try:
        page = unpack(value, "mydata").get("page", 0)
    except ValueError:
        return 0
    return page if isinstance(page, int) and page >= 0 else 0


def _modal(
    job: JobContext, payload: dict[str, str], *, page: int, notice: str | None = None
) -> dict[str, Any]:
    """The modal as it is now (a read: audited)."""
    with session_scope(job.services.session_factory) as session:
        data = mydata.my_data(session, team_id=payload["team_id"], user_id=payload["user_id"])
        mydata.record_read(
            session,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            now=job.services.clock.now(),
            page=page,
            shown=data,
        )
    return my_data_modal(data, page=page, notice=notice)


def _update(job: JobContext, payload: dict[str, str], view: dict[str, Any]) -> None:
    if payload.get("view_type") == "modal" and payload.get("view_id"):
        job.client.views_update(view_id=payload["view_id"], view=view)


def open_modal(job: JobContext, payload: dict[str, str]) -> None:
    view = _modal(job, payload, page=0)
    job.client.views_open(trigger_id=payload["trigger_id"], view=view)


def turn_page(job: JobContext, payload: dict[str, str]) -> None:
    _update(job, payload, _modal(job, payload, page=_page(payload["value"])))


def delete_notes(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        deleted = mydata.delete_notes(
            session,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            now=job.services.clock.now(),
        )
    count = sum(deleted.values())
    notice = (
        f"Your {count} note{'s are' if count != 1 else ' is'} deleted."
        if count
        else "You have no notes here."
    )
    _update(job, payload, _modal(job, payload, page=0, notice=notice))
    for production_id in deleted:  # their coordinators' Home tabs list recent notes
        refresh_coordinators(job, {"production_id": production_id, "team_id": payload["team_id"]})


def ask_erasure(job: JobContext, payload: dict[str, str]) -> None:
    with session_scope(job.services.session_factory) as session:
        asked = mydata.ask_erasure(
            session,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            now=job.services.clock.now(),
        )
    job.wake()  # the coordinators' DMs go now
    notice = (
        "Your coordinator is asked to erase the rest. You will get a message when it is done."
        if asked
        else "Your coordinator was already asked."
    )
    _update(job, payload, _modal(job, payload, page=0, notice=notice))
    for production_id in asked:
        refresh_coordinators(job, {"production_id": production_id, "team_id": payload["team_id"]})


def erase(job: JobContext, payload: dict[str, str]) -> None:
    """The coordinator's Erase: refusals open a small modal (a Home click has nowhere else to
    be answered)."""
    try:
        erased = _erase(job, payload)
    except Refusal as refusal:
        if not payload.get("trigger_id"):
            raise
        job.client.views_open(
            trigger_id=payload["trigger_id"], view=notice_modal("Not possible", str(refusal))
        )
        return
    job.wake()  # the performer is told now
    users = [erased.performer_id, payload["user_id"]]
    refresh_people(job, {"team_id": payload["team_id"], "users": users})
    refresh_coordinators(
        job, {"production_id": erased.production_id, "team_id": payload["team_id"]}
    )


def _erase(job: JobContext, payload: dict[str, str]) -> mydata.Erased:
    try:
        request_id = unpack(payload["value"], "erase").get("e")
    except ValueError:
        request_id = None
    with session_scope(job.services.session_factory) as session:
        request = (
            mydata.pending_request(session, request_id=request_id)
            if isinstance(request_id, int)
            else None
        )
        production = session.get(Production, request.production_id) if request else None
        if (
            request is None
            or production is None
            or request.team_id != payload["team_id"]
            or production.workspace.team_id != payload["team_id"]
        ):
            raise Refusal("This erasure request is done or no longer exists.")
        require(
            session,
            production=production,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
            roles=(Role.COORDINATOR,),
            doing="erase a performer's data",
        )
        return mydata.erase(
            session,
            request=request,
            team_id=payload["team_id"],
            by=payload["user_id"],
            now=job.services.clock.now(),
        )


open_clicked = submitting(open_modal, urgent=True)
page_clicked = submitting(turn_page)
delete_notes_clicked = submitting(delete_notes)
ask_erasure_clicked = submitting(ask_erasure)
erase_clicked = submitting(erase, urgent=True)
