"""The console map's data: reports with a point of their own, reports located only to a kelurahan (drawn inside
it, marked approximate), and those with no place at all (only counted); in the user's scope."""

import re

import pytest
from shapely.geometry import Point

from gateway.app import create_app
from store.users import create_user
from tests.helpers import MONAS, new_report

PASSWORD = "kata-sandi-uji-123"


@pytest.fixture
def console(units_db, config, wilayah, normalizer):
    app = create_app(config, units_db, wilayah, environ={"LAPOR_SECRET_KEY": "test-secret"}, normalizer=normalizer,
                     adapters={})
    create_user(units_db, username="triage", password=PASSWORD, role="triage")
    create_user(units_db, username="kenari", password=PASSWORD, role="officer", unit_code=KENARI)
    return app


KENARI = "31.71.04.1002"


def logged_in(app, who):
    client = app.test_client()
    token = re.search(r'name="csrf[-_]token" (?:value|content)="([^"]+)"', client.get("/console/login").get_data(as_text=True))
    assert client.post("/console/login", data={"username": who, "password": PASSWORD, "csrf_token": token.group(1)}).status_code == 302
    return client


def test_reports_located_only_to_a_kelurahan_are_on_the_map_inside_it_marked_approximate(console, units_db, config, wilayah):
    exact = new_report(units_db, config, wilayah, where=MONAS)
    named = new_report(units_db, config, wilayah, where=None, category="listrik", description="Lampu jalan mati di kel. Kenari")
    nowhere = new_report(units_db, config, wilayah, where=None, category="sampah", description="Sampah menumpuk dekat pasar")
    assert named.latitude is None and named.kelurahan_code == KENARI and nowhere.kelurahan_code is None

    doc = logged_in(console, "triage").get("/console/map/reports.geojson").get_json()
    features = {f["properties"]["ticket"]: f for f in doc["features"]}
    assert set(features) == {exact.ticket, named.ticket} and doc["without_location"] == 1 and doc["approximate"] == 1
    assert features[exact.ticket]["properties"]["approximate"] is False
    assert features[exact.ticket]["geometry"]["coordinates"] == [MONAS[1], MONAS[0]]
    approximate = features[named.ticket]
    assert approximate["properties"]["approximate"] is True
    lon, lat = approximate["geometry"]["coordinates"]
    assert wilayah.areas[KENARI].geometry.contains(Point(lon, lat)), "a point inside the kelurahan, not its centroid"
    assert approximate["properties"]["note"].startswith("Lokasi perkiraan: laporan hanya menyebut Kelurahan Kenari")
    assert approximate["properties"]["category"] == "Jaringan Listrik dan Penerangan Jalan"

    english = logged_in(console, "triage").get("/console/map/reports.geojson?lang=en").get_json()
    note = next(f["properties"]["note"] for f in english["features"] if f["properties"]["approximate"])
    assert note.startswith("Approximate location: the report names only Kelurahan Kenari")

    mine = logged_in(console, "kenari").get("/console/map/reports.geojson").get_json()
    assert [f["properties"]["ticket"] for f in mine["features"]] == [named.ticket], "an officer sees only their unit's"
    page = logged_in(console, "triage").get("/console/map").get_data(as_text=True)
    assert 'id="map-approximate"' in page and "report-marker approximate" in page
