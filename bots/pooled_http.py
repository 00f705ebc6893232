"""The provider clients' HTTP: one urllib3 pool of kept-alive connections per adapter, shared by every sending thread.

python-telegram-bot and twilio each let the HTTP layer be chosen (PTB's `BaseRequest`, twilio's `HttpClient`).
Their own (httpx on an event loop in a thread of its own; a requests Session that re-reads the proxy settings
on every call) cost about twice the CPU a send of a pooled urllib3 POST (benchmarks/send_cost.py). The clients
still build every request and read every answer: only the transport is ours.

PTB's `Bot` methods are coroutines. With `PooledRequest` nothing in them waits on an event loop (the HTTP call
blocks the calling thread, as every other provider call here does), so `run_now` runs one to its end in the
calling thread: no loop, no thread hop. Should one ever wait on a loop after all, it fails loudly instead.

As the clients' own transports did, the pools take their proxy from the environment (HTTPS_PROXY / HTTP_PROXY, with
NO_PROXY) and trust REQUESTS_CA_BUNDLE or SSL_CERT_FILE when set, else certifi's certificates.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.request
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import certifi
import urllib3
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from twilio.http import HttpClient
from twilio.http.response import Response

from bots.base import UnansweredError

T = TypeVar("T")
CONNECTIONS = 16  # kept per host: the sending threads (8 by default), photo downloads, an overlapping run
CONNECT_SECONDS, READ_SECONDS = 5.0, 5.0  # PTB's own defaults (HTTPXRequest)
CALL_SECONDS = 30.0  # a whole call at most, however slowly the bytes trickle in


def connection_pool(base_url: str, connections: int = CONNECTIONS) -> urllib3.PoolManager:
    """Kept-alive connections to the provider at `base_url`, `connections` kept for reuse (more are opened when
    needed, then closed), through the environment's proxy for it; nothing retried here: the outbox decides what is
    tried again, and asks the provider first whether it was sent."""
    settings = {"maxsize": connections, "retries": False,
                "ca_certs": os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or certifi.where()}
    parts = urlsplit(base_url)
    proxy = None if urllib.request.proxy_bypass(parts.hostname or "") else urllib.request.getproxies().get(parts.scheme)
    return urllib3.ProxyManager(proxy, **settings) if proxy else urllib3.PoolManager(**settings)


def run_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a PTB coroutine whose HTTP is `PooledRequest`: it runs to its end at the first step."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("a Bot API call waited on an event loop; PooledRequest calls never do")


class PooledRequest(BaseRequest):
    """PTB's HTTP layer on a urllib3 pool: forms as PTB encodes them (JSON values in a form, files as multipart),
    its timeouts, and urllib3's failures as PTB's `TimedOut` and `NetworkError`."""

    def __init__(self, base_url: str, connections: int = CONNECTIONS, read_timeout: float = READ_SECONDS):
        self._pool = connection_pool(base_url, connections)
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        pass  # connections are opened when first needed

    async def shutdown(self) -> None:
        self._pool.clear()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE, pool_timeout=BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        timeout = urllib3.Timeout(total=CALL_SECONDS, connect=_given(connect_timeout, CONNECT_SECONDS),
                                  read=_given(read_timeout, self._read_timeout))
        form = {}  # a GET (a file download) has none
        if request_data is not None and request_data.contains_files:
            form = {"fields": {**request_data.json_parameters, **request_data.multipart_data}}
        elif request_data is not None:
            form = {"fields": request_data.json_parameters, "encode_multipart": False}
        try:
            response = self._pool.request(method, url, headers={"User-Agent": self.USER_AGENT}, timeout=timeout,
                                          redirect=False, **form)
        except urllib3.exceptions.NewConnectionError as error:  # refused (urllib3 counts it a connect timeout too)
            raise NetworkError(f"urllib3.{type(error).__name__}: {error}") from error
        except urllib3.exceptions.TimeoutError as error:
            raise TimedOut from error
        except urllib3.exceptions.HTTPError as error:
            raise NetworkError(f"urllib3.{type(error).__name__}: {error}") from error
        return response.status, response.data


def _given(value: Any, default: float) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class PooledTwilioClient(HttpClient):
    """twilio's HTTP layer on a urllib3 pool: form or JSON bodies as its own client sends them, basic auth. A
    request that reached no server is the `OSError` requests would have raised (the adapter: unreachable); one that
    was sent and not answered in time is `UnansweredError` (Twilio may have taken the message: it is asked before
    sending again). twilio's own client waited without end. This one logs nothing: twilio's logs each request's
    address and headers."""

    def __init__(self, base_url: str, connections: int = CONNECTIONS, timeout: float = CALL_SECONDS):
        super().__init__(logger=None, is_async=False, timeout=timeout)
        self._pool = connection_pool(base_url, connections)

    def close(self) -> None:
        self._pool.clear()

    def request(self, method: str, url: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
        body = None
        if data is not None:
            if headers.get("Content-Type", "").endswith("json"):  # application/json, application/scim+json
                body = json.dumps(data)
            else:
                body = urlencode(data, doseq=True)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, doseq=True)
        try:
            response = self._pool.request(method.upper(), url, body=body, headers=headers,
                                          timeout=timeout or self.timeout, redirect=allow_redirects)
        except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError) as error:
            raise ConnectionError(f"urllib3.{type(error).__name__}: {error}") from error
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError) as error:
            raise UnansweredError(f"twilio did not answer: urllib3.{type(error).__name__}") from error
        except urllib3.exceptions.HTTPError as error:
            raise ConnectionError(f"urllib3.{type(error).__name__}: {error}") from error
        return Response(response.status, response.data.decode("utf-8", "replace"), response.headers)
