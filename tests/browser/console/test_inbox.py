"""The inbox in real Chromium: colours and SLA, filters, unit scope, live rows, inert report text."""

from datetime import timedelta

from sqlalchemy import update

from store import lifecycle
from store.models import Report
from store.types import utcnow
from tests.helpers import BLOK_M, HALTE_HARMONI, MONAS, bring_to

ROW = "#inbox-rows tr"


def tickets(page) -> list[str]:
    return page.locator(ROW + " td.ticket a").all_inner_texts()


def follow(page, selector) -> None:
    """Click a link or submit button and wait for the page it leads to (a click only waits for it to start)."""
    with page.expect_navigation():
        page.click(selector)


def live_page(site, browser, who, path="/console/inbox"):
    """A logged-in inbox whose clock the test moves (the page polls every live_refresh_seconds)."""
    page = site.login(browser, who)
    page.clock.install()
    page.goto(site.base + path)
    page.evaluate("() => { window.__loaded = true; }")
    return page


def next_poll(site, page, selector):
    page.clock.fast_forward(int(site.config.console.live_refresh_seconds * 1000) + 100)
    page.wait_for_selector(selector, timeout=10_000)


def set_due(site, ticket, due):
    with site.db.transaction() as session:
        session.execute(update(Report).where(Report.ticket == ticket).values(sla_due_at=due))


def test_the_inbox_shows_reports_with_the_city_colours_and_sla_left(console_site, browser):
    late = console_site.report(category="jalan", description="Jalan berlubang besar di depan Monas")
    soon = console_site.report(category="sampah", where=HALTE_HARMONI, description="Sampah menumpuk dekat halte Harmoni")
    done = console_site.report(category="pohon", where=BLOK_M, description="Pohon tumbang di Blok M")
    set_due(console_site, late.ticket, utcnow() - timedelta(hours=2, minutes=5))
    set_due(console_site, soon.ticket, utcnow() + timedelta(minutes=50))
    bring_to(console_site.db, console_site.config, done.ticket, lifecycle.SELESAI)
    page = console_site.login(browser, "triage")
    assert tickets(page) == [done.ticket, soon.ticket, late.ticket], "newest first"
    assert "3 laporan" in page.inner_text("#inbox-total")
    late_row = page.locator(f"tr[data-id='{late.id}']")
    assert late_row.locator(".chip").get_attribute("class") == "chip c-red"
    red = late_row.locator(".chip").evaluate("e => getComputedStyle(e).backgroundColor")
    assert red == "rgb(211, 47, 47)"
    assert late_row.locator(".sla-late").inner_text() == "terlambat 2 j 5 m"
    assert "Jalan" in late_row.inner_text() and "Gambir" in late_row.inner_text()
    soon_sla = page.locator(f"tr[data-id='{soon.id}'] [data-f=sla]")
    assert soon_sla.get_attribute("class") == "sla-soon" and soon_sla.inner_text().startswith("sisa ")
    done_row = page.locator(f"tr[data-id='{done.id}']")
    assert done_row.locator(".chip").get_attribute("class") == "chip c-green"
    assert done_row.locator("[data-f=sla]").inner_text() == "", "a closed report has no SLA"
    assert page.locator(".badge-darurat:visible").count() == 0, "none of them is an emergency"
    assert page.locator(f"tr[data-id='{late.id}'] td.ticket a").get_attribute("href") == f"/console/cases/{late.ticket}"
    console_site.shot(page, "inbox")
    page.goto(console_site.base + "/console/inbox?lang=en")
    assert page.locator(f"tr[data-id='{late.id}'] .sla-late").inner_text() == "2 h 5 min late"
    assert "Roads" in page.inner_text(f"tr[data-id='{late.id}']")
    page.goto(console_site.base + "/console/inbox?lang=id")
    page.close()


