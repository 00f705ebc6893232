"""(being built)"""

from flask import render_template

from gateway.console import blueprint
from gateway.console.auth import require


@blueprint.get("/map")
@require()
def map_page():
    return render_template("console/base.html")
