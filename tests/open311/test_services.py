"""GET services, service definitions and discovery, in JSON and XML."""

import pytest

from tests.open311.conftest import as_json, assert_valid, parse_xml


def test_services_list_every_category(client, config):
    services = as_json(client.get("/open311/v2/services.json"))
    assert [s["service_code"] for s in services] == [c.code for c in config.categories]
    assert_valid(services, "Service")
    road = services[0]
    assert road == {
        "service_code": "jalan", "service_name": "Jalan", "description": "Jalan rusak, berlubang, amblas, trotoar rusak",
        "metadata": True, "type": "realtime", "keywords": "infrastruktur", "group": "infrastruktur",
    }


def test_services_in_english_when_asked(client):
    services = as_json(client.get("/open311/v2/services.json", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert services[0]["service_name"] == "Roads"


def test_services_as_xml(client, config):
    root = parse_xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    items = root.findall("service")
    assert len(items) == len(config.categories)
    assert items[0].findtext("service_code") == "jalan"
    assert items[0].findtext("metadata") == "true"
    assert [child.tag for child in items[0]] == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]


def test_a_service_definition_offers_the_confidential_choice(client):
    definition = as_json(client.get("/open311/v2/services/pohon.json"))
    assert_valid(definition, "ServiceDefinition", many=False)
    [attribute] = definition["attributes"]
    assert attribute["code"] == "rahasia" and attribute["datatype"] == "singlevaluelist"
    assert [v["key"] for v in attribute["values"]] == ["ya", "tidak"]
    root = parse_xml(client.get("/open311/v2/services/pohon.xml"))
    assert root.tag == "service_definition"
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == ["ya", "tidak"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_404_in_the_spec_format(client, fmt):
    response = client.get(f"/open311/v2/services/ufo.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        assert as_json(response) == [{"code": 404, "description": "service_code 'ufo' not found"}]
    else:
        root = parse_xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "404"
        assert root.findtext("error/description") == "service_code 'ufo' not found"


def test_jurisdiction_is_checked(client):
    assert client.get("/open311/v2/services.json?jurisdiction_id=jakarta.go.id").status_code == 200
    response = client.get("/open311/v2/services.json?jurisdiction_id=bandung.go.id")
    assert response.status_code == 404
    assert "jurisdiction_id 'bandung.go.id' not found" in as_json(response)[0]["description"]


def test_discovery_points_at_the_v2_endpoint(client, config):
    document = as_json(client.get("/open311/discovery.json"))
    [endpoint] = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"{config.server.base_url}/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = parse_xml(client.get("/open311/discovery.xml"))
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_unknown_resources_and_formats_are_404_in_the_spec_format(client):
    for path in ("/open311/v2/services.csv", "/open311/v2/nothing.json", "/open311/v3/services.json"):
        response = client.get(path)
        assert response.status_code == 404
        assert as_json(response)[0]["code"] == 404


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/open311/v2/services.xml")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert parse_xml(response).findtext("error/code") == "405"
