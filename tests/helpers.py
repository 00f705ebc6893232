"""Builders shared by tests."""

from __future__ import annotations

import struct
import zlib

from sqlalchemy import func, select

from gateway.intake import Submission, submit_report
from gateway.normalizing import build_normalizer
from store import lifecycle
from store.attachments import save_attachment
from store.reporters import Contact
from store.reports import Actor, get_report, transition_report

MONAS = (-6.1754, 106.8272)  # kelurahan Gambir
HALTE_HARMONI = (-6.16594, 106.82047)  # kelurahan Kebon Kelapa
BUNDARAN_HI = (-6.19301, 106.82299)  # kelurahan Gondangdia
BLOK_M = (-6.2444, 106.7993)  # kelurahan Melawai
BEKASI = (-6.2383, 106.9756)  # Kota Bekasi, Jawa Barat
DEPOK = (-6.4025, 106.7942)
TANGERANG = (-6.1783, 106.6319)

OFFICER = Actor("officer", "officer-1")
VERIFIER = Actor("verifier", "verifier-1")
TRIAGE = Actor("triage", "triage-1")
CITIZEN = Actor("citizen")
SYSTEM = Actor("system")


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def new_report(db, config, wilayah, *, category="jalan", where=MONAS, description="Jalan berlubang dalam", **extra):
    latitude, longitude = where if where else (None, None)
    submission = Submission(
        category=category,
        description=description,
        origin_channel=extra.pop("origin_channel", "open311"),
        actor=SYSTEM,
        latitude=latitude,
        longitude=longitude,
        **extra,
    )
    return submit_report(db, config, normalizer_for(config, wilayah), submission)


_NORMALIZERS: dict[tuple[int, int], object] = {}


def normalizer_for(config, wilayah):
    """Built once per session (it takes a fraction of a second)."""
    key = (id(config), id(wilayah))
    if key not in _NORMALIZERS:
        _NORMALIZERS[key] = build_normalizer(config, wilayah)
    return _NORMALIZERS[key]


def citizen(name="Siti Rahayu", phone="+6281234567890", email="siti.rahayu@example.com"):
    return (Contact("sms", phone, name), Contact("email", email, name))


def proof_photo(db, config, ticket):
    return save_attachment(
        db, png_bytes(), "image/png", max_bytes=config.storage.max_attachment_bytes, report_ticket=ticket, purpose="proof"
    )


# The shortest way to reach each status from a new (menunggu) report.
PATHS = {
    lifecycle.MENUNGGU: [],
    lifecycle.KOORDINASI: [lifecycle.KOORDINASI],
    lifecycle.DISPOSISI: [lifecycle.DISPOSISI],
    lifecycle.DITANGANI: [lifecycle.DITANGANI],
    lifecycle.VERIFIKASI: [lifecycle.DITANGANI, lifecycle.VERIFIKASI],
    lifecycle.SELESAI: [lifecycle.DITANGANI, lifecycle.VERIFIKASI, lifecycle.SELESAI],
    lifecycle.DITOLAK: [lifecycle.DITOLAK],
    lifecycle.DUPLIKAT: [lifecycle.DUPLIKAT],
}


def move(db, config, ticket, target, actor=None, original_ticket=None, **extra):
    """Make one move with whatever evidence the rule needs."""
    current = get_report(db, ticket).status
    current_rule = lifecycle.TRANSITIONS[(current, target)]
    actor = actor or Actor(sorted(current_rule.roles)[0], "tester")
    if current_rule.needs_proof_photo and "proof_attachment_id" not in extra:
        extra["proof_attachment_id"] = proof_photo(db, config, ticket).id
    if current_rule.needs_note and "note" not in extra:
        extra["note"] = "alasan perubahan"
    if current_rule.needs_duplicate_of and "duplicate_of_ticket" not in extra:
        extra["duplicate_of_ticket"] = original_ticket
    return transition_report(db, ticket, target, actor, **extra)


def drain(worker):
    """Run the worker until the inbox and the outbox have nothing more to do."""
    while worker.run_once():
        pass


def count(db, model, *where) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def bring_to(db, config, ticket, status, original_ticket=None):
    report = None
    for step in PATHS[status]:
        extra = {"original_ticket": original_ticket} if step == lifecycle.DUPLIKAT else {}
        report = move(db, config, ticket, step, **extra)
    return report
