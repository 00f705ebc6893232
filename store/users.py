"""Console users: create, authenticate (with a lockout after repeated failures), list and edit.

Passwords are hashed with werkzeug's salted scrypt; the plain password never reaches the database.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from store.db import Database
from store.models import ConsoleUser, Unit
from store.types import utcnow

ROLES = ("triage", "officer", "verifier", "admin")
MIN_PASSWORD_LENGTH = 10
# werkzeug's scrypt at its default cost. A stored hash names its own cost, so lowering this (the test
# suite does) never breaks a check of an older hash.
PASSWORD_METHOD = "scrypt"


class UserError(ValueError):
    """A user that cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class LoginResult:
    user: ConsoleUser | None
    locked_until: datetime | None = None  # set when the account is (now) locked


def create_user(db: Database, *, username: str, password: str, role: str, display_name: str | None = None,
                unit_code: str | None = None, language: str = "id") -> ConsoleUser:
    username = username.strip().lower()
    _check(username, role, unit_code)
    _check_password(password)
    with db.transaction() as session:
        _check_unit(session, role, unit_code)
        if session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == username)) is not None:
            raise UserError(f"user {username!r} exists already")
        user = ConsoleUser(username=username, display_name=(display_name or username).strip(),
                           password_hash=_hash(password), role=role,
                           unit_code=unit_code if role == "officer" else None, language=language,
                           active=True, failed_logins=0)
        session.add(user)
        session.flush()
        return user


def authenticate(db: Database, username: str, password: str, *, max_failures: int, lockout: timedelta,
                 now: datetime | None = None) -> LoginResult:
    """The user when the password is right and the account active and not locked; every failure counts,
    and `max_failures` in a row lock the account for `lockout` (even the right password is refused then)."""
    now = now or utcnow()
    with db.transaction() as session:
        user = session.scalar(
            select(ConsoleUser).where(ConsoleUser.username == username.strip().lower()).with_for_update()
        )
        if user is None:
            # A miss takes as long as a wrong password.
            check_password_hash(_dummy_hash(PASSWORD_METHOD), password)
            return LoginResult(None)
        if user.locked_until and user.locked_until > now:
            return LoginResult(None, user.locked_until)
        if not check_password_hash(user.password_hash, password) or not user.active:
            user.failed_logins += 1
            if user.failed_logins >= max_failures:
                user.locked_until, user.failed_logins = now + lockout, 0
                return LoginResult(None, user.locked_until)
            return LoginResult(None)
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        return LoginResult(user)


def get_user(db: Database, user_id: int) -> ConsoleUser | None:
    with db.transaction() as session:
        return session.get(ConsoleUser, user_id)


def list_users(db: Database) -> list[ConsoleUser]:
    with db.transaction() as session:
        return list(session.scalars(select(ConsoleUser).order_by(ConsoleUser.role, ConsoleUser.username)))


def update_user(db: Database, user_id: int, *, role: str | None = None, unit_code: str | None = None,
                display_name: str | None = None, active: bool | None = None, password: str | None = None,
                language: str | None = None) -> ConsoleUser:
    with db.transaction() as session:
        user = session.get(ConsoleUser, user_id, with_for_update=True)
        if user is None:
            raise UserError(f"no user {user_id}")
        new_role = role or user.role
        new_unit = unit_code if unit_code is not None else user.unit_code
        _check(user.username, new_role, new_unit)
        _check_unit(session, new_role, new_unit)
        user.role, user.unit_code = new_role, new_unit if new_role == "officer" else None
        if display_name is not None and display_name.strip():
            user.display_name = display_name.strip()
        if active is not None:
            user.active = active
        if not (user.role == "admin" and user.active):
            _keep_an_admin(session, user.id)
        if language is not None:
            user.language = language
        if password is not None:
            _check_password(password)
            user.password_hash = _hash(password)
            user.failed_logins, user.locked_until = 0, None
        return user


def unlock_user(db: Database, user_id: int) -> ConsoleUser:
    """Lift a lockout now (and forget the failed attempts)."""
    with db.transaction() as session:
        user = session.get(ConsoleUser, user_id, with_for_update=True)
        if user is None:
            raise UserError(f"no user {user_id}")
        user.failed_logins, user.locked_until = 0, None
        return user


def _hash(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)


def _keep_an_admin(session, changed_id: int) -> None:
    """The console is never left without an active admin."""
    others = session.scalar(select(ConsoleUser.id).where(
        ConsoleUser.role == "admin", ConsoleUser.active.is_(True), ConsoleUser.id != changed_id).limit(1))
    if others is None:
        raise UserError("the last active admin cannot be demoted or deactivated")


def _check(username: str, role: str, unit_code: str | None) -> None:
    if not username or len(username) > 80 or not all(c.isalnum() or c in "._-@" for c in username):
        raise UserError("a username is 1–80 letters, digits or . _ - @")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role == "officer" and not unit_code:
        raise UserError("an officer needs a unit")


def _check_unit(session, role: str, unit_code: str | None) -> None:
    if role == "officer" and session.scalar(select(Unit.id).where(Unit.code == unit_code)) is None:
        raise UserError(f"no unit with code {unit_code!r}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
