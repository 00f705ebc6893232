"""The gazetteer as a geopy geocoder (with an online fallback), duplicates, and the CLI."""

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.geocoders import Nominatim
from geopy.location import Location

from normalizer.duplicates import Candidate, find_duplicates
from normalizer.geocoder import JakartaGazetteer
from tests.conftest import ROOT


def test_geocode_and_reverse(normalizer):
    geocoder = JakartaGazetteer(normalizer)
    found = geocoder.geocode("depan Halte Harmoni")
    assert isinstance(found, Location)
    assert found.raw["kelurahan_code"] == "31.71.01.1005" and found.raw["source"] == "gazetteer"
    assert "Kel. Kebon Kelapa" in found.address
    area = geocoder.geocode("kel. Klender", exactly_one=False)
    assert area[0].raw["precision"] == "kelurahan"
    back = geocoder.reverse("-6.1754, 106.8272")
    assert back.raw["kelurahan"] == "Gambir" and back.latitude == pytest.approx(-6.1754)
    assert geocoder.reverse((-6.2383, 106.9756)) is None, "Bekasi is not ours to reverse"
    assert geocoder.geocode("Margonda Depok") is None
    assert geocoder.geocode("xyzzy") is None


class FakeNominatim(BaseHTTPRequestHandler):
    """Answers /search like a Nominatim server (format=json): a list of places."""

    places = {
        "gang haji ridi": {"lat": "-6.2101", "lon": "106.8453", "display_name": "Gang Haji Ridi, Manggarai, Jakarta"},
        "jalan braga": {"lat": "-6.9175", "lon": "107.6093", "display_name": "Jalan Braga, Bandung, Jawa Barat"},
    }
    queries: list[str] = []

    def do_GET(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query).get("q", [""])[0]
        FakeNominatim.queries.append(query)
        hit = self.places.get(query.lower())
        body = json.dumps([{**hit, "place_id": 1, "importance": 0.5, "type": "road"}] if hit else []).encode()
        self.send_response(200 if url.path == "/search" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def nominatim():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNominatim)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeNominatim.queries.clear()
    yield Nominatim(domain=f"127.0.0.1:{server.server_port}", scheme="http", user_agent="lapor-gateway-tests")
    server.shutdown()
    server.server_close()


def test_an_online_fallback_is_asked_only_for_what_the_gazetteer_misses(normalizer, nominatim, wilayah):
    geocoder = JakartaGazetteer(normalizer, fallback=nominatim)
    assert geocoder.geocode("depan Halte Harmoni").raw["source"] == "gazetteer"
    assert FakeNominatim.queries == []
    found = geocoder.geocode("Gang Haji Ridi")
    assert found.raw["source"] == "fallback" and found.raw["in_jakarta"] is True
    assert found.raw["kelurahan_code"] == wilayah.locate(-6.2101, 106.8453).kelurahan.code
    elsewhere = geocoder.geocode("Jalan Braga")
    assert elsewhere.raw["in_jakarta"] is False and elsewhere.raw["kelurahan_code"] is None
    assert geocoder.geocode("Margonda Depok") is None and "Margonda Depok" not in FakeNominatim.queries


NOW = datetime(2026, 11, 24, 8, tzinfo=UTC)


def candidate(ticket, category="jalan", lat=-6.1754, lon=106.8272, text="jalan berlubang besar", days=1):
    return Candidate(ticket, category, lat, lon, text, NOW - timedelta(days=days))


def test_duplicates_same_category_near_and_recent_ranked():
    candidates = [
        candidate("JKT-1", lat=-6.1760, text="lubang besar di jalan"),  # ~70 m, similar
        candidate("JKT-2", lat=-6.1770, text="ada kucing"),  # ~180 m, unlike
        candidate("JKT-3", lat=-6.1800),  # ~510 m: too far
        candidate("JKT-4", category="sampah"),  # other category
        candidate("JKT-5", days=45),  # too old
        candidate("JKT-6", text="jalan berlubang besar sekali"),  # same spot, very similar
    ]
    found = find_duplicates("jalan", -6.1754, 106.8272, "jalan berlubang besar", candidates, now=NOW)
    assert [d.ticket for d in found] == ["JKT-6", "JKT-1", "JKT-2"]
    assert found[0].distance_m == 0 and found[0].similarity > 0.9
    assert 50 < found[1].distance_m < 90
    wider = find_duplicates("jalan", -6.1754, 106.8272, "x", candidates, now=NOW, radius_m=600, window=timedelta(days=60))
    assert {d.ticket for d in wider} == {"JKT-1", "JKT-2", "JKT-3", "JKT-5", "JKT-6"}


