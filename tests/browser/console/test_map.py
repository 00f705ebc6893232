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


def test_a_report_located_only_to_its_kelurahan_is_drawn_inside_it_as_approximate(console_site, browser):
    from shapely.geometry import Point

    console_site.report(where=BLOK_M, category="sampah", description="Sampah menumpuk di trotoar Blok M")
    named = console_site.report(where=None, category="listrik", description="Lampu jalan mati di kel. Kenari")
    console_site.report(where=None, category="sampah", description="Sampah menumpuk dekat pasar")  # no place at all
    assert named.latitude is None and named.kelurahan_code == "31.71.04.1002"
    page = console_site.login(browser, "triage")
    page.goto(console_site.base + "/console/map")
    page.wait_for_selector("#map[data-loaded='1']", timeout=10000)
    assert page.inner_text("#map-approximate") == "1" and page.inner_text("#map-unplaced") == "1"
    marker = page.locator("#map .report-marker.approximate")
    assert marker.count() == 1 and page.locator("#map .report-marker:not(.approximate)").count() == 1
    style = marker.evaluate("m => { const s = getComputedStyle(m); return [s.borderTopStyle, s.borderRadius]; }")
    assert style == ["dashed", "3px"], "its own style: a dashed diamond, not the solid dot of an exact point"
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    note = popup.locator(".approximate-note").inner_text()
    assert named.ticket in popup.inner_text() and note.startswith("Lokasi perkiraan") and "Kelurahan Kenari" in note
    data = page.evaluate("fetch('/console/map/reports.geojson').then(r => r.json())")
    lon, lat = next(f["geometry"]["coordinates"] for f in data["features"] if f["properties"]["ticket"] == named.ticket)
    assert console_site.wilayah.areas["31.71.04.1002"].geometry.contains(Point(lon, lat))
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    console_site.shot(page, "map-approximate")
    page.close()