def test_filters_narrow_the_list(console_site, browser):
    road = console_site.report(category="jalan", description="Jalan berlubang di Monas")
    trash = console_site.report(category="sampah", where=HALTE_HARMONI, description="Sampah menumpuk di Harmoni")
    tree = console_site.report(category="pohon", where=BLOK_M, description="Pohon tumbang dekat Blok M")
    bring_to(console_site.db, console_site.config, tree.ticket, lifecycle.DITANGANI)
    set_due(console_site, trash.ticket, utcnow() - timedelta(hours=1))
    page = console_site.login(browser, "triage")
    assert len(tickets(page)) == 3
    page.check("input[name=status][value=ditangani]")
    follow(page, "#inbox-filters button[type=submit]")
    assert tickets(page) == [tree.ticket]
    page.goto(console_site.base + "/console/inbox")
    page.select_option("select[name=category]", "sampah")
    follow(page, "#inbox-filters button[type=submit]")
    assert tickets(page) == [trash.ticket]
    page.goto(console_site.base + "/console/inbox")
    page.select_option("select[name=kota]", "31.71")
    hidden = page.locator("select[name=kecamatan] option[value='31.74.01']").evaluate("o => o.hidden")
    assert hidden, "a kecamatan of another kota is not offered once a kota is chosen"
    page.select_option("select[name=kecamatan]", "31.71.01")
    page.select_option("select[name=kelurahan]", "31.71.01.1001")
    follow(page, "#inbox-filters button[type=submit]")
    assert tickets(page) == [road.ticket]
    assert "1 laporan" in page.inner_text("#inbox-total")
    page.goto(console_site.base + "/console/inbox")
    page.check("input[name=overdue]")
    follow(page, "#inbox-filters button[type=submit]")
    assert tickets(page) == [trash.ticket]
    page.goto(console_site.base + "/console/inbox")
    page.fill("input[name=q]", "tumbang")
    follow(page, "#inbox-filters button[type=submit]")
    assert tickets(page) == [tree.ticket]
    page.fill("input[name=q]", "melawai")
    follow(page, "#inbox-filters button[type=submit]")
    assert tickets(page) == [tree.ticket], "a place name finds the reports in that area"
    page.fill("input[name=q]", road.ticket)
    follow(page, "#inbox-filters button[type=submit]")
    assert tickets(page) == [road.ticket]
    page.goto(console_site.base + "/console/inbox?status=nonsense")
    assert "Filter tidak dikenal" in page.inner_text("main")
    page.close()


def test_needs_review_reports_show_their_reasons_and_have_a_quick_view(console_site, browser):
    unplaced = console_site.report(category="jalan", where=None, description="Jalan rusak parah tolong")
    placed = console_site.report(category="jalan", description="Jalan berlubang di Monas")
    page = console_site.login(browser, "triage")
    row = page.locator(f"tr[data-id='{unplaced.id}']")
    assert row.locator(".badge-review").is_visible()
    assert "tanpa lokasi" in row.locator("[data-f=reasons]").inner_text()
    assert not page.locator(f"tr[data-id='{placed.id}'] .badge-review").is_visible()
    follow(page, ".views >> text=Perlu ditinjau")
    assert tickets(page) == [unplaced.ticket]
    page.close()


def test_emergencies_carry_a_red_badge(console_site, browser):
    fire = console_site.report(category="kebakaran", description="Kebakaran rumah di dekat Monas")
    road = console_site.report(description="Jalan berlubang di Monas")
    page = console_site.login(browser, "triage")
    badge = page.locator(f"tr[data-id='{fire.id}'] .badge-darurat")
    assert badge.is_visible() and badge.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(211, 47, 47)"
    assert not page.locator(f"tr[data-id='{road.id}'] .badge-darurat").is_visible()
    follow(page, ".views >> text=Darurat")
    assert tickets(page) == [fire.ticket]
    page.close()


def test_officers_see_only_their_units_reports(console_site, browser):
    gambir = [console_site.report(description=f"Jalan berlubang nomor {n} di Monas") for n in range(2)]
    kebon_kelapa = console_site.report(category="sampah", where=HALTE_HARMONI, description="Sampah di halte Harmoni")
    page = console_site.login(browser, "other_officer")
    assert tickets(page) == [kebon_kelapa.ticket]
    page.fill("input[name=q]", gambir[0].ticket)
    follow(page, "#inbox-filters button[type=submit]")
    assert tickets(page) == [], "another unit's report is not found even by its ticket"
    response = page.request.get(console_site.base + "/console/inbox.json?after_id=0")
    assert [row["ticket"] for row in response.json()["rows"]] == [kebon_kelapa.ticket]
    page.close()
    page = console_site.login(browser, "officer")
    assert sorted(tickets(page)) == sorted(r.ticket for r in gambir)
    page.close()


