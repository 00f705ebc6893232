"""The CRM store's tables (SQLAlchemy 2.x typed models).

Personal data (reporter names, contact addresses, raw provider payloads, original message text,
message bodies) uses the Encrypted* types: the database only ever holds ciphertext.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.types import EncryptedJSON, EncryptedText, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Unit(Base):
    """A kota, kecamatan or kelurahan (from the shipped wilayah data) or a city service."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # kota | kecamatan | kelurahan | service
    name: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(String(40))
    kota_code: Mapped[str | None] = mapped_column(String(40))
    kecamatan_code: Mapped[str | None] = mapped_column(String(40))
    contacts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("kind IN ('kota','kecamatan','kelurahan','service')", name="kind"),)


class Reporter(Base):
    __tablename__ = "reporters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(EncryptedText)
    language: Mapped[str] = mapped_column(String(5), default="id")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identities: Mapped[list[ContactIdentity]] = relationship(back_populates="reporter")


class ContactIdentity(Base):
    """One way to reach a reporter: a channel and an address (chat id, phone, email, handle)."""

    __tablename__ = "contact_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("reporters.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(EncryptedText)
    address_hash: Mapped[str] = mapped_column(String(64))
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reporter: Mapped[Reporter] = relationship(back_populates="identities")

    __table_args__ = (UniqueConstraint("channel", "address_hash", name="uq_contact_identities_channel_hash"),)


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(24), unique=True)
    public_token: Mapped[str] = mapped_column(String(43), unique=True)
    type: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)  # redacted: safe for officers and the public
    original_text: Mapped[str | None] = mapped_column(EncryptedText)  # as the citizen wrote it
    status: Mapped[str] = mapped_column(String(20), index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_precision: Mapped[str] = mapped_column(String(12), default="none")
    address_text: Mapped[str | None] = mapped_column(Text)
    media_url: Mapped[str | None] = mapped_column(String(500))  # a photo link given by an Open311 client
    kelurahan_code: Mapped[str | None] = mapped_column(String(40), index=True)
    kecamatan_code: Mapped[str | None] = mapped_column(String(40))
    kota_code: Mapped[str | None] = mapped_column(String(40))
    outside_jurisdiction: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reasons: Mapped[list[Any]] = mapped_column(default=list)
    assigned_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=True)
    origin_channel: Mapped[str] = mapped_column(String(20))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporters.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    sla_due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[datetime | None]
    normalizer_confidence: Mapped[float | None] = mapped_column(Float)
    normalizer_evidence: Mapped[dict[str, Any] | None]

    assigned_unit: Mapped[Unit | None] = relationship(lazy="joined")
    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="report", order_by="StatusEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="report", order_by="Attachment.id", foreign_keys="Attachment.report_id"
    )

    __table_args__ = (
        CheckConstraint("priority IN ('normal','darurat')", name="priority"),
        CheckConstraint("type IN ('pengaduan','aspirasi','permintaan_informasi')", name="type"),
        CheckConstraint(
            "location_precision IN ('point','street','landmark','kelurahan','kecamatan','kota','none')",
            name="location_precision",
        ),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
    )


class StatusEvent(Base):
    """One step of a report's history. Reports never change status or unit without one."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    note_public: Mapped[bool] = mapped_column(Boolean, default=True)
    proof_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # the jobs re-read recent events

    report: Mapped[Report] = relationship(back_populates="events")
    unit: Mapped[Unit | None] = relationship(lazy="joined")
    proof_attachment: Mapped[Attachment | None] = relationship(
        foreign_keys=[proof_attachment_id], lazy="joined"
    )


class Attachment(Base):
    """A stored file (photo or proof photo); the bytes live under storage.attachments_dir."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(12), default="photo")  # photo | proof
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    public_token: Mapped[str] = mapped_column(String(43), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report | None] = relationship(back_populates="attachments", foreign_keys=[report_id])


