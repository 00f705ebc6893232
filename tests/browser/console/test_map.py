"""The map in real Chromium: boundaries, markers coloured by status, no tile requests, officer scope."""

from urllib.parse import urlsplit

from tests.helpers import BLOK_M, MONAS


def test_map_shows_boundaries_and_markers_without_tiles(console_site, browser):
    gambir = console_site.report(where=MONAS)
    console_site.report(where=BLOK_M, category="sampah")
    page = console_site.login(browser, "triage")
    hosts = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    page.goto(console_site.base + "/console/map")
    page.wait_for_selector(".report-marker, .marker-cluster", timeout=10000)
    page.locator("path.leaflet-interactive").nth(200).wait_for(state="attached", timeout=10000)
    assert page.locator(".report-marker.c-red, .marker-cluster").count() >= 1
    assert set(hosts) == {urlsplit(console_site.base).netloc}
    console_site.shot(page, "map")
    officer = console_site.login(browser, "officer")
    data = officer.evaluate("fetch('/console/map/reports.geojson').then(r => r.json())")
    assert [f["properties"]["ticket"] for f in data["features"]] == [gambir.ticket]
