"""The city's report workflow (SOP) as data: statuses, allowed moves and what each move needs.

This is the one place transitions are decided; `store.reports.transition_report` enforces it
inside the same transaction that writes the status event. Pure: no SQL, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

MENUNGGU, KOORDINASI, DISPOSISI, DITANGANI = "menunggu", "koordinasi", "disposisi", "ditangani"
VERIFIKASI, SELESAI, DITOLAK, DUPLIKAT = "verifikasi", "selesai", "ditolak", "duplikat"

STATUSES = (MENUNGGU, KOORDINASI, DISPOSISI, DITANGANI, VERIFIKASI, SELESAI, DITOLAK, DUPLIKAT)
CLOSED_STATUSES = frozenset({SELESAI, DITOLAK, DUPLIKAT})
OPEN_STATUSES = frozenset(STATUSES) - CLOSED_STATUSES

ROLES = frozenset({"system", "citizen", "triage", "officer", "verifier", "admin"})
_WORKERS = frozenset({"system", "triage", "officer", "admin"})


@dataclass(frozen=True)
class Rule:
    """What a move needs: who may make it, and which evidence must come with it."""

    roles: frozenset[str] = _WORKERS
    needs_proof_photo: bool = False
    needs_note: bool = False
    needs_duplicate_of: bool = False


_REOPEN = Rule(roles=frozenset({"citizen", "triage", "verifier", "admin"}), needs_note=True)
_REJECT = Rule(needs_note=True)
_MERGE = Rule(needs_duplicate_of=True)

TRANSITIONS: dict[tuple[str, str], Rule] = {
    (MENUNGGU, KOORDINASI): Rule(),
    (MENUNGGU, DISPOSISI): Rule(),
    (MENUNGGU, DITANGANI): Rule(),
    (MENUNGGU, DITOLAK): _REJECT,
    (MENUNGGU, DUPLIKAT): _MERGE,
    (KOORDINASI, DISPOSISI): Rule(),
    (KOORDINASI, DITANGANI): Rule(),
    (KOORDINASI, DITOLAK): _REJECT,
    (KOORDINASI, DUPLIKAT): _MERGE,
    (DISPOSISI, KOORDINASI): Rule(),
    (DISPOSISI, DITANGANI): Rule(),
    (DISPOSISI, DITOLAK): _REJECT,
    (DISPOSISI, DUPLIKAT): _MERGE,
    (DITANGANI, KOORDINASI): Rule(),
    # The officer who finishes the work must upload a proof photo; Biro Pemerintahan verifies.
    (DITANGANI, VERIFIKASI): Rule(roles=frozenset({"system", "officer", "admin"}), needs_proof_photo=True),
    (VERIFIKASI, SELESAI): Rule(roles=frozenset({"verifier"})),
    (VERIFIKASI, DITANGANI): Rule(roles=frozenset({"verifier"}), needs_note=True),
    (SELESAI, MENUNGGU): _REOPEN,
    (DITOLAK, MENUNGGU): _REOPEN,
    (DUPLIKAT, MENUNGGU): _REOPEN,
}


class TransitionError(ValueError):
    """A move the workflow does not allow, or one missing what it needs. The message says which."""


def allowed_next(status: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == status]


def check_transition(
    current: str,
    target: str,
    role: str,
    *,
    has_proof_photo: bool = False,
    note: str | None = None,
    duplicate_of: int | None = None,
) -> Rule:
    """Return the rule for current → target, or raise TransitionError saying what is wrong."""
    if target not in STATUSES:
        raise TransitionError(f"unknown status {target!r}; statuses are {', '.join(STATUSES)}")
    if role not in ROLES:
        raise TransitionError(f"unknown role {role!r}")
    rule = TRANSITIONS.get((current, target))
    if rule is None:
        allowed = ", ".join(allowed_next(current)) or "none"
        raise TransitionError(f"cannot go from {current} to {target}; from {current} only: {allowed}")
    if role not in rule.roles:
        raise TransitionError(f"{current} → {target} may only be done by: {', '.join(sorted(rule.roles))}")
    if rule.needs_proof_photo and not has_proof_photo:
        raise TransitionError(f"{current} → {target} needs a proof photo of the finished work")
    if rule.needs_note and not (note and note.strip()):
        raise TransitionError(f"{current} → {target} needs a note saying why")
    if rule.needs_duplicate_of and duplicate_of is None:
        raise TransitionError(f"{current} → {target} needs the report it duplicates")
    return rule
