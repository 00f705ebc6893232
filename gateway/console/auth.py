"""Logging in and out, and `require(role, …)`: the check every console page and action goes through."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from gateway.console import blueprint
from gateway.console.i18n import t
from gateway.services import services
from store.models import ConsoleUser
from store.users import authenticate, get_user

login_manager = LoginManager()
login_manager.login_view = "console.login"
login_manager.session_protection = "strong"


class SessionUser(UserMixin):
    """The logged-in user for one request. Its session id carries a piece of the password hash, so
    a changed password (or a deactivated account) ends every open session."""

    def __init__(self, user: ConsoleUser):
        self.record = user
        self.id, self.username, self.display_name = user.id, user.username, user.display_name
        self.role, self.unit_code, self.language = user.role, user.unit_code, user.language

    def get_id(self) -> str:
        return f"{self.record.id}:{self.record.password_hash[-16:]}"


@login_manager.user_loader
def _load(session_id: str) -> SessionUser | None:
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = get_user(services().db, int(user_id))
    if user is None or not user.active or user.password_hash[-16:] != fingerprint:
        return None
    return SessionUser(user)


@login_manager.unauthorized_handler
def _unauthorized():
    if request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
        return {"error": {"status": 401, "message": "log in first"}}, 401
    return redirect(url_for("console.login", next=request.full_path if request.query_string else request.path))


def require(*roles: str):
    """The view needs a logged-in user with one of these roles (any role when none is named)."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                return render_template("console/error.html", status=403, message=t("error_forbidden")), 403
            return view(*args, **kwargs)

        return checked

    return decorate


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        console = services().config.console
        result = authenticate(
            services().db, request.form.get("username", ""), request.form.get("password", ""),
            max_failures=console.max_failed_logins, lockout=timedelta(minutes=console.lockout_minutes),
        )
        if result.user is not None:
            session.permanent = True  # expires after console.session_hours, not only when the browser closes
            login_user(SessionUser(result.user))
            return redirect(_safe_next(request.args.get("next")) or url_for("console.inbox"))
        flash(t("login_locked") if result.locked_until else t("login_failed"), "error")
        return render_template("console/login.html"), 401 if not result.locked_until else 429
    if current_user.is_authenticated:
        return redirect(url_for("console.inbox"))
    return render_template("console/login.html")


@blueprint.post("/logout")
@require()
def logout():
    logout_user()
    return redirect(url_for("console.login"))


@blueprint.get("/")
@require()
def home():
    return redirect(url_for("console.inbox"))


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the console: never an open redirect to another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/"):
        return None
    return target
