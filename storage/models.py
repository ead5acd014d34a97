"""The schema. Migrations under `storage/migrations` are its source of truth in databases;
`alembic check` in the tests keeps the two from drifting.

Anything a performer answers or writes, and a scene's planned content and synopsis, is held
only as ciphertext (`*_ct` columns, see `storage.secrets`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, object_session, relationship

from bot.delivery.kinds import DeliveryKind as DeliveryKind  # re-exported: rows store it
from bot.delivery.kinds import DeliveryStatus as DeliveryStatus
from bot.reminders import DEFAULT_DIGEST, DEFAULT_OFFSETS
from bot.setup import CLOSED_SET_TEXT
from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _team_id() -> Mapped[str]:
    """The Slack team id of the workspace the row belongs to: equal to its parent's, which
    the database holds to (`_owned_by`), so a query can scope a row by its own column."""
    return mapped_column(String(32))


def _team_key(table: str) -> UniqueConstraint:
    """UNIQUE (id, team_id): what a child's `_owned_by` key refers to."""
    return UniqueConstraint("id", "team_id", name=f"uq_{table}_id_team")


def _owned_by(column: str, parent: str, ondelete: str = "CASCADE") -> ForeignKeyConstraint:
    """(column, team_id) -> parent (id, team_id): the row's team id is its parent's. (A
    SET NULL key stays on `column` alone: SQLite would null the team id with it.)"""
    return ForeignKeyConstraint(
        [column, "team_id"], [f"{parent}.id", f"{parent}.team_id"], ondelete=ondelete
    )


class Role(enum.StrEnum):
    COORDINATOR = "coordinator"
    AD = "ad"
    PERFORMER = "performer"
    ADMIN = "admin"


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        length=32,
        validate_strings=True,
    )


