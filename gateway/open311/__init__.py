"""The Open311 GeoReport v2 API over the CRM store."""

from gateway.open311.views import blueprint

__all__ = ["blueprint"]
