"""retention: a production's retention period, and the daily purge's claim

Revision ID: 0011
Revises: 0010

`production.retention_days`: content is kept until this many days after the production's last
shoot day (`storage.purge`). `purge_run` holds one row per day the daily purge ran: the row is
the claim that makes it run once a day across several instances.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("production", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("retention_days", sa.Integer(), server_default="30", nullable=False)
        )
    op.create_table(
        "purge_run",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("instance", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_purge_run")),
    )


def downgrade() -> None:
    op.drop_table("purge_run")
    with op.batch_alter_table("production", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("retention_days")
