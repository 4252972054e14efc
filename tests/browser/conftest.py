"""A real daphne serving the demo data (tests/ingest/live_server.py), and headless Debian Chromium."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.ingest.live_server import free_port, prepare_demo, start_agent, start_server, start_worker

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> tuple:
    """A fresh SQLite file holding the demo data: (path, what demo_data printed)."""
    db = tmp_path_factory.mktemp("server") / "demo.sqlite3"
    return db, prepare_demo(db)


@pytest.fixture(scope="session")
def demo_worker(demo_db):
    """The background worker on the demo database (a test may hold it: SIGSTOP / SIGCONT)."""
    worker = start_worker(demo_db[0])
    yield worker
    worker.terminate()
    worker.wait(timeout=10)


@pytest.fixture(scope="session")
def demo_server(demo_db, demo_worker):
    """daphne serving the demo database, and the real agent streaming eight virtual runners
    (with radio fades) into it; yields (base_url, demo_password)."""
    db, demo = demo_db
    port = free_port()
    server = start_server(db, port)
    # Radio fades now and then, as at a real track: some strides come out low-quality.
    agent = start_agent(port, demo.token, db.parent / "spool.sqlite3", "--runners", "8", "--fade-every", "3",
                        output=subprocess.DEVNULL)
    yield f"http://127.0.0.1:{port}", demo.password
    for process in (agent, server):
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium, per module: Playwright's sync API holds an event loop while it
    runs, which the async tests that follow must not inherit."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_at(browser):
    """A fresh page with the given viewport; closed after the test."""
    pages = []

    def make(width: int = 1280, height: int = 800, csp: bool = False):
        # Playwright's wait_for_function polls string predicates with eval, which the app's CSP
        # forbids: tests bypass it, but for test_csp.py, which checks the policy itself.
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=not csp)
        pages.append(context)
        return context.new_page()

    yield make
    for context in pages:
        context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
