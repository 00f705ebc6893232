"""What every request handler needs, built once per app and reached through `services()`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from bots.base import Adapter, Incoming
from gateway.config import Config
from normalizer.core import Normalizer
from normalizer.geocoder import JakartaGazetteer
from normalizer.wilayah import Wilayah
from store import Database
from store.categories import category_settings
from store.units import stored_contacts


@dataclass(frozen=True)
class Services:
    config: Config
    db: Database
    wilayah: Wilayah
    normalizer: Normalizer
    geocoder: JakartaGazetteer
    adapters: dict[str, Adapter]
    open311_api_keys: frozenset[str]

    def refresh_console_settings(self) -> None:
        """What admins changed in the console, over config.yaml's: category settings and units' contact points."""
        self.config.apply_category_settings(category_settings(self.db))
        self.config.apply_stored_contacts(stored_contacts(self.db))


def services() -> Services:
    return current_app.extensions["lapor"]


def wake_worker(channel: str | None = None, parsed: dict[str, list[Incoming]] | None = None) -> None:
    """A message just landed in the inbox: run the in-process worker now, not at its next tick, with what the
    webhook parsed of it already (by provider message id: `gateway/handover.py`)."""
    handover = current_app.extensions.get("lapor.handover")
    if handover is not None and parsed:
        handover.hand(channel, parsed)
    wake = current_app.extensions.get("lapor.wake")
    if wake:
        wake()
