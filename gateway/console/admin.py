"""(being built)"""

from flask import render_template

from gateway.console import blueprint
from gateway.console.auth import require


@blueprint.get("/admin/users")
@require()
def admin_users():
    return render_template("console/base.html")


@blueprint.get("/admin/audit")
@require("admin")
def audit_log():
    return render_template("console/base.html")
