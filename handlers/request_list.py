"""The coordinator's list of their requests and who acknowledged each: from
`/closedset requests`, and again after a Withdraw in it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from handlers.blocks.requests import requests_list
from storage.models import CoordinatorRequest, RequestPost


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