class Workspace(Base):
    __tablename__ = "workspace"
    __table_args__ = (_team_key("workspace"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    productions: Mapped[list[Production]] = relationship(
        back_populates="workspace",
        cascade="all, delete-orphan",
        primaryjoin="Workspace.id == Production.workspace_id",
        foreign_keys="Production.workspace_id",
    )


class Production(Base):
    __tablename__ = "production"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name", name="uq_production_name"),
        _team_key("production"),
        _owned_by("workspace_id", "workspace"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    workspace_id: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(120))
    time_zone: Mapped[str] = mapped_column(String(64))
    ad_channel_id: Mapped[str | None] = mapped_column(String(32))
    lead_minutes: Mapped[int] = mapped_column(Integer, default=48 * 60)
    nudge_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    escalation_minutes: Mapped[int] = mapped_column(Integer, default=12 * 60)
    default_call: Mapped[time] = mapped_column(Time, default=time(7, 0))
    intimacy_category: Mapped[str | None] = mapped_column(String(120))
    date_order: Mapped[str | None] = mapped_column(String(3))
    """How slashed dates a schedule file does not settle are read: "dmy" or "mdy"; None until
    a coordinator chooses (the command line then follows the time zone, Slack asks)."""
    move_tolerance_minutes: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    quiet_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    checkin_window_minutes: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    """After this long, a check-in prompt left unanswered shows as "no answer"."""
    closure_after_minutes: Mapped[int] = mapped_column(Integer, default=240, server_default="240")
    """A scene counts as wrapped this long after its start, unless marked wrapped earlier."""
    retention_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    """Answers, notes and planned content are kept this many days after the last shoot day
    (`storage.purge`)."""
    """A request about a scene a performer answered within this long is offered a hold-back."""
    department_channels: Mapped[list[str]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=list, server_default="[]"
    )
    """Channel ids offered first in the request modal. (JSONB on PostgreSQL: comparable, so a
    production can be selected DISTINCT.)"""
    reminder_offsets: Mapped[str] = mapped_column(
        String(200), default=DEFAULT_OFFSETS, server_default=DEFAULT_OFFSETS
    )
    """When ADs are reminded of each intimate scene (see `bot.reminders`)."""
    reminders_by_dm: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    digest_at: Mapped[time] = mapped_column(Time, default=DEFAULT_DIGEST, server_default="18:00:00")
    closed_set_text: Mapped[str] = mapped_column(
        Text, default=CLOSED_SET_TEXT, server_default=CLOSED_SET_TEXT
    )
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """Nobody the workspace trusts has vouched for it yet: its performers are asked nothing
    and it hears nothing from them (`bot.roles`, `storage.vouches`)."""
    vouched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    vouched_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Relationships join on the id alone (the key also holds team_id, equal on both sides):
    # a many-to-one is then found in the identity map without a query, and team_id is set
    # where a row is made, from its parent.
    workspace: Mapped[Workspace] = relationship(
        back_populates="productions",
        primaryjoin="Workspace.id == Production.workspace_id",
        foreign_keys=workspace_id,
    )
    members: Mapped[list[Member]] = relationship(
        back_populates="production",
        cascade="all, delete-orphan",
        primaryjoin="Production.id == Member.production_id",
        foreign_keys="Member.production_id",
    )
    cast_entries: Mapped[list[CastEntry]] = relationship(
        back_populates="production",
        cascade="all, delete-orphan",
        order_by="CastEntry.id",
        primaryjoin="Production.id == CastEntry.production_id",
        foreign_keys="CastEntry.production_id",
    )
    scenes: Mapped[list[Scene]] = relationship(
        back_populates="production",
        cascade="all, delete-orphan",
        primaryjoin="Production.id == Scene.production_id",
        foreign_keys="Scene.production_id",
    )


class Member(Base):
    """One role of one Slack user in one production (a person may hold several)."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("production_id", "slack_user_id", "role", name="uq_member_role"),
        _owned_by("production_id", "production"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))

    production: Mapped[Production] = relationship(
        back_populates="members",
        primaryjoin="Production.id == Member.production_id",
        foreign_keys=production_id,
    )


class CastEntry(Base):
    __tablename__ = "cast_entry"
    __table_args__ = (
        UniqueConstraint("production_id", "cast_number", name="uq_cast_entry_number"),
        _team_key("cast_entry"),
        _owned_by("production_id", "production"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    cast_number: Mapped[str] = mapped_column(String(16))
    character: Mapped[str] = mapped_column(String(200), default="")
    performer_name: Mapped[str] = mapped_column(String(200))
    slack_user_id: Mapped[str | None] = mapped_column(String(32))
    """None for someone not on Slack (a child, a day player): never asked in Slack, so each of
    their intimate scenes is a to-do for the coordinator instead."""
    slack_handle: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    slack_real_name: Mapped[str | None] = mapped_column(String(200))
    slack_display_name: Mapped[str | None] = mapped_column(String(200))
    """The Slack profile's names, refreshed whenever the roster is resolved: a request must
    not name a performer by any name they go by."""

    production: Mapped[Production] = relationship(
        back_populates="cast_entries",
        primaryjoin="Production.id == CastEntry.production_id",
        foreign_keys=production_id,
    )


class SceneCast(Base):
    __tablename__ = "scene_cast"
    __table_args__ = (_owned_by("scene_id", "scene"), _owned_by("cast_entry_id", "cast_entry"))

    scene_id: Mapped[int] = mapped_column(primary_key=True)
    cast_entry_id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    """Both keys hold it: a scene's cast is of its own workspace."""


class Scene(Base):
    """A scene on the shooting schedule. `revision` grows whenever its planned content changes:
    confirmations and prompts hang on (scene, revision)."""

    __tablename__ = "scene"
    __table_args__ = (
        UniqueConstraint("production_id", "number", name="uq_scene_number"),
        _team_key("scene"),
        _owned_by("production_id", "production"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    number: Mapped[str] = mapped_column(String(32))
    shoot_date: Mapped[date] = mapped_column(Date)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    start_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    start_time_override: Mapped[time | None] = mapped_column(Time)
    after_midnight: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """It starts after midnight of its shoot day (a night shoot): `shoot_date` is the calendar
    date of the start, the working day the one before."""
    day_call: Mapped[time | None] = mapped_column(Time)
    """The time its working day is reckoned from (the call, as the schedule gave it): a start
    time set by hand earlier than this falls on the next calendar date."""
    set_name: Mapped[str] = mapped_column(String(200), default="")
    synopsis_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    intimacy: Mapped[bool] = mapped_column(Boolean, default=False)
    intimacy_undecided: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """The schedule said neither yes nor no (`TBD`, `?`): `intimacy` is then True, so the
    performers are asked, until a coordinator decides."""
    intimacy_by_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    planned_content_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    planned_content_by_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_set: Mapped[bool | None] = mapped_column(Boolean)
    unlisted_cast: Mapped[list[str]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=list, server_default="[]"
    )
    """Cast numbers the schedule gives that the cast list does not have: nobody can ask them in
    Slack, so they are the coordinator's to-do, like cast members without a Slack account.
    (JSONB on PostgreSQL, as below: comparable, so scenes can be selected DISTINCT.)"""
    in_person: Mapped[dict[str, int]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict, server_default="{}"
    )
    """Cast number → the revision a coordinator confirmed in person with someone who cannot be
    asked in Slack (a newer revision needs it again)."""
    signed_off_revision: Mapped[int | None] = mapped_column(Integer)
    """The revision the coordinator signed off: the sign-off holds while it is current, so a
    lapse (the revision grows) takes it back by itself."""
    signed_off_by: Mapped[str | None] = mapped_column(String(32))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=1)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    production: Mapped[Production] = relationship(
        back_populates="scenes",
        primaryjoin="Production.id == Scene.production_id",
        foreign_keys=production_id,
    )
    cast: Mapped[list[CastEntry]] = relationship(
        secondary="scene_cast", order_by="CastEntry.id", viewonly=False
    )
    """Joined on (id, team_id) both sides, by the keys: a link written here takes its team id
    from the scene and the cast entry."""

    @property
    def signed_off(self) -> bool:
        return self.signed_off_revision == self.revision

    @property
    def is_closed_set(self) -> bool:
        """Closed set unless the coordinator said otherwise: intimate scenes are closed."""
        return self.intimacy if self.closed_set is None else self.closed_set


class ImportStatus(enum.StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    CANCELLED = "cancelled"


class PendingImport(Base):
    """A parsed file waiting for the coordinator's Apply. The parsed content is encrypted (it
    holds planned content); `base_digest` is the schedule/roster state it was previewed on."""

    __tablename__ = "pending_import"
    __table_args__ = (_owned_by("production_id", "production"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(32))
    payload_ct: Mapped[bytes] = mapped_column(LargeBinary)
    base_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[ImportStatus] = mapped_column(_enum(ImportStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    production: Mapped[Production] = relationship(
        primaryjoin="Production.id == PendingImport.production_id", foreign_keys=production_id
    )


class AuditEvent(Base):
    """Who did or read what, when. `detail` holds ids and counts only, never content."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    team_id: Mapped[str] = mapped_column(String(32))
    production_id: Mapped[int | None] = mapped_column(
        ForeignKey("production.id", ondelete="CASCADE"), index=True
    )
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ProcessedEvent(Base):
    """Events API deliveries already handled, by `event_id`, so Slack's retries do nothing."""

    __tablename__ = "processed_event"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ChecklistItem(Base):
    """One item of a production's boundary checklist (kissing, nudity level, ...), in order.
    Items are retired, not deleted, so earlier answers keep their labels."""

    __tablename__ = "checklist_item"
    __table_args__ = (_owned_by("production_id", "production"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(150))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AnswerKind(enum.StrEnum):
    CONFIRMED = "confirmed"
    CHANGES = "changes"
    TALK = "talk"
    WITHDRAWN = "withdrawn"


class BoundaryAnswer(Base):
    """One answer of one performer about one scene, at the scene's revision then. Answers are
    only ever added: the latest at the scene's current revision is the performer's state, and
    `boundaries_ct` (encrypted JSON: checklist answers and free text) states boundaries on
    CHANGES, making it the performer's newest version of their boundaries for the scene. Every
    answer has a `boundaries_ct`, padded (a sealed `null` when it states none: see
    `storage.boundaries.PAD`), so which answers asked for changes shows neither by a NULL nor
    by the length."""

    __tablename__ = "boundary_answer"
    __table_args__ = (_owned_by("production_id", "production"), _owned_by("scene_id", "scene"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    scene_id: Mapped[int] = mapped_column(index=True)
    performer_id: Mapped[str] = mapped_column(String(32), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    kind_ct: Mapped[bytes] = mapped_column(LargeBinary)
    """The `AnswerKind`, sealed (`storage.boundaries.record`): what a performer answered is
    never stored in plaintext beside who answered. Every kind seals to the same length (one
    cipher block), so the length tells nothing either."""
    boundaries_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def kind(self) -> AnswerKind:
        """The kind, opened with the cipher of the session the row belongs to (the one
        `storage.secrets` uses; not imported from there, which imports this module)."""
        cached = self.__dict__.get("_kind")
        if cached is not None and cached[0] is self.kind_ct:
            return cached[1]  # type: ignore[no-any-return]
        session = object_session(self)
        cipher = session.info.get("cipher") if session is not None else None
        if cipher is None:
            raise RuntimeError("the answer is not in a session made with a cipher")
        kind = AnswerKind(cipher.decrypt(self.kind_ct))
        self.__dict__["_kind"] = (self.kind_ct, kind)
        return kind


class Delivery(Base):
    """A message the app has to send: what, to whom, when and why. The single source of truth
    for everything sent on a schedule or on behalf of a performer (see `bot.delivery`).

    `key` names the thing once (kind, scene, revision, recipient...): planning the same thing
    twice finds the row already there, so nothing is ever sent twice for the same thing."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_status_due", "status", "due_at"),
        _owned_by("production_id", "production"),
        _owned_by("scene_id", "scene"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    """The workspace whose token sends it."""
    key: Mapped[str] = mapped_column(String(200), unique=True)
    production_id: Mapped[int] = mapped_column(index=True)
    scene_id: Mapped[int | None] = mapped_column(index=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[DeliveryKind] = mapped_column(_enum(DeliveryKind))
    recipient: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """After a failed attempt: when to try again (`due_at` keeps the planned time)."""
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    scene: Mapped[Scene | None] = relationship(
        primaryjoin="Scene.id == Delivery.scene_id", foreign_keys=scene_id
    )


class DispatcherInstance(Base):
    """A running dispatcher, so claims of one that died can be taken over (`bot.delivery`)."""

    __tablename__ = "dispatcher_instance"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RequestStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class CoordinatorRequest(Base):
    """A request the coordinator posts to department channels, in their own name: no
    performer, and no link to the note or answer it may have come from."""

    __tablename__ = "coordinator_request"
    __table_args__ = (_team_key("coordinator_request"), _owned_by("production_id", "production"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    scene_id: Mapped[int | None] = mapped_column(
        ForeignKey("scene.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    allow_ping: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus))
    post_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edits: Mapped[int] = mapped_column(Integer, default=0)

    production: Mapped[Production] = relationship(
        primaryjoin="Production.id == CoordinatorRequest.production_id",
        foreign_keys=production_id,
    )
    scene: Mapped[Scene | None] = relationship()
    posts: Mapped[list[RequestPost]] = relationship(
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="RequestPost.id",
        primaryjoin="CoordinatorRequest.id == RequestPost.request_id",
        foreign_keys="RequestPost.request_id",
    )

    @property
    def title(self) -> str:
        """The first line, short: what AD reminders list."""
        first = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return first if len(first) <= 80 else first[:79] + "…"


class RequestVersion(Base):
    """Each text a request has had, for the audit trail: encrypted, like everything typed that
    might, before a rewording, have said more than it should."""

    __tablename__ = "request_version"
    __table_args__ = (
        UniqueConstraint("request_id", "number", name="uq_request_version_number"),
        _owned_by("request_id", "coordinator_request"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    request_id: Mapped[int] = mapped_column(index=True)
    number: Mapped[int] = mapped_column(Integer)
    text_ct: Mapped[bytes] = mapped_column(LargeBinary)
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class RequestPost(Base):
    """The request in one channel: its message, once posted, and who acknowledged it."""

    __tablename__ = "request_post"
    __table_args__ = (
        UniqueConstraint("request_id", "channel_id", name="uq_request_post_channel"),
        _team_key("request_post"),
        _owned_by("request_id", "coordinator_request"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    request_id: Mapped[int] = mapped_column(index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[CoordinatorRequest] = relationship(
        back_populates="posts",
        primaryjoin="CoordinatorRequest.id == RequestPost.request_id",
        foreign_keys=request_id,
    )
    acks: Mapped[list[RequestAck]] = relationship(
        back_populates="post",
        cascade="all, delete-orphan",
        order_by="RequestAck.id",
        primaryjoin="RequestPost.id == RequestAck.post_id",
        foreign_keys="RequestAck.post_id",
    )


class RequestAck(Base):
    __tablename__ = "request_ack"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id", name="uq_request_ack_user"),
        _owned_by("post_id", "request_post"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    post_id: Mapped[int] = mapped_column(index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    post: Mapped[RequestPost] = relationship(
        back_populates="acks",
        primaryjoin="RequestPost.id == RequestAck.post_id",
        foreign_keys=post_id,
    )


class PrivateNote(Base):
    """A performer's note to the coordinators, encrypted; optionally about a scene."""

    __tablename__ = "private_note"
    __table_args__ = (_owned_by("production_id", "production"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    scene_id: Mapped[int | None] = mapped_column(
        ForeignKey("scene.id", ondelete="SET NULL"), index=True
    )
    performer_id: Mapped[str] = mapped_column(String(32), index=True)
    text_ct: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class CheckinRound(Base):
    """One on-set check-in of a scene's performers (take 1, 2, ...). Only the newest round of
    a scene takes answers; `live` holds each coordinator's live message (channel, ts)."""

    __tablename__ = "checkin_round"
    __table_args__ = (
        UniqueConstraint("scene_id", "number", name="uq_checkin_round_number"),
        _team_key("checkin_round"),
        _owned_by("production_id", "production"),
        _owned_by("scene_id", "scene"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    scene_id: Mapped[int] = mapped_column(index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    performers: Mapped[list[str]] = mapped_column(JSON, default=list)
    live: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    scene: Mapped[Scene] = relationship(
        primaryjoin="Scene.id == CheckinRound.scene_id", foreign_keys=scene_id
    )


class CheckinAnswer(Base):
    """A performer's answer in a round (the latest tap counts), encrypted."""

    __tablename__ = "checkin_answer"
    __table_args__ = (
        UniqueConstraint("round_id", "performer_id", name="uq_checkin_answer_performer"),
        _owned_by("round_id", "checkin_round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    round_id: Mapped[int] = mapped_column(index=True)
    performer_id: Mapped[str] = mapped_column(String(32))
    answer_ct: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClosureAnswer(Base):
    """How the scene went, for one performer (the latest answer counts), encrypted."""

    __tablename__ = "closure_answer"
    __table_args__ = (
        UniqueConstraint("scene_id", "performer_id", name="uq_closure_answer_performer"),
        _owned_by("production_id", "production"),
        _owned_by("scene_id", "scene"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = _team_id()
    production_id: Mapped[int] = mapped_column(index=True)
    scene_id: Mapped[int] = mapped_column(index=True)
    performer_id: Mapped[str] = mapped_column(String(32))
    answer_ct: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class DmNotice(Base):
    """Someone was told, once, that text typed into the bot's DM is not kept (and why)."""

    __tablename__ = "dm_notice"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class InstallSecret(Base):
    """The install's secret for keyed hashes (`storage.secrets.opaque_key`), one row, made on
    first use and sealed with the encryption key: stored once rather than derived from a key,
    so rotating keys (`closedset db reencrypt` rewrites it too) changes no hash."""

    __tablename__ = "install_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_ct: Mapped[bytes] = mapped_column(LargeBinary)


class PurgeRun(Base):
    """A day the daily retention purge ran (`storage.purge.purge_daily`): inserting the day's
    row is the claim that makes the purge run once a day across instances."""

    __tablename__ = "purge_run"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    instance: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlackInstallation(Base):
    """The app installed in one workspace (OAuth mode, `bot.installations`): its bot token, and
    for rotating tokens the refresh token and expiry. One row per workspace: a reinstall
    updates it. Tokens are sealed like answers (`storage.secrets`). Kept by team id alone, with
    no key to `workspace`: a workspace gets its row there at its first production."""

    __tablename__ = "slack_installation"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    team_name: Mapped[str | None] = mapped_column(String(200))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    app_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(String(1000))
    bot_token_ct: Mapped[bytes] = mapped_column(LargeBinary)
    bot_refresh_token_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    installer_id: Mapped[str | None] = mapped_column(String(32))
    user_token_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    user_refresh_token_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    user_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_scopes: Mapped[str | None] = mapped_column(String(1000))
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OAuthState(Base):
    """A state issued for one "Add to Slack" visit: consumed once, before it expires."""

    __tablename__ = "oauth_state"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


ENCRYPTED_COLUMNS: tuple[tuple[type[Base], tuple[str, ...]], ...] = (
    (Scene, ("planned_content_ct", "synopsis_ct")),
    (PendingImport, ("payload_ct",)),
    (BoundaryAnswer, ("kind_ct", "boundaries_ct")),
    (PrivateNote, ("text_ct",)),
    (RequestVersion, ("text_ct",)),
    (CheckinAnswer, ("answer_ct",)),
    (ClosureAnswer, ("answer_ct",)),
    (InstallSecret, ("secret_ct",)),
    (
        SlackInstallation,
        ("bot_token_ct", "bot_refresh_token_ct", "user_token_ct", "user_refresh_token_ct"),
    ),
)
"""Every column holding ciphertext, for key rotation (`closedset db reencrypt`)."""
