"""A provider's media file read as adapters must: in chunks, refused past a size and a time, the provider's refusals
and outages as our send errors (a 4xx for good; a 429, a 5xx or a broken connection worth another try)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from bots.base import PermanentError, RetryableError

MAX_MEDIA_BYTES = 20 * 1024 * 1024
MEDIA_SECONDS = 60


def trusted(url: str, hosts: dict[str, str]) -> bool:
    """Whether `url` is on a host the provider's credentials may be sent to (`hosts`: host → its only scheme)."""
    parts = urlsplit(url)
    return parts.hostname in hosts and parts.scheme == hosts[parts.hostname]


def capped_download(request: Callable[[], requests.Response], provider: str, max_bytes: int = MAX_MEDIA_BYTES,
                    seconds: float = MEDIA_SECONDS) -> tuple[bytes, str]:
    """The body of `request()` (a streamed GET) and its Content-Type header."""
    deadline = time.monotonic() + seconds
    try:
        with request() as response:
            if response.status_code != 200:
                raise (RetryableError if response.status_code >= 500 or response.status_code == 429 else PermanentError)(
                    f"{provider} media: HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise PermanentError(f"{provider} media: larger than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise RetryableError(f"{provider} media: slower than {seconds:g} s")
            return bytes(data), response.headers.get("Content-Type", "")
    except requests.RequestException as error:
        raise RetryableError(f"{provider} media unreachable: {type(error).__name__}") from None
