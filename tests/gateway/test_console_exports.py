"""Exports and statistics endpoints: no personal data, formula guard, scope, login required."""

import csv
import io
import json

from store.reports import rate_report  # noqa: F401
from store.users import create_user
from tests.browser.conftest import CONSOLE_USERS, PASSWORD, ConsoleSite  # noqa: F401
from tests.helpers import BLOK_M, MONAS, bring_to, citizen, new_report


def _client(app, db, role="admin", unit=None, username="u1"):
    create_user(db, username=username, password=PASSWORD, role=role, unit_code=unit, display_name="U")
    client = app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def test_exports_have_no_personal_data_and_guard_formulas(app, units_db, config, wilayah):
    secret = new_report(units_db, config, wilayah, where=MONAS, description="=HYPERLINK(\"x\") jalan rusak",
                        reporter_contacts=citizen(), confidential=True)
    other = new_report(units_db, config, wilayah, where=BLOK_M, description="Sampah menumpuk", category="sampah")
    client = _client(app, units_db)
    response = client.get("/console/exports/reports.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    for private in ("Siti", "Rahayu", "6281234567890", "siti.rahayu@example.com"):
        assert private not in body
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["ticket"] for r in rows} == {secret.ticket, other.ticket}
    row = next(r for r in rows if r["ticket"] == secret.ticket)
    assert row["confidential"] == "True" and row["kelurahan_code"] == "31.71.01.1001"
    assert not any(v.startswith("=") for r in rows for v in r.values())
    geo = client.get("/console/exports/reports.geojson")
    assert geo.mimetype == "application/geo+json"
    data = json.loads(geo.get_data(as_text=True))
    assert len(data["features"]) == 2 and "Siti" not in geo.get_data(as_text=True)
    only = client.get("/console/exports/reports.csv?category=sampah").get_data(as_text=True)
    assert other.ticket in only and secret.ticket not in only
    assert client.get("/console/exports/reports.csv?status=nope").status_code == 400


def test_exports_are_scoped_and_need_a_login(app, units_db, config, wilayah):
    gambir = new_report(units_db, config, wilayah, where=MONAS)
    blok_m = new_report(units_db, config, wilayah, where=BLOK_M)
    assert app.test_client().get("/console/exports/reports.csv").status_code in (302, 401)
    client = _client(app, units_db, role="officer", unit="31.71.01.1001", username="petugas")
    body = client.get("/console/exports/reports.csv").get_data(as_text=True)
    assert gambir.ticket in body and blok_m.ticket not in body


def test_stats_numbers(app, units_db, config, wilayah):
    done = new_report(units_db, config, wilayah, where=MONAS)
    new_report(units_db, config, wilayah, where=BLOK_M, category="sampah")
    bring_to(units_db, config, done.ticket, "selesai")
    client = _client(app, units_db)
    data = client.get("/console/stats.json").get_json()
    assert data["total"] == 2 and data["by_status"]["selesai"] == 1
    assert data["by_category"]["sampah"] == 1 and data["resolution_count"] == 1
    assert data["first_response_count"] == 1
    csv_body = client.get("/console/stats.csv").get_data(as_text=True)
    assert "by_status,selesai,1" in csv_body
