"""real schedules: undecided intimacy, night shoots, cast not on Slack, date order

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 20:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("production", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_order", sa.String(length=3), nullable=True))

    with op.batch_alter_table("cast_entry", schema=None) as batch_op:
        batch_op.alter_column("slack_user_id", existing_type=sa.String(length=32), nullable=True)

    with op.batch_alter_table("scene", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("intimacy_undecided", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("after_midnight", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("day_call", sa.Time(), nullable=True))
        # JSONB on PostgreSQL: comparable, so scenes can still be selected DISTINCT.
        batch_op.add_column(
            sa.Column(
                "unlisted_cast",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                server_default="[]",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "in_person",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                server_default="{}",
                nullable=False,
            )
        )


def downgrade() -> None:
    """Downgrade schema. Cast members without a Slack account are dropped from the cast list
    first: the older schema requires one."""
    with op.batch_alter_table("scene", schema=None) as batch_op:
        batch_op.drop_column("in_person")
        batch_op.drop_column("unlisted_cast")
        batch_op.drop_column("day_call")
        batch_op.drop_column("after_midnight")
        batch_op.drop_column("intimacy_undecided")

    op.execute("DELETE FROM cast_entry WHERE slack_user_id IS NULL")
    with op.batch_alter_table("cast_entry", schema=None) as batch_op:
        batch_op.alter_column("slack_user_id", existing_type=sa.String(length=32), nullable=False)

    with op.batch_alter_table("production", schema=None) as batch_op:
        batch_op.drop_column("date_order")
