"""Wiring the console into the app: session secret and cookies, CSRF, logins and security headers.

The blueprint's hooks are set once, here; `init_console` only configures each app."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

from flask import Flask, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect

from gateway.config import Config
from gateway.console import blueprint
from gateway.console.auth import login_manager
from gateway.console.i18n import labels, language, t
from gateway.services import services

csrf = CSRFProtect()


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, for the console and the pages; a provider's webhook carries no cookie and is
    given none (reading and signing one was about a tenth of a webhook's Python time)."""

    def open_session(self, app: Flask, request):
        if request.path.startswith("/webhooks/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_console(app: Flask, config: Config, environ) -> None:
    console = config.console
    app.secret_key = _secret_key(environ.get(console.secret_key_env, ""), console.dev_secret_file)
    app.config.update(
        SESSION_COOKIE_NAME="lapor_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.server.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=console.session_hours),
        WTF_CSRF_CHECK_DEFAULT=False,  # only the console's forms: webhooks and APIs have their own checks
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.session_interface = CookieSessions()
    csrf.init_app(app)
    login_manager.init_app(app)

    @app.errorhandler(CSRFError)
    def _csrf_refused(error: CSRFError):
        if request.path.startswith("/console/"):
            return render_template("console/error.html", status=400, message=t("error_csrf")), 400
        return {"error": {"status": 400, "message": error.description}}, 400

    app.register_blueprint(blueprint)


@blueprint.before_request
def _csrf_on_every_change():
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@blueprint.app_context_processor
def _template_helpers():
    return {"t": t, "has_label": lambda key: key in labels(), "lang": language(), "config": services().config}


@blueprint.after_request
def _headers(response):
    tiles = _origin(services().config.console.tile_url)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:{' ' + tiles if tiles else ''}; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _secret_key(from_environment: str, dev_file) -> str:
    if from_environment.strip():
        return from_environment.strip()
    if dev_file.exists():
        return dev_file.read_text().strip()
    dev_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(dev_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _origin(url: str | None) -> str:
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}.", "*.")
    return f"{scheme}://{host}"