class Rating(Base):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporters.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        UniqueConstraint("report_id", "reporter_id", name="uq_ratings_report_reporter"),
    )


class AuditLog(Base):
    """Append-only (database triggers refuse UPDATE and DELETE): reveals and other sensitive acts."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class InboundMessage(Base):
    """The inbox: a provider payload exactly as received, at most once per channel + provider id."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    sender_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[Any] = mapped_column(EncryptedJSON)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]  # a worker's lease; an expired lease may be claimed again
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id", name="uq_inbound_messages_channel_provider_id"),
        CheckConstraint("status IN ('pending','processing','processed','failed')", name="status"),
        Index("ix_inbound_messages_status_id", "status", "id"),  # the claim walks the pending ones in order
    )


class OutboundMessage(Base):
    """The outbox: pending → sent → delivered / failed, retried with backoff by the dispatcher."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact_identities.id"))
    recipient: Mapped[str] = mapped_column(EncryptedText)
    body: Mapped[str] = mapped_column(EncryptedText)
    extras: Mapped[dict[str, Any]] = mapped_column(default=dict)  # buttons, media references
    reply_context: Mapped[Any | None] = mapped_column(EncryptedJSON)  # threading ids (Message-ID, tweet id)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("status IN ('pending','sending','sent','delivered','failed')", name="status"),
        Index("ix_outbound_messages_due", "status", "next_attempt_at"),
        Index("ix_outbound_messages_contact", "contact_id", "status"),  # the claim's "an earlier one is unsent"
    )


class TicketCounter(Base):
    """Last ticket sequence number handed out per period (YYMM), advanced atomically."""

    __tablename__ = "ticket_counters"

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class Conversation(Base):
    """One citizen's conversation on one channel: the draft and the pending question (encrypted)."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender_hash: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact_identities.id"))
    state: Mapped[Any] = mapped_column(EncryptedJSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    contact: Mapped[ContactIdentity | None] = relationship()

    __table_args__ = (UniqueConstraint("channel", "sender_hash", name="uq_conversations_channel_sender"),)


class ReportFollower(Base):
    """A contact told of a report's status changes: its reporter, or a citizen who reported the same."""

    __tablename__ = "report_followers"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact_identities.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("report_id", "contact_id", name="uq_report_followers_report_contact"),)


class PollCursor(Base):
    """Where a poller stopped (IMAP UIDVALIDITY + last UID, X since_id…), so a restart neither
    re-imports nor skips."""

    __tablename__ = "poll_cursors"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)  # e.g. "imap:INBOX", "x:mentions"
    value: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TriageItem(Base):
    """A message that is not clearly a report (e.g. a mention of the city account): the social-media
    team turns it into a report or dismisses it."""

    __tablename__ = "triage_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact_identities.id"))
    text: Mapped[str] = mapped_column(EncryptedText)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    contact: Mapped[ContactIdentity | None] = relationship()
    report: Mapped[Report | None] = relationship()

    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id", name="uq_triage_items_channel_provider_id"),
        CheckConstraint("status IN ('pending','converted','dismissed')", name="status"),
    )


class ConsoleUser(Base):
    """Someone who works reports in the web console. Passwords are stored as salted hashes only."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12))
    unit_code: Mapped[str | None] = mapped_column(String(40))  # an officer's unit (kelurahan or service)
    language: Mapped[str] = mapped_column(String(5), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("role IN ('triage','officer','verifier','admin')", name="role"),
        CheckConstraint("role <> 'officer' OR unit_code IS NOT NULL", name="officer_unit"),
    )


class CategorySetting(Base):
    """An admin's change to a configured category (config.yaml stays the default): its SLA and the
    service that takes over on coordination. Applies to reports created or coordinated afterwards."""

    __tablename__ = "category_settings"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    sla_hours: Mapped[float | None] = mapped_column(Float)
    escalate_to: Mapped[str | None] = mapped_column(String(40))
    updated_by: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("sla_hours IS NULL OR sla_hours > 0", name="sla_hours"),)
