"""Who may do what: every handler asks here before it reads or changes a production."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.orm import Session

from storage.models import Production, Role
from storage.productions import productions_of, roles_of

MANAGERS = (Role.COORDINATOR, Role.ADMIN)
ROLE_NAMES = {
    Role.COORDINATOR: "coordinator",
    Role.AD: "assistant director",
    Role.PERFORMER: "performer",
    Role.ADMIN: "admin",
}


def _a(role_names: str) -> str:
    return f"{'an' if role_names[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {role_names}"


class Refusal(Exception):
    """The caller may not do this; `str()` says why, kindly, and is shown to them only."""


_IN = re.compile(r"\s+in\s+(.+)$", re.IGNORECASE)


def split_production(text: str) -> tuple[str, str | None]:
    """'42A in Night Shift' → ('42A', 'Night Shift'); '42A' → ('42A', None)."""
    match = _IN.search(text)
    if not match:
        return text.strip(), None
    return text[: match.start()].strip(), match.group(1).strip().strip('"')


def pick_production(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    roles: Iterable[Role],
    name: str | None,
    doing: str,
) -> Production:
    """The one production in which the caller holds one of `roles` (named by `name` when the
    caller is in several), or a Refusal that says what to do."""
    wanted = tuple(roles)
    mine = productions_of(session, team_id=team_id, user_id=user_id, roles=wanted)
    if name is not None:
        for production in mine:
            if production.name.casefold() == name.casefold():
                return production
    if len(mine) == 1 and name is None:
        return mine[0]
    needed = " or ".join(ROLE_NAMES[r] for r in wanted)
    if not mine:
        return _refuse_none(session, team_id=team_id, user_id=user_id, needed=needed, doing=doing)
    names = ", ".join(p.name for p in mine)
    if name is not None:
        raise Refusal(f"You are not {_a(needed)} of a production called '{name}' (yours: {names}).")
    raise Refusal(
        f"You are {_a(needed)} of several productions ({names}). Add which one, e.g. "
        f"`... in {mine[0].name}`."
    )


def _refuse_none(
    session: Session, *, team_id: str, user_id: str, needed: str, doing: str
) -> Production:
    if productions_of(session, team_id=team_id, user_id=user_id):
        raise Refusal(f"Only {_a(needed)} can {doing}. Ask your intimacy coordinator.")
    raise Refusal(
        f"Only {_a(needed)} can {doing}, and you are not in a production yet. A coordinator "
        "starts one with `/closedset setup`."
    )


def require(
    session: Session,
    *,
    production: Production,
    team_id: str,
    user_id: str,
    roles: Iterable[Role],
    doing: str,
) -> set[Role]:
    """Check a role on an already-known production (e.g. from a button's ids), for the user
    `user_id` of workspace `team_id` (the verified request's). The refusal names the production
    only to someone in it: ids in a button or modal may have been put there by someone else,
    and an outsider learns nothing of a production from them. A production of another
    workspace is refused as to an outsider, whatever roles the same user id holds there: in an
    Enterprise Grid organization one user id is a member of several workspaces."""
    wanted = tuple(roles)
    ours = bool(team_id) and production.workspace.team_id == team_id
    held = roles_of(session, production_id=production.id, user_id=user_id) if ours else set()
    if not held.intersection(wanted):
        needed = " or ".join(ROLE_NAMES[r] for r in wanted)
        which = production.name if held else "this production"
        raise Refusal(f"Only {_a(needed)} of {which} can {doing}.")
    return held
