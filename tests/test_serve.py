"""`run.py serve` as operators run it: a real WSGI server, migrations and units on first start,
and several processes sharing one database."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.fernet import Fernet

from tests.conftest import ROOT

pytestmark = [pytest.mark.sql_dialects, pytest.mark.slow]  # real processes


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url, data=None):
    body = urllib.parse.urlencode(data).encode() if data else None
    try:
        with urllib.request.urlopen(url, body, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def start_gateway(db_url, tmp_path):
    processes = []
    url = db_url if isinstance(db_url, str) else db_url.render_as_string(hide_password=False)
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": url,
        "OPEN311_API_KEYS": "serve-key",
        "LAPOR_DATA_KEY": Fernet.generate_key().decode(),
    }

    def start(extra_env=None):
        port = free_port()
        log = tmp_path / f"gateway-{port}.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "run.py"), "--config", str(ROOT / "config.yaml")],
                cwd=tmp_path, env={**environment, **(extra_env or {}), "PORT": str(port)}, stdout=output,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"gateway exited early:\n{log.read_text()}")
            try:
                if fetch(base + "/healthz")[0] == 200:
                    return base, process
            except OSError:
                time.sleep(0.2)
        pytest.fail("gateway did not become healthy within 60 s")

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=20)


def test_first_start_migrates_loads_units_and_serves(start_gateway):
    base, process = start_gateway()
    status, headers, body = fetch(base + "/healthz")
    assert status == 200 and headers["Server"] == "lapor-gateway", "served by waitress, not the dev server"
    status, _, body = fetch(
        base + "/open311/v2/requests.json",
        {"api_key": "serve-key", "service_code": "jalan", "lat": "-6.2444", "long": "106.7993", "description": "Aspal rusak"},
    )
    assert status == 200, body
    ticket = json.loads(body)[0]["service_request_id"]
    status, _, body = fetch(f"{base}/open311/v2/requests/{ticket}.json")
    assert json.loads(body)[0]["agency_responsible"] == "Kelurahan Melawai"
    status, _, metrics = fetch(base + "/metrics")
    assert b'lapor_reports{priority="normal",status="menunggu"} 1.0' in metrics


def test_two_processes_share_one_database(start_gateway):
    first, _ = start_gateway()
    second, _ = start_gateway()
    form = {"api_key": "serve-key", "service_code": "sampah", "lat": "-6.1754", "long": "106.8272"}

    def submit(index):
        base = (first, second)[index % 2]
        status, _, body = fetch(base + "/open311/v2/requests.json", {**form, "description": f"Sampah {index}"})
        assert status == 200, body
        return json.loads(body)[0]["service_request_id"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        tickets = list(pool.map(submit, range(24)))
    assert len(set(tickets)) == 24
    for base in (first, second):
        listed = json.loads(fetch(base + "/open311/v2/requests.json")[2])
        assert sorted(r["service_request_id"] for r in listed) == sorted(tickets)


def test_a_telegram_message_is_answered_by_the_served_gateway(start_gateway):
    from tests.standins.telegram_api import TelegramStandIn

    api = TelegramStandIn("42:serve").start()
    try:
        base, _ = start_gateway({"TELEGRAM_BOT_TOKEN": "42:serve", "TELEGRAM_WEBHOOK_SECRET": "s3cret",
                                 "TELEGRAM_API_BASE": api.api_base})
        update = {"update_id": 1, "message": {"message_id": 1, "date": 1764000000, "chat": {"id": 99, "type": "private"},
                                               "text": "lampu jalan mati di kel. Kenari"}}
        request = urllib.request.Request(
            base + "/webhooks/telegram", json.dumps(update).encode(),
            {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret"},
        )
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        deadline = time.monotonic() + 20
        while not api.sent() and time.monotonic() < deadline:
            time.sleep(0.05)
        [reply] = api.sent()
        assert reply["chat_id"] == "99" and "rahasia" in reply["text"].lower()
        assert time.monotonic() - started < 5, "the worker is woken by the webhook, not a slow poll"
    finally:
        api.stop()