@pytest.mark.slow  # a process of its own
def test_the_normalize_command_reads_and_writes_json_lines(tmp_path):
    lines = [
        {"text": "Assalamualaikum, jln dpn SDN 01 kb jeruk bolong parah, sy Budi 081234567890"},
        "this is not json",
        {"text": "pohon tumbang", "lat": -6.1754, "lon": 106.8272, "id": "m-3"},
        {"text": "x", "lat": 123, "lon": 5},
        {"text": None},
    ]
    stdin = "\n".join(item if isinstance(item, str) else json.dumps(item) for item in lines) + "\n"
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "--config", str(ROOT / "config.yaml"), "normalize"],
        input=stdin, capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5
    first = out[0]
    for key in ("type", "is_report", "category", "category_confidence", "urgency", "location", "pii", "description", "title", "missing"):
        assert key in first
    for key in ("lat", "lon", "precision", "kelurahan_code", "kelurahan", "kecamatan_code", "kecamatan", "kota_code", "kota", "in_jakarta"):
        assert key in first["location"]
    assert first["category"] == "jalan" and first["location"]["kelurahan"] == "Kebon Jeruk"
    assert {p["kind"] for p in first["pii"]} == {"phone", "name"} and "081234567890" not in first["description"]
    assert out[1] == {"line": 2, "error": "not valid JSON: Expecting value"}
    assert out[2]["id"] == "m-3" and out[2]["location"]["kelurahan"] == "Gambir"
    assert out[3]["line"] == 4 and "lat must be" in out[3]["error"]
    assert out[4] == {"line": 5, "error": "text must be a string"}
    assert "normalizing" not in result.stderr, "no progress bar when stderr is not a terminal"


def test_the_configured_online_geocoder_is_used_for_open311_addresses(config, normalizer, nominatim):
    from gateway.config import OnlineGeocoder
    from gateway.normalizing import build_geocoder

    domain = nominatim.domain
    enabled = config.model_copy(
        update={"normalizer": config.normalizer.model_copy(
            update={"online_geocoder": OnlineGeocoder(enabled=True, nominatim_url=f"http://{domain}")}
        )}
    )
    geocoder = build_geocoder(enabled, normalizer)
    assert geocoder.fallback is not None
    assert geocoder.geocode("Gang Haji Ridi").raw["source"] == "fallback"
    assert build_geocoder(config, normalizer).fallback is None, "off by default"


@pytest.mark.slow  # a process of its own
def test_the_normalize_command_shows_progress_on_a_terminal(tmp_path):
    import os
    import pty

    primary, secondary = pty.openpty()
    stdin = "".join(json.dumps({"text": f"sampah numpuk {n}"}) + "\n" for n in range(50))
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--config", str(ROOT / "config.yaml"), "normalize"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=secondary, cwd=tmp_path, text=True,
    )
    out, _ = process.communicate(stdin, timeout=120)
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert process.returncode == 0
    assert len(out.splitlines()) == 50
    assert b"normalizing" in shown and b"50" in shown


def test_a_prefetched_gazetteer_asks_online_once_up_front_and_never_later(normalizer, nominatim):
    geocoder = JakartaGazetteer(normalizer, fallback=nominatim)
    ready = geocoder.prefetched(["depan Halte Harmoni", "gang haji ridi", "", None])
    assert FakeNominatim.queries == ["gang haji ridi"], "only what the gazetteer cannot place, at once"
    found = ready.geocode("gang haji ridi")
    assert FakeNominatim.queries == ["gang haji ridi"], "nothing asked online after the prefetch"
    assert found.raw["source"] == "fallback" and found.raw == geocoder.geocode("gang haji ridi").raw
    assert ready.geocode("depan Halte Harmoni").raw["source"] == "gazetteer"
    assert ready.geocode("gang tidak diminta") is None and FakeNominatim.queries == ["gang haji ridi"] * 2
