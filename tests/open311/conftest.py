import json
from importlib import resources

import pytest
import yaml
from defusedxml import ElementTree
from jsonschema import Draft202012Validator

from tests.conftest import API_KEY

OPENAPI = yaml.safe_load(resources.files("gateway.open311").joinpath("openapi.yaml").read_text("utf-8"))


def schema(name: str) -> dict:
    """A component schema of our OpenAPI document, usable by jsonschema (refs resolved inline)."""
    return {"$defs": OPENAPI["components"]["schemas"], **_rewrite(OPENAPI["components"]["schemas"][name])}


def _rewrite(node):
    if isinstance(node, dict):
        return {k: (v.replace("#/components/schemas/", "#/$defs/") if k == "$ref" else _rewrite(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    return node


def assert_valid(instance, name: str, many: bool = True):
    target = {"type": "array", "items": schema(name)} if many else schema(name)
    if many:
        target = {"$defs": target["items"].pop("$defs"), **target}
    errors = sorted(Draft202012Validator(target, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(instance), key=str)
    assert not errors, [e.message for e in errors]


def parse_xml(response):
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return ElementTree.fromstring(response.data)


def as_json(response):
    assert response.content_type == "application/json; charset=utf-8"
    return json.loads(response.data)


@pytest.fixture
def post(client):
    def submit(fmt="json", **fields):
        fields.setdefault("api_key", API_KEY)
        return client.post(f"/open311/v2/requests.{fmt}", data=fields)

    return submit
