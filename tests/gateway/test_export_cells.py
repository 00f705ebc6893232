"""CSV export cells: the formula guard never touches numbers (latitudes are negative in Jakarta)."""

import csv
import io

import pytest

from gateway.console.exports import safe_cell
from tests.gateway.test_console_exports import _client
from tests.helpers import MONAS, new_report


@pytest.mark.parametrize(("value", "cell"), [
    (-6.20989, "-6.20989"), ("-6.20989", "-6.20989"), (106.82, "106.82"), (12, "12"), ("-3", "-3"),
    ("=SUM(A1)", "'=SUM(A1)"), ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"), ("+62 812", "'+62 812"),
    ("@user", "'@user"), (None, ""),
])
def test_a_cell_is_guarded_only_when_it_could_run(value, cell):
    assert safe_cell(value) == cell


def test_exported_coordinates_are_numbers(app, units_db, config, wilayah):
    report = new_report(units_db, config, wilayah, where=MONAS)
    rows = list(csv.DictReader(io.StringIO(_client(app, units_db).get("/console/exports/reports.csv").get_data(as_text=True))))
    row = next(r for r in rows if r["ticket"] == report.ticket)
    latitude = [value for key, value in row.items() if key.startswith("lat")]
    assert latitude and float(latitude[0]) == pytest.approx(MONAS[0], abs=1e-4), row
