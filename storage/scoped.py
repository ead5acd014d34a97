"""The one way from an id in a payload to a row: only through the workspace that sent it.

A button's value or a modal's `private_metadata` is written by us but comes back from Slack in
a request anyone in any workspace can send with any ids in it. Slack user ids are not unique
across the workspaces of an Enterprise Grid organization (the same `U…` is a member of each),
so a role check by user id alone would let a coordinator of workspace A act on A's production
from workspace B. `owned` answers a row only when its own `team_id` is the verified request's
(every workspace-owned row carries it, and the database holds it equal to its parent's, up to
the workspace: migration 0013); a row of another workspace is, to the caller, a row that does
not exist.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, contains_eager

from storage.models import (
    BoundaryAnswer,
    CheckinRound,
    ChecklistItem,
    ClosureAnswer,
    CoordinatorRequest,
    Delivery,
    PendingImport,
    PrivateNote,
    Production,
    RequestPost,
    Scene,
    Workspace,
)

Row = TypeVar("Row")

_BY_PRODUCTION: tuple[Any, ...] = (
    Scene,
    CoordinatorRequest,
    PrivateNote,
    CheckinRound,
    PendingImport,
    Delivery,
    BoundaryAnswer,
    ChecklistItem,
    ClosureAnswer,
)
"""Rows that name their production themselves."""
_WITH_PRODUCTION: tuple[Any, ...] = (Scene, CoordinatorRequest, PendingImport)
"""Of them, those with a `production` relationship."""


_STATEMENTS: dict[tuple[Any, bool], Select[Any]] = {}
"""`_query`'s statements, built once per (model, fresh): they are on every click's path. (Two
threads may both build one at first; either result is the same.)"""


def _query(model: Any, fresh: bool) -> Select[Any]:
    found = _STATEMENTS.get((model, fresh))
    if found is None:
        found = _STATEMENTS[model, fresh] = _build(model, fresh)
    return found


def _build(model: Any, fresh: bool) -> Select[Any]:
    """The row, by its id and its own team id (bound parameters `row_id` and `team_id`).
    Where the row has relationships to its production and workspace, they are filled from the
    same query (the role check that follows reads `production.workspace` without another
    round trip)."""
    query: Select[Any] = select(model)
    if model is Production:
        query = query.join(Workspace, Workspace.id == Production.workspace_id).options(
            contains_eager(Production.workspace)
        )
    elif model is RequestPost:
        query = (
            query.join(CoordinatorRequest, CoordinatorRequest.id == RequestPost.request_id)
            .join(Production, Production.id == CoordinatorRequest.production_id)
            .join(Workspace, Workspace.id == Production.workspace_id)
            .options(
                contains_eager(RequestPost.request)
                .contains_eager(CoordinatorRequest.production)
                .contains_eager(Production.workspace)
            )
        )
    elif model in _WITH_PRODUCTION:
        query = (
            query.join(Production, Production.id == model.production_id)
            .join(Workspace, Workspace.id == Production.workspace_id)
            .options(contains_eager(model.production).contains_eager(Production.workspace))
        )
    elif model not in _BY_PRODUCTION:
        raise TypeError(f"{model.__name__} does not belong to a production")
    query = query.where(
        model.id == bindparam("row_id"),
        model.team_id == bindparam("team_id"),
    )
    return query.execution_options(populate_existing=True) if fresh else query


def owned(
    session: Session,
    model: type[Row],
    row_id: int | str | None,
    *,
    team_id: str,
    fresh: bool = False,
) -> Row | None:
    """The `model` row with id `row_id` that belongs to workspace `team_id`, else None
    (also for a missing or malformed id, and an empty `team_id`). `fresh`: re-read it even if
    the session holds it (`populate_existing`), for a row another request may have changed."""
    if row_id is None or not team_id:
        return None
    if isinstance(row_id, str):
        if not row_id.isdigit():
            return None
        row_id = int(row_id)
    if not 0 < row_id < 2**31:  # PostgreSQL's integer: a larger id is no row, not an error
        return None
    found: Row | None = session.scalar(_query(model, fresh), {"row_id": row_id, "team_id": team_id})
    return found
