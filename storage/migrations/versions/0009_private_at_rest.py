"""private at rest: the install secret for keyed hashes, Slack profile names on the cast list

Revision ID: 0009
Revises: 0008

The install secret is made on first use, sealed with the encryption key (the migration has
no cipher). Delivery keys already stored stay as they were: they are only looked up by the
key that made them, and new ones are stored hashed (`storage.secrets.opaque_key`). The
profile names are filled in at the next roster resolution (a cast import).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "install_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_ct", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_install_secret")),
    )
    with op.batch_alter_table("cast_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_real_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("slack_display_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cast_entry", schema=None) as batch_op:
        batch_op.drop_column("slack_display_name")
        batch_op.drop_column("slack_real_name")
    op.drop_table("install_secret")
