"""The officers' and social-media team's web console under /console/: server-rendered pages,
a login per person, and a role checked on every page and every action (`auth.require`)."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("console", __name__, url_prefix="/console")

# Each module adds its pages to the blueprint.
from gateway.console import (  # noqa: E402,F401
    actions,
    admin,
    auth,
    case,
    exports,
    inbox,
    mapview,
    stats,
    triage,
)
from gateway.console.setup import init_console  # noqa: E402

__all__ = ["blueprint", "init_console"]
