"""The normalizer built from `config.yaml` (categories, keywords, thresholds) and the shipped data."""

from __future__ import annotations

import json

from gateway.config import Config
from normalizer.classify import CategoryRule
from normalizer.core import Normalizer
from normalizer.geocoder import JakartaGazetteer
from normalizer.location import valid_point
from normalizer.wilayah import Wilayah


def category_rules(config: Config) -> list[CategoryRule]:
    return [
        CategoryRule(
            code=category.code,
            keywords=tuple(category.keywords.id + category.keywords.en),
            negative=tuple(category.negative),
            emergency=category.priority == "darurat",
        )
        for category in config.categories
    ]


def build_normalizer(config: Config, wilayah: Wilayah | None = None, use_model: bool = True) -> Normalizer:
    wilayah = wilayah or Wilayah.load(border_tolerance_m=config.geography.border_tolerance_m)
    return Normalizer(
        category_rules(config),
        wilayah,
        category_threshold=config.normalizer.category_confidence_threshold,
        category_names={category.code: category.name.id for category in config.categories},
        use_model=use_model,
    )


def build_geocoder(config: Config, normalizer: Normalizer) -> JakartaGazetteer:
    """The gazetteer, with a Nominatim fallback when `normalizer.online_geocoder.enabled`."""
    settings = config.normalizer.online_geocoder
    fallback = None
    if settings.enabled:
        from urllib.parse import urlsplit

        from geopy.geocoders import Nominatim

        url = urlsplit(settings.nominatim_url)
        fallback = Nominatim(
            domain=url.netloc + url.path.rstrip("/"), scheme=url.scheme, timeout=settings.timeout_s,
            user_agent="lapor-gateway",
        )
    return JakartaGazetteer(normalizer, fallback=fallback)


def normalize_line(normalizer: Normalizer, line: str, number: int) -> dict:
    """One CLI input line → the normalizer's result, or an error object naming the problem."""
    try:
        message = json.loads(line)
    except json.JSONDecodeError as error:
        return {"line": number, "error": f"not valid JSON: {error.msg}"}
    if not isinstance(message, dict):
        return {"line": number, "error": "each line must be a JSON object"}
    text = message.get("text")
    if not isinstance(text, str):
        return {"line": number, "error": "text must be a string"}
    lat, lon = message.get("lat"), message.get("lon")
    if (lat is None) != (lon is None):
        return {"line": number, "error": "lat and lon must be given together"}
    if lat is not None and not valid_point(lat, lon):
        return {"line": number, "error": "lat must be a number in [-90, 90] and lon in [-180, 180]"}
    result = normalizer.normalize(text, lat, lon).as_dict()
    if "id" in message:
        result = {"id": message["id"], **result}
    return result
