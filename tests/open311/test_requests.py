"""POST and GET service requests: lifecycle, formats, filters, privacy and bad input."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from store.models import ContactIdentity, Report, Reporter, StatusEvent
from store.reports import get_report
from store.types import utcnow
from tests.conftest import API_KEY
from tests.helpers import BEKASI, HALTE_HARMONI, MONAS, VERIFIER, bring_to, move, proof_photo
from tests.open311.conftest import as_json, assert_valid, parse_xml

pytestmark = pytest.mark.sql_dialects

REPORTER = {"email": "dewi.lestari@example.com", "phone": "0813-1111-2222", "first_name": "Dewi", "last_name": "Lestari"}


def located(where=MONAS, **fields):
    return {"service_code": "jalan", "lat": str(where[0]), "long": str(where[1]), "description": "Jalan berlubang", **fields}


def test_post_creates_a_dispatched_report(post, units_db):
    response = post(**located(HALTE_HARMONI))
    assert response.status_code == 200
    [created] = as_json(response)
    assert_valid([created], "CreatedRequest")
    assert created["service_request_id"].startswith("JKT-")
    assert created["service_notice"].startswith("Laporan diterima")
    report = get_report(units_db, created["service_request_id"])
    assert report.origin_channel == "open311" and report.status == "menunggu"
    assert report.assigned_unit.name == "Kelurahan Kebon Kelapa"
    assert report.events[0].actor_id.startswith("open311:") and API_KEY not in report.events[0].actor_id


def test_post_as_xml(post):
    root = parse_xml(post("xml", **located()))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id").startswith("JKT-")


def test_get_one_request_in_both_formats(post, client, config):
    ticket = as_json(post(**located(HALTE_HARMONI, address_string="depan Halte Harmoni")))[0]["service_request_id"]
    [record] = as_json(client.get(f"/open311/v2/requests/{ticket}.json"))
    assert_valid([record], "ServiceRequest")
    assert record["service_request_id"] == ticket
    assert (record["status"], record["status_notes"], record["service_name"]) == ("open", "Menunggu", "Jalan")
    assert record["agency_responsible"] == "Kelurahan Kebon Kelapa"
    assert record["address"] == "depan Halte Harmoni"
    assert (record["lat"], record["long"]) == HALTE_HARMONI
    assert record["requested_datetime"].endswith("+07:00")
    assert record["expected_datetime"].endswith("+07:00") and record["expected_datetime"] > record["requested_datetime"]
    root = parse_xml(client.get(f"/open311/v2/requests/{ticket}.xml"))
    request = root.find("request")
    assert request.findtext("service_request_id") == ticket
    assert request.findtext("agency_responsible") == "Kelurahan Kebon Kelapa"
    assert request.findtext("lat") == str(HALTE_HARMONI[0])
    assert [child.tag for child in request] == list(record)


def test_the_address_falls_back_to_the_kelurahan(post, client):
    ticket = as_json(post(**located(MONAS)))[0]["service_request_id"]
    [record] = as_json(client.get(f"/open311/v2/requests/{ticket}.json"))
    assert record["address"] == "Kel. Gambir, Kec. Gambir, Kota Administrasi Jakarta Pusat"


def test_status_moves_show_as_open_then_closed_with_notes_and_proof(post, client, units_db, config):
    ticket = as_json(post(**located()))[0]["service_request_id"]
    move(units_db, config, ticket, "ditangani", note="Petugas menuju lokasi")
    [record] = as_json(client.get(f"/open311/v2/requests/{ticket}.json", headers={"Accept-Language": "en"}))
    assert (record["status"], record["status_notes"]) == ("open", "In progress: Petugas menuju lokasi")
    photo = proof_photo(units_db, config, ticket)
    move(units_db, config, ticket, "verifikasi", proof_attachment_id=photo.id)
    move(units_db, config, ticket, "selesai", actor=VERIFIER, note="Sudah diperbaiki")
    [record] = as_json(client.get(f"/open311/v2/requests/{ticket}.json"))
    assert (record["status"], record["status_notes"]) == ("closed", "Selesai: Sudah diperbaiki")
    assert record["media_url"] == f"{config.server.base_url}/media/{photo.public_token}"
    with client.get(record["media_url"].removeprefix(config.server.base_url)) as image:
        assert image.status_code == 200 and image.content_type == "image/png"
        assert image.headers["X-Content-Type-Options"] == "nosniff"
        assert image.data == (units_db.attachments_dir / photo.storage_key).read_bytes()


def test_list_filters_by_status_code_and_ids(post, client, units_db, config):
    road = as_json(post(**located()))[0]["service_request_id"]
    tree = as_json(post(**located(service_code="pohon")))[0]["service_request_id"]
    bring_to(units_db, config, tree, "ditolak")

    def tickets(query):
        response = client.get(f"/open311/v2/requests.json{query}")
        assert response.status_code == 200, response.data
        records = as_json(response)
        assert_valid(records, "ServiceRequest")
        return [r["service_request_id"] for r in records]

    assert tickets("") == [tree, road]
    assert tickets("?status=open") == [road]
    assert tickets("?status=closed") == [tree]
    assert tickets("?status=open,closed") == [tree, road]
    assert tickets("?service_code=pohon") == [tree]
    assert tickets("?service_code=jalan,pohon&status=closed") == [tree]
    assert tickets(f"?service_request_id={road}") == [road]
    assert tickets(f"?service_request_id={road},{tree}&status=open") == [tree, road], "ids override other filters"
    assert tickets("?service_request_id=JKT-0000-00000") == []


def test_list_filters_by_date(post, client, units_db, config):
    ticket = as_json(post(**located()))[0]["service_request_id"]
    created = get_report(units_db, ticket).created_at
    before = (created - timedelta(hours=1)).isoformat()
    after = (created + timedelta(hours=1)).isoformat()
    assert len(as_json(client.get("/open311/v2/requests.json", query_string={"start_date": before, "end_date": after}))) == 1
    assert as_json(client.get("/open311/v2/requests.json", query_string={"start_date": after})) == []
    assert as_json(client.get("/open311/v2/requests.json", query_string={"end_date": before})) == []
    # A '+' left unencoded in a query string arrives as a space; it is still understood.
    local = created.astimezone(config.city.tz) - timedelta(minutes=5)
    unencoded = local.isoformat(timespec="seconds").replace("+", " ")
    assert len(as_json(client.get(f"/open311/v2/requests.json?start_date={unencoded}"))) == 1


def test_old_reports_are_outside_the_default_window(post, client, units_db):
    ticket = as_json(post(**located()))[0]["service_request_id"]
    with units_db.transaction() as session:
        report = session.scalar(select(Report).where(Report.ticket == ticket))
        report.created_at = utcnow() - timedelta(days=120)
    assert as_json(client.get("/open311/v2/requests.json")) == []
    assert len(as_json(client.get(f"/open311/v2/requests.json?service_request_id={ticket}"))) == 1


@pytest.mark.parametrize("fields", [located(BEKASI), located((-6.5950, 106.7890)),
                                    {"service_code": "jalan", "address_string": "Jl. Margonda Raya, Depok",
                                     "description": "Aspal rusak"}], ids=["bekasi", "bogor", "depok-address"])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_request_outside_the_city_is_refused_and_nothing_is_stored(post, units_db, fields, fmt):
    response = post(fmt=fmt, **fields)
    assert response.status_code == 400
    if fmt == "json":
        [error] = as_json(response)
        assert error["code"] == 400 and "outside the city" in error["description"]
    else:
        assert "outside the city" in parse_xml(response).find("error/description").text
    with units_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0
        assert session.scalar(select(func.count()).select_from(Reporter)) == 0


def test_the_same_request_twice_is_linked_as_a_duplicate(post, client, units_db):
    first = as_json(post(**located(HALTE_HARMONI, description="Lampu jalan mati di depan halte")))[0]["service_request_id"]
    again = as_json(post(**located(HALTE_HARMONI, description="Lampu jalan mati di depan halte")))[0]["service_request_id"]
    other = as_json(post(**located(MONAS, service_code="sampah", description="Sampah menumpuk")))[0]["service_request_id"]
    assert get_report(units_db, again).duplicate_of_id == get_report(units_db, first).id
    assert get_report(units_db, again).status == "duplikat" and get_report(units_db, first).status == "menunggu"
    assert get_report(units_db, other).duplicate_of_id is None
    [record] = as_json(client.get(f"/open311/v2/requests/{again}.json"))
    assert record["status"] == "closed"


def test_two_requests_arriving_together_link_the_newer_to_the_older(post, app, units_db, monkeypatch):
    """Both are stored before either looks for duplicates (two processes at once): the older one must not
    take the newer one as its original, or they would point at each other (a deadlock on PostgreSQL)."""
    from gateway.open311 import views

    link = views._link_if_duplicate
    monkeypatch.setattr(views, "_link_if_duplicate", lambda report: None)
    older, newer = (as_json(post(**located(HALTE_HARMONI, description="Lampu jalan mati di depan halte")))[0]
                    ["service_request_id"] for _ in range(2))
    with app.app_context():
        for ticket in (older, newer):  # the older one looks first and sees the newer one
            link(get_report(units_db, ticket))
    assert get_report(units_db, older).status == "menunggu"
    assert get_report(units_db, newer).duplicate_of_id == get_report(units_db, older).id


def test_the_status_notes_of_a_closed_request_are_its_final_state(post, client, units_db, config):
    ticket = as_json(post(**located(HALTE_HARMONI)))[0]["service_request_id"]
    from store.reports import add_note
    add_note(units_db, ticket, "Petugas akan datang besok", VERIFIER, public=True)
    bring_to(units_db, config, ticket, "selesai")
    [record] = as_json(client.get(f"/open311/v2/requests/{ticket}.json"))
    assert record["status"] == "closed"
    assert "besok" not in record["status_notes"], "an old note no longer describes a closed request"
    assert record["status_notes"].startswith(config.statuses["selesai"].label.get("id"))


def test_an_unknown_street_waits_for_triage(post, units_db):
    ticket = as_json(post(service_code="sampah", address_string="Gg. Mawar dekat pasar"))[0]["service_request_id"]
    report = get_report(units_db, ticket)
    assert report.assigned_unit is None and report.needs_review
    assert report.review_reasons == ["location_imprecise"], "a street in Jakarta, but which kelurahan is unknown"


def test_confidentiality_defaults_to_hidden_and_can_be_public(post, units_db):
    hidden = as_json(post(**located()))[0]["service_request_id"]
    public = as_json(post(**located(**{"attribute[rahasia]": "tidak"})))[0]["service_request_id"]
    assert get_report(units_db, hidden).confidential is True
    assert get_report(units_db, public).confidential is False


def test_no_response_ever_carries_the_reporters_personal_data(post, client, units_db):
    description = "Saya Dewi Lestari, hp 0813-1111-2222, email dewi.lestari@example.com: trotoar ambles"
    for confidential in ("ya", "tidak"):
        response = post(**located(description=description, **{"attribute[rahasia]": confidential}), **REPORTER)
        ticket = as_json(response)[0]["service_request_id"]
        bodies = [response.data]
        for fmt in ("json", "xml"):
            bodies.append(client.get(f"/open311/v2/requests/{ticket}.{fmt}").data)
            bodies.append(client.get(f"/open311/v2/requests.{fmt}").data)
        for body in bodies:
            text = body.decode()
            for secret in ("Dewi", "Lestari", "dewi.lestari@example.com", "0813-1111-2222", "081311112222", "+6281311112222"):
                assert secret not in text
        assert "trotoar ambles" in bodies[1].decode()
    with units_db.transaction() as session:
        identities = session.scalars(select(ContactIdentity)).all()
        assert sorted(i.channel for i in identities) == ["email", "sms"], "one reporter, both contacts"
        assert {i.address for i in identities} == {"dewi.lestari@example.com", "+6281311112222"}
        assert session.scalar(select(func.count()).select_from(Reporter)) == 1


def rows(db):
    with db.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) for model in (Report, StatusEvent, Reporter, ContactIdentity)
        )


BAD_POSTS = [
    ({"service_code": ""}, 400, "service_code is required"),
    ({"service_code": "ufo"}, 400, "service_code 'ufo' not found"),
    ({"lat": "abc"}, 400, "lat must be a decimal number"),
    ({"lat": "-91"}, 400, "lat must be between -90 and 90"),
    ({"long": "181"}, 400, "long must be between -180 and 180"),
    ({"lat": "nan"}, 400, "lat must be between -90 and 90"),
    ({"long": None}, 400, "lat and long must be given together"),
    ({"lat": None, "long": None}, 400, "a location is required"),
    ({"lat": None, "long": None, "address_id": "123"}, 400, "address_id is not supported"),
    ({"description": "x" * 4001}, 400, "description is longer than 4000 characters"),
    ({"email": "not-an-email"}, 400, "email is not a valid e-mail address"),
    ({"phone": "call me"}, 400, "phone is not a valid phone number"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url must be an http or https URL"),
    ({"attribute[rahasia]": "mungkin"}, 400, "attribute[rahasia] must be ya or tidak"),
    ({"attribute[warna]": "merah"}, 400, "attribute[warna] is not an attribute of service jalan"),
    ({"description": "a\x00b"}, 400, "description contains a NUL character"),
    ({"api_key": None}, 403, "api_key is required"),
    ({"api_key": "guess"}, 403, "api_key is not valid"),
    ({"jurisdiction_id": "bekasikab.go.id"}, 404, "jurisdiction_id 'bekasikab.go.id' not found"),
]


@pytest.mark.parametrize(("change", "status", "message"), BAD_POSTS, ids=[m for _c, _s, m in BAD_POSTS])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_input_gets_a_clear_4xx_and_stores_nothing(client, units_db, fmt, change, status, message):
    fields = {"api_key": API_KEY, **located(**REPORTER)}
    for key, value in change.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    before = rows(units_db)
    response = client.post(f"/open311/v2/requests.{fmt}", data=fields)
    assert response.status_code == status
    if fmt == "json":
        [error] = as_json(response)
        assert error["code"] == status and message in error["description"]
    else:
        root = parse_xml(response)
        assert root.findtext("error/code") == str(status) and message in root.findtext("error/description")
    assert rows(units_db) == before


def test_a_field_given_twice_is_refused(client, units_db):
    before = rows(units_db)
    response = client.post(
        "/open311/v2/requests.json",
        data=MultiDict([("api_key", API_KEY), ("service_code", "jalan"), ("service_code", "pohon"), ("lat", "-6.2"), ("long", "106.8")]),
    )
    assert response.status_code == 400 and "service_code was given 2 times" in as_json(response)[0]["description"]
    assert rows(units_db) == before


def test_an_oversized_body_is_413_and_stores_nothing(client, units_db, config):
    before = rows(units_db)
    huge = "x" * (config.server.max_request_bytes + 1)
    response = client.post("/open311/v2/requests.json", data={**located(), "api_key": API_KEY, "description": huge})
    assert response.status_code == 413
    assert as_json(response)[0]["code"] == 413
    assert rows(units_db) == before


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start_date=yesterday", "start_date must be a W3C datetime"),
        ("end_date=2026-11-24T08:00:00", "end_date must include a time zone"),
        ("start_date=2026-11-20T00:00:00Z&end_date=2026-11-01T00:00:00Z", "end_date is before start_date"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z", "may not span more than 90 days"),
        ("status=pending", "status must be open or closed"),
        ("service_code=ufo", "service_code 'ufo' not found"),
        ("status=", "status must be open or closed (or left out), not empty"),
        ("service_request_id=JKT-2611-00001&start_date=kemarin", "start_date must be a W3C datetime"),
    ],
)
def test_bad_queries_are_400(client, query, message):
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    assert message in as_json(response)[0]["description"]


def test_an_unknown_request_is_404(client):
    response = client.get("/open311/v2/requests/JKT-2611-99999.xml")
    assert response.status_code == 404
    assert parse_xml(response).findtext("error/description") == "service_request_id 'JKT-2611-99999' not found"


@pytest.mark.parametrize(
    ("address", "unit", "precision", "reasons"),
    [
        ("depan Halte Harmoni", "Kelurahan Kebon Kelapa", "landmark", []),
        ("Gg. Mawar, kel. Klender", "Kelurahan Klender", "kelurahan", []),
        ("kec. Duren Sawit", None, "kecamatan", ["location_imprecise"]),
        ("dekat rumah pak RT", None, "none", ["no_location"]),
    ],
)
def test_an_address_without_coordinates_is_placed_from_its_words(post, units_db, address, unit, precision, reasons):
    ticket = as_json(post(service_code="jalan", address_string=address, description="Aspal rusak"))[0]["service_request_id"]
    report = get_report(units_db, ticket)
    assert (report.assigned_unit.name if report.assigned_unit else None) == unit
    assert report.location_precision == precision
    assert report.review_reasons == reasons
    assert report.needs_review == bool(set(reasons) - {"on_kelurahan_border"})


def test_the_description_decides_urgency_and_is_redacted(post, units_db):
    ticket = as_json(post(**located(service_code="pohon", description="Saya Joko Widodo, pohon tumbang menimpa mobil, ada orang terjepit")))[0]["service_request_id"]
    report = get_report(units_db, ticket)
    assert report.priority == "darurat"
    assert "Joko" not in report.description and "terjepit" in report.description
    assert report.normalizer_evidence["pii_kinds"] == ["name"]
    assert "Joko" not in json.dumps(report.normalizer_evidence)
