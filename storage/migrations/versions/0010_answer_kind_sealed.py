"""answer kind sealed; a production's hold as columns

Revision ID: 0010
Revises: 0009

`boundary_answer.kind` (confirmed, changes, talk, withdrawn) sat in plaintext beside
`performer_id`: it becomes `kind_ct`, sealed with the install's encryption key like
`boundaries_ct`. `boundaries_ct`, set only on "changes", told the kind by being NULL or not,
and by its length: every answer gets one now, padded (`storage.boundaries.PAD`). Existing rows
are sealed here, so the migration needs the cipher: `storage.db.upgrade` passes it (`closedset
serve`, `closedset db upgrade` and `alembic` run by hand all load the configured key); a
database with answers and no key stops with a message saying so, before anything changed. The
plaintext column is dropped in the same transaction.

`production.held`, `vouched_at` and `vouched_by`: whether a production waits for someone the
workspace trusts (`bot.roles`), kept until now only as audit events, which the retention purge
may delete. They are filled in from those events.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from bot.config import ConfigError
from storage.types import UTCDateTime

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("confirmed", "changes", "talk", "withdrawn")

PAD = 2048  # as `storage.boundaries.PAD` when written

answers = sa.table(
    "boundary_answer",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("kind_ct", sa.LargeBinary()),
    sa.column("boundaries_ct", sa.LargeBinary()),
)
productions = sa.table(
    "production",
    sa.column("id", sa.Integer()),
    sa.column("held", sa.Boolean()),
    sa.column("vouched_at", UTCDateTime()),
    sa.column("vouched_by", sa.String()),
)
events = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("production_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("at", UTCDateTime()),
)


def _cipher() -> Any:
    cipher = context.config.attributes.get("cipher")
    if cipher is None:
        raise ConfigError(
            "migration 0010 seals stored answers and needs the encryption key: run "
            "`closedset db upgrade` with CLOSEDSET_ENCRYPTION_KEY set (or the key file beside "
            "a SQLite database)."
        )
    return cipher


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(answers.c.id, answers.c.kind, answers.c.boundaries_ct)).all()
    cipher = _cipher() if rows else None  # before any change: SQLite's DDL is not rolled back
    with op.batch_alter_table("boundary_answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind_ct", sa.LargeBinary(), nullable=True))
    if cipher is not None:
        for answer_id, kind, token in rows:
            stated = "null" if token is None else cipher.decrypt(bytes(token))
            padded = stated + " " * (-len(stated.encode("utf-8")) % PAD)
            bind.execute(
                answers.update()
                .where(answers.c.id == answer_id)
                .values(kind_ct=cipher.encrypt(str(kind)), boundaries_ct=cipher.encrypt(padded))
            )
    with op.batch_alter_table("boundary_answer", schema=None) as batch_op:
        batch_op.alter_column("kind_ct", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("kind")

    with op.batch_alter_table("production", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("held", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("vouched_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("vouched_by", sa.String(length=32), nullable=True))
    found = bind.execute(
        sa.select(events.c.production_id, events.c.action, events.c.actor, events.c.at)
        .where(
            events.c.production_id.is_not(None),
            events.c.action.in_(("production.held", "production.vouched")),
        )
        .order_by(events.c.id)
    ).all()
    held: set[int] = set()
    vouched: dict[int, tuple[str, Any]] = {}
    for production_id, action, actor, at in found:
        if action == "production.held":
            held.add(production_id)
        else:
            vouched[production_id] = (actor, at)  # the latest wins
    for production_id in held - set(vouched):
        bind.execute(
            productions.update().where(productions.c.id == production_id).values(held=True)
        )
    for production_id, (actor, at) in vouched.items():
        bind.execute(
            productions.update()
            .where(productions.c.id == production_id)
            .values(vouched_at=at, vouched_by=actor[:32])
        )


def downgrade() -> None:
    """The kind is opened back into plaintext (with the key, as above); the hold stays in the
    audit events it was read from."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(answers.c.id, answers.c.kind_ct, answers.c.boundaries_ct)).all()
    cipher = _cipher() if rows else None
    # In place (SQLite 3.35+ drops columns itself): recreating `production` would drop the
    # old table, and with foreign keys on that deletes every row that hangs off it.
    with op.batch_alter_table("production", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("vouched_by")
        batch_op.drop_column("vouched_at")
        batch_op.drop_column("held")
    with op.batch_alter_table("boundary_answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
    if cipher is not None:
        for answer_id, token, stated in rows:
            text = cipher.decrypt(bytes(stated)).strip() if stated is not None else "null"
            bind.execute(
                answers.update()
                .where(answers.c.id == answer_id)
                .values(
                    kind=cipher.decrypt(bytes(token)),
                    boundaries_ct=None if text == "null" else cipher.encrypt(text),
                )
            )
    with op.batch_alter_table("boundary_answer", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=32),
            type_=sa.Enum(*KINDS, name="answerkind", native_enum=False, length=32),
            nullable=False,
        )
        batch_op.drop_column("kind_ct")
