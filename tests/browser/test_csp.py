"""The Content-Security-Policy holds on every page: no inline script, no eval, nothing from
elsewhere — and the pages still work under it (charts drawn, live sockets open)."""

import pytest

from tests.browser.test_squad_page import _login

pytestmark = pytest.mark.browser

WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
    (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""

COACH_PAGES = ["/coach/", "/squads/1/", "/squads/1/overview/", "/squads/1/compare/?runner=1&runner=2",
               "/runners/1/", "/runners/1/zones/", "/live/squad/1/", "/live/runner/1/", "/me/api-tokens/"]
RUNNER_PAGES = ["/me/", "/me/profile/", "/runners/1/trends/", "/sessions/upload/", "/me/api-tokens/"]


def _violations(page, base_url: str, path: str) -> list[str]:
    response = page.goto(f"{base_url}{path}")
    assert response.status == 200, path
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_timeout(1500)  # charts drawn, sockets opened
    return page.evaluate("window.__csp")


def test_no_page_breaks_the_content_security_policy(demo_server, page_at):
    base_url, password = demo_server
    found = {}
    for user, paths in (("coach", COACH_PAGES), ("runner1", RUNNER_PAGES)):
        page = page_at(1280, 900, csp=True)
        page.add_init_script(WATCH)
        errors = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        _login(page, base_url, user, password)
        if user == "runner1":
            page.goto(f"{base_url}/me/")
            paths = paths + [page.locator("tbody tr a").first.get_attribute("href")]
        for path in paths:
            violations = _violations(page, base_url, path)
            if violations or errors:
                found[path] = violations + errors
            errors.clear()
    assert found == {}


def test_the_live_board_still_streams_under_the_policy(demo_server, page_at):
    base_url, password = demo_server
    page = page_at(1280, 800, csp=True)
    page.add_init_script(WATCH)
    _login(page, base_url, "coach", password)
    page.goto(f"{base_url}/live/squad/1/")
    events = 0
    for _ in range(120):  # page.evaluate, not wait_for_function: the latter needs eval
        events = page.evaluate("window.stridesiteLive ? window.stridesiteLive.feed.stats.events : 0")
        if events > 5:
            break
        page.wait_for_timeout(500)
    assert events > 5
    assert page.evaluate("window.__csp") == []