def test_a_new_report_appears_without_a_reload(console_site, browser):
    first = console_site.report(description="Jalan berlubang di Monas")
    page = live_page(console_site, browser, "triage")
    assert tickets(page) == [first.ticket]
    refresh = float(page.get_attribute("#inbox-table", "data-refresh-seconds"))
    assert refresh == console_site.config.console.live_refresh_seconds
    later = console_site.report(category="sampah", description="Sampah menumpuk di Monas")
    next_poll(console_site, page, f"tr[data-id='{later.id}']")
    assert page.evaluate("() => window.__loaded") is True, "the page was not reloaded"
    assert tickets(page) == [later.ticket, first.ticket]
    new_row = page.locator(f"tr[data-id='{later.id}']")
    assert "fresh" in new_row.get_attribute("class")
    assert new_row.locator(".chip").get_attribute("class") == "chip c-red"
    assert "Sampah" in new_row.inner_text() and "sisa" in new_row.inner_text()
    assert "2 laporan" in page.inner_text("#inbox-total") and "1 laporan baru" in page.inner_text("#inbox-new")
    page.close()


def test_live_rows_follow_the_filters_and_the_scope(console_site, browser):
    console_site.report(description="Jalan berlubang di Monas")
    page = live_page(console_site, browser, "officer", "/console/inbox?category=sampah")
    elsewhere = console_site.report(category="sampah", where=HALTE_HARMONI, description="Sampah di halte Harmoni")
    other_category = console_site.report(category="jalan", description="Jalan amblas di Monas")
    wanted = console_site.report(category="sampah", description="Sampah menumpuk di Monas")
    next_poll(console_site, page, f"tr[data-id='{wanted.id}']")
    assert tickets(page) == [wanted.ticket]
    assert page.locator(f"tr[data-id='{elsewhere.id}'], tr[data-id='{other_category.id}']").count() == 0
    page.close()


def test_report_text_is_inert_in_the_page_and_in_live_rows(console_site, browser):
    attack = '<img src=x onerror="document.title=\'pwned\'"> <script>document.title="pwned"</script> jalan berlubang'
    first = console_site.report(description="Jalan rusak " + attack)
    page = live_page(console_site, browser, "triage")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    title = page.title()
    assert "<img src=x" in page.locator(f"tr[data-id='{first.id}'] [data-f=title]").inner_text()
    live = console_site.report(category="sampah", description='Sampah <img src=x onerror="alert(1)"> <script>alert(2)</script>')
    next_poll(console_site, page, f"tr[data-id='{live.id}']")
    assert "<img src=x" in page.locator(f"tr[data-id='{live.id}'] [data-f=title]").inner_text()
    assert page.locator("#inbox-rows img, #inbox-rows script").count() == 0
    page.clock.fast_forward(1000)
    assert page.title() == title and dialogs == []
    page.close()


def test_unauthenticated_json_gets_401_json(console_site):
    response = console_site.app.test_client().get("/console/inbox.json?after_id=0")
    assert response.status_code == 401 and response.json["error"]["status"] == 401


def test_bad_json_queries_get_a_400(console_site, browser):
    page = console_site.login(browser, "triage")
    for query in ("after_id=abc", "after_id=0&kelurahan=31.71.01", "after_id=0&priority=tinggi"):
        response = page.request.get(console_site.base + "/console/inbox.json?" + query)
        assert response.status == 400 and response.json()["error"]["status"] == 400, query
    page.close()


def test_paging_shows_the_total_and_fifty_a_page(console_site, browser):
    made = [console_site.report(description=f"Jalan berlubang nomor {n}", where=MONAS) for n in range(52)]
    page = console_site.login(browser, "verifier")
    assert page.locator(ROW).count() == 50 and "52 laporan" in page.inner_text("#inbox-total")
    follow(page, ".pager a[rel=next]")
    assert tickets(page) == [made[1].ticket, made[0].ticket]
    assert "Halaman 2 dari 2" in page.inner_text(".pager")
    page.close()


def test_the_inbox_works_on_a_phone(console_site, browser):
    console_site.report(description="Jalan berlubang besar di Monas")
    console_site.report(category="sampah", where=None, description="Sampah menumpuk tidak diangkut")
    page = console_site.login(browser, "triage", viewport={"width": 390, "height": 844})
    assert not page.locator("th.optional").first.is_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400, f"no sideways scrolling on a phone ({width}px)"
    sla = page.locator("#inbox-rows tr [data-f=sla]").first.bounding_box()
    assert sla["x"] + sla["width"] <= 390, "the SLA is on screen, not scrolled away"
    assert page.locator("#inbox-rows .badge-darurat:visible").count() == 0, "no emergency here"
    console_site.shot(page, "inbox-phone")
    page.close()
