"""`python run.py create-user`: the first admin's login, from a fresh machine."""

import subprocess
import sys
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from store import Database
from store.crypto import Keyring
from store.users import authenticate
from tests.conftest import ROOT


def _create(tmp_path, *args, password="rahasia-admin-2026", key):
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "--config", str(ROOT / "config.yaml"), "create-user", *args, "--password-stdin"],
        input=password + "\n", capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/lapor.db", "LAPOR_DATA_KEY": key},
    )


@pytest.mark.slow  # a process of its own
def test_create_user_makes_a_login_that_works_and_refuses_bad_ones(tmp_path):
    key = Fernet.generate_key().decode()
    done = _create(tmp_path, "--username", "Admin", "--role", "admin", key=key)
    assert done.returncode == 0, done.stderr
    assert "user admin (admin) created" in done.stdout
    again = _create(tmp_path, "--username", "admin", "--role", "admin", key=key)
    assert again.returncode == 2 and "exists already" in again.stderr
    short = _create(tmp_path, "--username", "x", "--role", "admin", password="short", key=key)
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    no_unit = _create(tmp_path, "--username", "petugas", "--role", "officer", key=key)
    assert no_unit.returncode == 2 and "needs a unit" in no_unit.stderr
    officer = _create(tmp_path, "--username", "petugas", "--role", "officer", "--unit", "31.71.01.1001", key=key)
    assert officer.returncode == 0, officer.stderr
    db = Database(f"sqlite:///{tmp_path}/lapor.db", Keyring(key))
    try:
        login = authenticate(db, "admin", "rahasia-admin-2026", max_failures=5, lockout=timedelta(minutes=15))
        assert login.user is not None and login.user.role == "admin"
        assert authenticate(db, "admin", "wrong-password!", max_failures=5, lockout=timedelta(minutes=15)).user is None
    finally:
        db.dispose()
