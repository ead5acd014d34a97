"""installations: the app installed in several workspaces ("Add to Slack"), and OAuth states

Revision ID: 0012
Revises: 0011

`slack_installation`: one row per workspace that installed the app in OAuth mode, its tokens
sealed with the encryption key (`storage.installations`). `oauth_state`: the state of each
"Add to Slack" visit, consumed once, within 10 minutes. A single-workspace deployment
(`SLACK_BOT_TOKEN`) leaves both empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("team_name", sa.String(length=200), nullable=True),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("enterprise_name", sa.String(length=200), nullable=True),
        sa.Column("app_id", sa.String(length=32), nullable=True),
        sa.Column("bot_id", sa.String(length=32), nullable=True),
        sa.Column("bot_user_id", sa.String(length=32), nullable=True),
        sa.Column("bot_scopes", sa.String(length=1000), nullable=True),
        sa.Column("bot_token_ct", sa.LargeBinary(), nullable=False),
        sa.Column("bot_refresh_token_ct", sa.LargeBinary(), nullable=True),
        sa.Column("bot_token_expires_at", UTCDateTime(), nullable=True),
        sa.Column("installer_id", sa.String(length=32), nullable=True),
        sa.Column("user_token_ct", sa.LargeBinary(), nullable=True),
        sa.Column("user_refresh_token_ct", sa.LargeBinary(), nullable=True),
        sa.Column("user_token_expires_at", UTCDateTime(), nullable=True),
        sa.Column("user_scopes", sa.String(length=1000), nullable=True),
        sa.Column("installed_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installation")),
        sa.UniqueConstraint("team_id", name=op.f("uq_slack_installation_team_id")),
    )
    op.create_table(
        "oauth_state",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_oauth_state")),
    )
    with op.batch_alter_table("oauth_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_state_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oauth_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_state_expires_at"))
    op.drop_table("oauth_state")
    op.drop_table("slack_installation")
