"""`/closedset requests [in PRODUCTION]`: the coordinator's requests and who acknowledged."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.access import pick_production, split_production
from handlers.blocks.requests import requests_list
from storage.models import CoordinatorRequest, RequestPost, Role


def blocks_for(session: Session, production_id: int, zone: str, name: str) -> list[dict[str, Any]]:
    requests = list(
        session.scalars(
            select(CoordinatorRequest)
            .where(CoordinatorRequest.production_id == production_id)
            .options(
                selectinload(CoordinatorRequest.posts).selectinload(RequestPost.acks),
                selectinload(CoordinatorRequest.scene),
            )
            .order_by(CoordinatorRequest.id.desc())
            .limit(10)
        )
    )
    return requests_list(requests, zone=zone, production=name)


def run(
    *, command: dict[str, Any], args: str, respond: Respond, db_session: Session, **_: Any
) -> None:
    __, name = split_production(f"x {args}")
    production = pick_production(
        db_session,
        team_id=command["team_id"],
        user_id=command["user_id"],
        roles=(Role.COORDINATOR,),
        name=name,
        doing="see requests and acknowledgements",
    )
    respond(
        blocks=blocks_for(db_session, production.id, production.time_zone, production.name),
        text=f"Requests · {production.name}",
        response_type="ephemeral",
    )
