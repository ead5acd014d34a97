"""The Home tab, opened: published as it is now (`handlers.home_tab`)."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.worker import JobContext
from handlers.defer import after
from handlers.home_tab import publish


def opened(event: dict[str, Any], body: dict[str, Any], deps: Deps) -> None:
    if event.get("tab") != "home":
        return
    who = {"team_id": body.get("team_id", ""), "user_id": event["user"], "page": 0}
    after(deps, publish_job, who)


def publish_job(job: JobContext, who: dict[str, Any]) -> None:
    publish(job.client, job.services, who["team_id"], [who["user_id"]], page=int(who["page"]))
