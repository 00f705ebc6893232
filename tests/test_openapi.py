"""The OpenAPI description is valid and documents every Open311 route the app serves."""

import re

from openapi_spec_validator import validate

from tests.open311.conftest import OPENAPI


def test_the_document_is_valid_openapi():
    validate(OPENAPI)


def documented_paths():
    paths = set()
    for path, item in OPENAPI["paths"].items():
        base = item.get("servers", OPENAPI["servers"])[0]["url"]
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                paths.add((method.upper(), base + path))
    return paths


def served_paths(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/open311/"):
            continue
        path = re.sub(r"<any\([^)]*\):fmt>", "{format}", rule.rule)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        served |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return served


def test_every_route_is_documented_and_every_documented_route_exists(app):
    assert served_paths(app) == documented_paths()


def test_the_served_document_names_this_server(client, config):
    document = client.get("/open311/v2/openapi.json").json
    assert document["servers"] == [{"url": f"{config.server.base_url}/open311/v2"}]
    assert document["paths"].keys() == OPENAPI["paths"].keys()
