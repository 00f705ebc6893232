"""Photos and proof photos: bytes in content-addressed files, metadata in the attachments table."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.db import Database, unit_of_work
from store.models import Attachment, Report

# Magic numbers of the image formats accepted (the declared content type must agree).
_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


class AttachmentError(ValueError):
    pass


def save_attachment(
    db: Database,
    data: bytes,
    content_type: str,
    *,
    max_bytes: int,
    report_ticket: str | None = None,
    purpose: str = "photo",
    session: Session | None = None,
) -> Attachment:
    """Store an image; refuse anything too large or not the image it claims to be."""
    content_type = check_image(data, content_type, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    key = f"{digest[:2]}/{digest}"
    path = db.attachments_dir / key
    written = _write_once(path, data)
    try:
        with unit_of_work(session or db) as tx:
            report_id = None
            if report_ticket is not None:
                report_id = tx.scalar(select(Report.id).where(Report.ticket == report_ticket))
                if report_id is None:
                    raise AttachmentError(f"report {report_ticket} not found")
            attachment = Attachment(
                report_id=report_id,
                purpose=purpose,
                content_type=content_type,
                size_bytes=len(data),
                sha256=digest,
                storage_key=key,
                public_token=secrets.token_urlsafe(24),
            )
            tx.add(attachment)
            tx.flush()
        return attachment
    except BaseException:
        if written and session is None and not _referenced(db, digest):
            path.unlink(missing_ok=True)
        raise


def check_image(data: bytes, content_type: str, max_bytes: int) -> str:
    """The checks `save_attachment` makes, alone (a channel refuses a bad photo before queueing it): the
    normalised content type, or AttachmentError saying what is wrong."""
    content_type = content_type.split(";")[0].strip().lower()
    if not data:
        raise AttachmentError("the file is empty")
    if len(data) > max_bytes:
        raise AttachmentError(f"the file is {len(data)} bytes; the limit is {max_bytes}")
    signatures = _SIGNATURES.get(content_type)
    if signatures is None:
        raise AttachmentError(f"{content_type or 'this type'} is not accepted; send a JPEG, PNG, GIF or WebP photo")
    if not data.startswith(signatures) or (content_type == "image/webp" and data[8:12] != b"WEBP"):
        raise AttachmentError(f"the file is not a valid {content_type} image")
    return content_type


def attach_to_report(session: Session, attachment_ids: list[int], report_id: int) -> None:
    """Give a new report the photos sent before it existed (never ones already another report's)."""
    if attachment_ids:
        session.execute(
            update(Attachment)
            .where(Attachment.id.in_(attachment_ids), Attachment.report_id.is_(None))
            .values(report_id=report_id)
        )


def find_attachment_by_token(db: Database, token: str) -> Attachment | None:
    with db.transaction() as session:
        return session.scalar(select(Attachment).where(Attachment.public_token == token))


def attachment_path(db: Database, attachment: Attachment) -> Path:
    return db.attachments_dir / attachment.storage_key


def _write_once(path: Path, data: bytes) -> bool:
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True


def _referenced(db: Database, digest: str) -> bool:
    with db.transaction() as session:
        return session.scalar(select(Attachment.id).where(Attachment.sha256 == digest).limit(1)) is not None
