"""The workflow rules themselves, over every pair of statuses (pure, no database)."""

import itertools

import pytest

from store import lifecycle
from store.lifecycle import TRANSITIONS, TransitionError, check_transition

ALL_PAIRS = list(itertools.product(lifecycle.STATUSES, repeat=2))


def evidence_for(rule):
    return {
        "has_proof_photo": rule.needs_proof_photo,
        "note": "alasan" if rule.needs_note else None,
        "duplicate_of": 1 if rule.needs_duplicate_of else None,
    }


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_pair_is_allowed_exactly_when_the_sop_says(current, target):
    rule = TRANSITIONS.get((current, target))
    if rule is None:
        with pytest.raises(TransitionError, match=f"cannot go from {current} to {target}"):
            check_transition(current, target, "admin", has_proof_photo=True, note="x", duplicate_of=1)
    else:
        role = sorted(rule.roles)[0]
        assert check_transition(current, target, role, **evidence_for(rule)) is rule


def test_the_sop_path_and_its_branches():
    assert set(lifecycle.allowed_next("menunggu")) == {"koordinasi", "disposisi", "ditangani", "ditolak", "duplikat"}
    assert lifecycle.allowed_next("ditangani") == ["koordinasi", "verifikasi"]
    assert set(lifecycle.allowed_next("verifikasi")) == {"selesai", "ditangani"}
    for closed in lifecycle.CLOSED_STATUSES:
        assert lifecycle.allowed_next(closed) == ["menunggu"], "closed reports can only be reopened"


def test_only_a_verifier_closes_a_report():
    for role in sorted(lifecycle.ROLES - {"verifier"}):
        with pytest.raises(TransitionError, match="may only be done by: verifier"):
            check_transition("verifikasi", "selesai", role)
    check_transition("verifikasi", "selesai", "verifier")


def test_finishing_work_needs_a_proof_photo():
    with pytest.raises(TransitionError, match="needs a proof photo"):
        check_transition("ditangani", "verifikasi", "officer")
    check_transition("ditangani", "verifikasi", "officer", has_proof_photo=True)


@pytest.mark.parametrize(("current", "target"), [("menunggu", "ditolak"), ("selesai", "menunggu"), ("verifikasi", "ditangani")])
def test_rejecting_reopening_and_sending_back_need_a_reason(current, target):
    role = sorted(TRANSITIONS[(current, target)].roles)[0]
    for empty in (None, "", "   "):
        with pytest.raises(TransitionError, match="needs a note"):
            check_transition(current, target, role, note=empty)


def test_merging_needs_the_original():
    with pytest.raises(TransitionError, match="needs the report it duplicates"):
        check_transition("menunggu", "duplikat", "triage")


def test_unknown_status_and_role_are_named():
    with pytest.raises(TransitionError, match="unknown status 'done'"):
        check_transition("menunggu", "done", "admin")
    with pytest.raises(TransitionError, match="unknown role 'mayor'"):
        check_transition("menunggu", "ditangani", "mayor")


def test_citizens_can_reopen_but_not_work_a_report():
    check_transition("selesai", "menunggu", "citizen", note="masih rusak")
    with pytest.raises(TransitionError, match="may only be done by"):
        check_transition("menunggu", "ditangani", "citizen")
