"""GeoReport v2 wire formats: the same records as JSON or as XML (UTF-8, with declaration)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from flask import Response

MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    """An error answered in the spec's format: an array of {code, description}."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def render(records: Any, fmt: str, root: str, item: str | None = None, status: int = 200) -> Response:
    """`records` is a list (rendered under <root><item>…) or one mapping (rendered as <root>)."""
    if fmt == "json":
        body = json.dumps(records, ensure_ascii=False, separators=(",", ":"))
        return Response(body, status=status, content_type=MEDIA_TYPES["json"])
    element = ElementTree.Element(root)
    if isinstance(records, list):
        for record in records:
            _fill(ElementTree.SubElement(element, item or "item"), record)
    else:
        _fill(element, records)
    body = ElementTree.tostring(element, encoding="UTF-8", xml_declaration=True)
    return Response(body, status=status, content_type=MEDIA_TYPES["xml"])


def render_error(error: Open311Error, fmt: str) -> Response:
    return render([{"code": error.status, "description": error.description}], fmt, "errors", "error", error.status)


def _fill(element: ElementTree.Element, record: dict[str, Any]) -> None:
    for key, value in record.items():
        child = ElementTree.SubElement(element, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, list):
            singular = _SINGULAR.get(key, "item")
            for entry in value:
                grandchild = ElementTree.SubElement(child, singular)
                if isinstance(entry, dict):
                    _fill(grandchild, entry)
                else:
                    grandchild.text = _text(entry)
        else:
            child.text = _text(value)


_SINGULAR = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
