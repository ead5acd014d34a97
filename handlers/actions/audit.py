"""The audit log modal's scene and person filters, Show everyone, Newer and Older: the modal
is updated in place with the page its metadata and the click name."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.access import Refusal
from bot.deps import Deps
from bot.ids import AuditAction
from bot.worker import JobContext
from handlers.audit_pages import Page, allowed, page_view
from handlers.blocks.audit import PAGE
from handlers.defer import later, team_of
from storage.db import session_scope


def clicked(ack: Ack, action: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    view = body.get("view") or {}
    payload = {
        "action_id": action.get("action_id", ""),
        "scene": (action.get("selected_option") or {}).get("value", ""),
        "person": action.get("selected_user") or "",
        "user_id": body["user"]["id"],
        "team_id": team_of(body),
        "view_id": view.get("id", ""),
        "hash": view.get("hash", ""),
        "metadata": view.get("private_metadata", ""),
    }
    later(ack, deps, show, payload, response_url=None, user_id=payload["user_id"])


def _next(page: Page, payload: dict[str, str]) -> Page:
    action = payload["action_id"]
    if action == AuditAction.SCENE:
        scene = payload["scene"]
        return page.filtered(scene_id=int(scene) if scene.isdigit() else 0)
    if action == AuditAction.PERSON:
        return page.filtered(person=payload["person"][:32])
    if action == AuditAction.CLEAR:
        return page.filtered(scene_id=0, person="")
    step = PAGE if action == AuditAction.OLDER else -PAGE
    return Page(
        page.production_id, page.up_to, max(0, page.offset + step), page.scene_id, page.person
    )


def show(job: JobContext, payload: dict[str, str]) -> None:
    try:
        page = _next(Page.unpacked(payload["metadata"]), payload)
    except (KeyError, ValueError):
        raise Refusal("This audit log is out of date: open it again.") from None
    with session_scope(job.services.session_factory) as session:
        production = allowed(
            session,
            production_id=page.production_id,
            team_id=payload["team_id"],
            user_id=payload["user_id"],
        )
        view = page_view(
            session,
            production=production,
            page=page,
            actor=payload["user_id"],
            now=job.services.clock.now(),
        )
    job.client.views_update(view_id=payload["view_id"], hash=payload["hash"] or None, view=view)
