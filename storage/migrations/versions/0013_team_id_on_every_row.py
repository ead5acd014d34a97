"""team id on every row of a workspace, held equal to its parent's by the keys

Revision ID: 0013
Revises: 0012

Every table whose rows belong to a workspace gets `team_id`, the Slack team id of that
workspace, filled in from the row's parent (`production.workspace_id -> workspace.team_id`,
then down each chain). Each parent gets UNIQUE (id, team_id), and each key to a parent becomes
(parent_id, team_id) -> parent (id, team_id), with the same name and ON DELETE: the database
refuses a row whose team id is not its parent's. The two ON DELETE SET NULL keys
(`coordinator_request.scene_id`, `private_note.scene_id`) stay on the scene id alone: SQLite
would null the team id with it, and those rows take their team id from the production.

On SQLite, batch mode rebuilds each table; `env.py` turns foreign keys off for the migration,
so dropping an old table does not delete the rows that hang off it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "production": (("workspace_id", "workspace"),),
    "member": (("production_id", "production"),),
    "cast_entry": (("production_id", "production"),),
    "scene": (("production_id", "production"),),
    "scene_cast": (("scene_id", "scene"), ("cast_entry_id", "cast_entry")),
    "pending_import": (("production_id", "production"),),
    "checklist_item": (("production_id", "production"),),
    "boundary_answer": (("production_id", "production"), ("scene_id", "scene")),
    "delivery": (("production_id", "production"), ("scene_id", "scene")),
    "coordinator_request": (("production_id", "production"),),
    "request_version": (("request_id", "coordinator_request"),),
    "request_post": (("request_id", "coordinator_request"),),
    "request_ack": (("post_id", "request_post"),),
    "private_note": (("production_id", "production"),),
    "checkin_round": (("production_id", "production"), ("scene_id", "scene")),
    "checkin_answer": (("round_id", "checkin_round"),),
    "closure_answer": (("production_id", "production"), ("scene_id", "scene")),
}
"""Each table, parents before children: its keys to a parent, the first the one its team id
is filled in from."""

PARENTS = (
    "workspace",
    "production",
    "cast_entry",
    "scene",
    "coordinator_request",
    "request_post",
    "checkin_round",
)
"""The tables a key refers to: UNIQUE (id, team_id)."""


def _fk(table: str, column: str, parent: str) -> str:
    return f"fk_{table}_{column}_{parent}"


def upgrade() -> None:
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.add_column(sa.Column("team_id", sa.String(length=32), nullable=True))
        column, parent = keys[0]
        rows = sa.table(table, sa.column("team_id"), sa.column(column))
        parents = sa.table(parent, sa.column("id"), sa.column("team_id"))
        op.execute(
            rows.update().values(
                team_id=sa.select(parents.c.team_id)
                .where(parents.c.id == rows.c[column])
                .scalar_subquery()
            )
        )
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_workspace_id_team", ["id", "team_id"])
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("team_id", existing_type=sa.String(length=32), nullable=False)
            if table in PARENTS:
                batch_op.create_unique_constraint(f"uq_{table}_id_team", ["id", "team_id"])
            for column, parent in keys:
                batch_op.drop_constraint(_fk(table, column, parent), type_="foreignkey")
                batch_op.create_foreign_key(
                    _fk(table, column, parent),
                    parent,
                    [column, "team_id"],
                    ["id", "team_id"],
                    ondelete="CASCADE",
                )


def downgrade() -> None:
    for table, keys in reversed(KEYS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, parent in keys:
                batch_op.drop_constraint(_fk(table, column, parent), type_="foreignkey")
                batch_op.create_foreign_key(
                    _fk(table, column, parent), parent, [column], ["id"], ondelete="CASCADE"
                )
            if table in PARENTS:
                batch_op.drop_constraint(f"uq_{table}_id_team", type_="unique")
            batch_op.drop_column("team_id")
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_constraint("uq_workspace_id_team", type_="unique")
