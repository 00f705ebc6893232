"""The statistics page in real Chromium: its charts draw the figures of the reports the user may see."""

from store import lifecycle
from store.reports import rate_report
from tests.helpers import BLOK_M, HALTE_HARMONI, MONAS, bring_to


def _charts(page):
    page.locator("#charts[data-ready='1']").wait_for(state="attached", timeout=15000)  # no eval: the CSP forbids it
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#charts canvas')].map((canvas) => {
        const chart = Chart.getChart(canvas);
        return [canvas.id, {labels: chart.data.labels, data: chart.data.datasets.map((d) => d.data),
                            series: chart.data.datasets.map((d) => d.label)}];
    }))""")


def test_the_charts_show_the_seeded_reports(console_site, browser):
    done = console_site.report(category="jalan", where=MONAS)
    console_site.report(category="jalan", where=BLOK_M)
    console_site.report(category="sampah", where=HALTE_HARMONI)
    bring_to(console_site.db, console_site.config, done.ticket, lifecycle.SELESAI)
    rate_report(console_site.db, done.ticket, 4)
    page = console_site.login(browser, "triage")
    page.goto(console_site.base + "/console/stats")
    charts = _charts(page)
    category = dict(zip(charts["chart-category"]["labels"], charts["chart-category"]["data"][0]))
    assert category == {"Jalan": 2, "Sampah": 1}
    assert dict(zip(charts["chart-kota"]["labels"], charts["chart-kota"]["data"][0])) == {
        "Kota Administrasi Jakarta Pusat": 2, "Kota Administrasi Jakarta Selatan": 1}
    assert charts["chart-channel"]["data"][0] == [3]
    assert charts["chart-ratings"]["data"][0] == [0, 0, 0, 1, 0]
    assert dict(zip(charts["chart-sla"]["labels"], charts["chart-sla"]["data"][0])) == {"Kelurahan Gambir": 100}
    over_time = dict(zip(charts["chart-status-time"]["series"], (sum(d) for d in charts["chart-status-time"]["data"])))
    assert over_time == {"Menunggu": 2, "Selesai": 1}
    assert page.inner_text("#stat-total") == "3" and page.inner_text("#stat-rating") == "4.0"
    console_site.shot(page, "stats")
    phone = console_site.login(browser, "triage", viewport={"width": 390, "height": 844})
    phone.goto(console_site.base + "/console/stats")
    _charts(phone)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    console_site.shot(phone, "stats-phone")


def test_an_officer_sees_only_their_units_figures(console_site, browser):
    console_site.report(category="jalan", where=MONAS)  # Gambir: the officer's unit
    console_site.report(category="sampah", where=BLOK_M)  # Melawai: not theirs
    page = console_site.login(browser, "officer")
    page.goto(console_site.base + "/console/stats")
    charts = _charts(page)
    assert dict(zip(charts["chart-category"]["labels"], charts["chart-category"]["data"][0])) == {"Jalan": 1}
    assert page.inner_text("#stat-total") == "1"
