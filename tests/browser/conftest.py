"""Real headless Chromium (Debian's `chromium`, driven by Playwright) against the served gateway."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield instance
        instance.close()


# ---- The console, served for real (an HTTP server in a thread) on a store seeded by the test itself ----

import threading  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

from werkzeug.serving import make_server  # noqa: E402

from gateway.app import create_app  # noqa: E402
from store.users import create_user  # noqa: E402
from tests.helpers import MONAS, new_report  # noqa: E402

SHOTS = Path(__file__).resolve().parent.parent / "artifacts"
PASSWORD = "kata-sandi-uji-123"
GAMBIR = "31.71.01.1001"  # kelurahan Gambir (Monas)
KEBON_KELAPA = "31.71.01.1005"  # another kelurahan of Kecamatan Gambir
# role → (username, unit); every user's password is PASSWORD
CONSOLE_USERS = {
    "triage": ("tim.triase", None),
    "officer": ("petugas.gambir", GAMBIR),
    "other_officer": ("petugas.kebon.kelapa", KEBON_KELAPA),
    "service_officer": ("petugas.sda", "DINAS-SDA"),
    "verifier": ("verifikator", None),
    "admin": ("admin", None),
}


@dataclass
class ConsoleSite:
    base: str
    app: object
    db: object
    config: object
    wilayah: object
    usernames: dict[str, str] = field(default_factory=dict)

    @property
    def services(self):
        return self.app.extensions["lapor"]

    def login(self, browser, who: str = "triage", viewport=None):
        """A new browser page logged in as one of CONSOLE_USERS, on the inbox."""
        page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900}, locale="id-ID")
        page.goto(self.base + "/console/login")
        page.fill("input[name=username]", self.usernames[who])
        page.fill("input[name=password]", PASSWORD)
        page.click("#login button[type=submit]")
        page.wait_for_url("**/console/inbox**")
        return page

    def report(self, **kwargs):
        """A report through the real intake (normalizer + dispatch); kwargs as tests.helpers.new_report."""
        kwargs.setdefault("where", MONAS)
        return new_report(self.db, self.config, self.wilayah, **kwargs)

    def shot(self, page, name: str) -> None:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=True)


@pytest.fixture
def console_site(units_db, config, wilayah, normalizer):
    """The whole gateway app (no worker thread) served on a free port; users of every role created."""
    app = create_app(config, units_db, wilayah, environ={"LAPOR_SECRET_KEY": "test-secret-key"}, normalizer=normalizer,
                     adapters={})
    site = ConsoleSite(base="", app=app, db=units_db, config=config, wilayah=wilayah)
    for who, (username, unit) in CONSOLE_USERS.items():
        role = "officer" if who.endswith("officer") else who
        create_user(units_db, username=username, password=PASSWORD, role=role, unit_code=unit,
                    display_name=username.replace(".", " ").title())
        site.usernames[who] = username
    # werkzeug's threaded server stops cleanly from another thread (shutdown waits for its loop);
    # closing waitress's asyncore loop from outside raced with its poll (EBADF at teardown).
    server = make_server("127.0.0.1", 0, app, threaded=True)
    site.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
