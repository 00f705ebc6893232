"""Console users' passwords: werkzeug scrypt at its production cost (the rest of the suite hashes cheaply)."""

from datetime import timedelta

import pytest

import store.users
from store.users import authenticate, create_user, update_user

pytestmark = pytest.mark.sql_dialects


@pytest.fixture
def production_hashing(monkeypatch):
    monkeypatch.setattr(store.users, "PASSWORD_METHOD", "scrypt")


def test_passwords_are_hashed_with_scrypt_at_its_default_cost(db, production_hashing):
    user = create_user(db, username="admin.kota", password="kata-sandi-panjang", role="admin")
    assert user.password_hash.startswith("scrypt:32768:8:1$"), user.password_hash[:20]
    assert "kata-sandi-panjang" not in user.password_hash
    login = dict(max_failures=5, lockout=timedelta(minutes=15))
    assert authenticate(db, "Admin.Kota", "kata-sandi-panjang", **login).user.id == user.id
    assert authenticate(db, "admin.kota", "kata-sandi-salah", **login).user is None
    assert authenticate(db, "nobody", "kata-sandi-panjang", **login).user is None


def test_a_hash_made_at_another_cost_still_checks(db, production_hashing, monkeypatch):
    """Lowering or raising the cost never locks out users whose hash was made before."""
    monkeypatch.setattr(store.users, "PASSWORD_METHOD", "scrypt:1024:8:1")
    user = create_user(db, username="petugas", password="kata-sandi-lama", role="admin")
    monkeypatch.setattr(store.users, "PASSWORD_METHOD", "scrypt")
    login = dict(max_failures=5, lockout=timedelta(minutes=15))
    assert authenticate(db, "petugas", "kata-sandi-lama", **login).user.id == user.id
    changed = update_user(db, user.id, password="kata-sandi-baru-1")
    assert changed.password_hash.startswith("scrypt:32768:8:1$")
