"""(being built)"""

from flask import render_template

from gateway.console import blueprint
from gateway.console.auth import require


@blueprint.get("/triage")
@require()
def triage_queue():
    return render_template("console/base.html")
