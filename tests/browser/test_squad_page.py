"""The coach logs in and manages the demo squad in a real browser."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _login(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_coach_sees_the_demo_squad_and_creates_a_station(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 800)
    _login(page, base_url, "coach", password)
    page.click("text=Demo squad")
    squad_url = page.url
    assert page.locator("table >> text=Ava Okafor").is_visible()
    assert page.locator("tbody tr").first.is_visible()
    page.fill("input[name=name]", "Lane 8 laptop")
    page.click("text=Create station and show its token")
    token = page.locator("#new-token").inner_text()
    assert len(token) > 30
    screenshot(page, "squad-page-desktop")
    page.goto(squad_url)
    assert page.locator("#new-token").count() == 0
    assert page.locator("td >> text=Lane 8 laptop").is_visible()


def test_squad_page_fits_a_phone(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(390, 844)
    _login(page, base_url, "coach", password)
    page.click("text=Demo squad")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "squad-page-phone")


def test_a_runner_cannot_reach_the_squad_page(demo_server, page_at):
    base_url, password = demo_server
    page = page_at()
    _login(page, base_url, "runner1", password)
    assert "My sessions" in page.content()
    response = page.goto(f"{base_url}/squads/1/")
    assert response.status == 403
