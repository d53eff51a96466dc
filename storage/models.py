"""SQLAlchemy models: the registry, users, conversation sessions and the audit log.

Programme words used here:
- *posyandu*: the monthly community health post where children are weighed; it belongs to a desa.
- *desa/kelurahan*, *kecamatan*, *kabupaten/kota*, *provinsi*: the Kemendagri area levels. Area
  codes are hierarchical (``36.02.01.2001`` lies inside ``36.02.01``, inside ``36.02``), so an
  area's subtree is "its code, or any code that starts with its code and a dot".
- *kader*: a posyandu volunteer; *bidan*: the village midwife; *TPK*: Tim Pendamping Keluarga.

All times are stored in UTC (timezone-aware columns); each area row carries its effective IANA
time zone so nothing has to walk up the tree to find it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every engine (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(dt.UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Area(Base):
    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(12))  # provinsi, kabupaten, kecamatan, desa
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("areas.code", ondelete="RESTRICT"), index=True
    )
    # Effective IANA zone (inherited from the parent when the import row left it empty).
    timezone: Mapped[str] = mapped_column(String(32))


class Posyandu(Base):
    __tablename__ = "posyandu"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    desa_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # Opening rule: either a day of the month, or the n-th weekday (0 = Monday) of the month.
    day_of_month: Mapped[int | None] = mapped_column(SmallInteger)
    nth_weekday: Mapped[int | None] = mapped_column(SmallInteger)
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    opens_at: Mapped[dt.time] = mapped_column(Time)
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)
    posyandu_id: Mapped[int | None] = mapped_column(ForeignKey("posyandu.id"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="id")
    locale_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_version: Mapped[str | None] = mapped_column(String(16))
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    blocked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The role and locale whose command menu the platform last showed this chat.
    menu_shown: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invite(Base):
    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    posyandu_id: Mapped[int | None] = mapped_column(ForeignKey("posyandu.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Child(Base):
    __tablename__ = "children"
    __table_args__ = (Index("ix_children_posyandu_name", "posyandu_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    posyandu_id: Mapped[int] = mapped_column(ForeignKey("posyandu.id"))
    name: Mapped[str] = mapped_column(String(120))
    sex: Mapped[str] = mapped_column(String(1))  # "L" laki-laki, "P" perempuan
    birth_date: Mapped[dt.date] = mapped_column(Date)
    nik: Mapped[str | None] = mapped_column(String(16))
    mother_name: Mapped[str | None] = mapped_column(String(120))
    parent_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    has_kia: Mapped[bool] = mapped_column(Boolean, default=True)  # has a Buku KIA / KMS (SKDN K)
    # The family's Telegram user id from a contact the kader shared: when that user joins the
    # posyandu, the child is linked to them. Only the id is kept, not the phone number.
    family_platform_user_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationSession(Base):
    """Where a user is in a multi-step flow; a restarted process continues from here."""

    __tablename__ = "conversation_sessions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(SmallInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedUpdate(Base):
    """Update ids already handled: Telegram redelivers after a crash or a slow answer."""

    __tablename__ = "processed_updates"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=utcnow, index=True
    )


class AuditEntry(Base):
    """Who read or changed what (UU 27/2022). Holds ids and actions, never the data itself."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)  # kept after the user is erased
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class KeyValue(Base):
    """Small facts the processes share, e.g. the bot username learnt from getMe."""

    __tablename__ = "key_values"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Measurement(Base):
    """One weighing/measuring of a child, with the WHO results computed when it was stored.

    ``posyandu_id`` and ``desa_code`` are copied from the child so area reports filter and group
    measurements without joins over the whole registry.
    """

    __tablename__ = "measurements"
    __table_args__ = (
        Index("ix_measurements_child_date", "child_id", "measured_on"),
        Index("ix_measurements_desa_date", "desa_code", "measured_on"),
        Index("ix_measurements_posyandu_date", "posyandu_id", "measured_on"),
        # Monthly area reports read each child's latest row of a month from this index alone
        # (storage.reports; migration 0010; the flag is a column too, or SQLite reads the table).
        Index("ix_measurements_latest_desa_date", "desa_code", "measured_on", "flagged", "zlen",
              "zwei", "zwfl", "latest_of_month",
              sqlite_where=text("latest_of_month = 1"),  # as SQLAlchemy writes it on SQLite
              postgresql_where=text("latest_of_month")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    posyandu_id: Mapped[int] = mapped_column(ForeignKey("posyandu.id"))
    desa_code: Mapped[str] = mapped_column(String(16))
    measured_on: Mapped[dt.date] = mapped_column(Date)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    lenhei_cm: Mapped[float | None] = mapped_column(Float)
    position: Mapped[str | None] = mapped_column(String(1))  # "l" lying (PB), "h" standing (TB)
    armc_cm: Mapped[float | None] = mapped_column(Float)
    headc_cm: Mapped[float | None] = mapped_column(Float)
    oedema: Mapped[bool] = mapped_column(Boolean, default=False)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Computed (growth.assess_child) and stored beside the inputs.
    age_days: Mapped[int] = mapped_column(Integer)
    clenhei: Mapped[float | None] = mapped_column(Float)
    zlen: Mapped[float | None] = mapped_column(Float)
    zwei: Mapped[float | None] = mapped_column(Float)
    zwfl: Mapped[float | None] = mapped_column(Float)
    zbmi: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # any WHO implausibility flag
    cat_lhfa: Mapped[str | None] = mapped_column(String(32))
    cat_wfa: Mapped[str | None] = mapped_column(String(32))
    cat_wflh: Mapped[str | None] = mapped_column(String(32))
    gain: Mapped[str | None] = mapped_column(String(1))  # N, T, O, B (Buku KIA)
    two_t: Mapped[bool] = mapped_column(Boolean, default=False)
    bgm: Mapped[bool] = mapped_column(Boolean, default=False)
    stunted: Mapped[bool] = mapped_column(Boolean, default=False)
    wasted: Mapped[bool] = mapped_column(Boolean, default=False)
    # True on each child's latest measurement of its calendar month (latest date, then highest
    # id): the row monthly figures count. Kept by storage.measurements.refresh_latest_of_month
    # wherever measurements are added, moved or deleted; True by default because a new row
    # usually is its month's latest (bot.measuring.save refreshes when it is not).
    latest_of_month: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class FollowUp(Base):
    """A child who needs attention: a referral to the bidan and a re-check by the kader."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_posyandu_open", "posyandu_id", "done_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    posyandu_id: Mapped[int] = mapped_column(ForeignKey("posyandu.id"))
    measurement_id: Mapped[int | None] = mapped_column(
        ForeignKey("measurements.id", ondelete="SET NULL")
    )
    reasons: Mapped[str] = mapped_column(String(64))  # comma-separated: stunting,wasting,bgm,2t,t
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recheck_on: Mapped[dt.date] = mapped_column(Date)  # local date the kader re-checks
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


from storage import broadcasts as _broadcasts  # noqa: E402,F401
from storage import outbox as _outbox  # noqa: E402,F401
from storage import schedule as _schedule  # noqa: E402,F401
from storage import targets as _targets  # noqa: E402,F401
from storage import tips as _tips  # noqa: E402,F401
from storage import tpk as _tpk  # noqa: E402,F401
