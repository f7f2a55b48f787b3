"""The dashboard at /dashboard/: its static files and headers over HTTP, and the page itself driven in headless
Chromium (Debian's /usr/bin/chromium via Playwright) against the real stack."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import Stack
from tests.support.png import decode_png

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 20_000  # generous: the machine is shared; no timing is asserted


# --- served files -------------------------------------------------------------------------------


async def test_dashboard_files_are_served_without_auth_with_a_self_only_csp(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.rest_url, timeout=30) as http:
        for path, media_type in (
            ("/dashboard", "text/html"),
            ("/dashboard/", "text/html"),
            ("/dashboard/app.js", "text/javascript"),
            ("/dashboard/style.css", "text/css"),
        ):
            response = await http.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith(media_type), path
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "connect-src 'self'" in csp
            assert "unsafe-inline" not in csp and "default-src 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
        page = (await http.get("/dashboard/")).text
        assert '<script src="app.js"' in page and "<script>" not in page  # no inline script for the CSP to block


async def test_only_the_dashboard_files_are_served(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.rest_url, timeout=30) as http:
        for path in ("/dashboard/routes.py", "/dashboard/__init__.py", "/dashboard/..%2Froutes.py", "/dashboard/x.js"):
            response = await http.get(path)
            assert response.status_code == 404, path


# --- in the browser -----------------------------------------------------------------------------


def _browser_missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install playwright; never `playwright install`)"
    return None


@pytest.fixture
async def browser_page() -> AsyncIterator[object]:
    """A fresh page of headless Chromium. Skipped when Chromium or Playwright is missing, except under CI."""
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI is set, so the browser test must run)", pytrace=False)
        pytest.skip(missing)
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(WAIT_MS)
            expect.set_options(timeout=WAIT_MS)
            yield page
        finally:
            await browser.close()


async def _add(client: httpx.AsyncClient, user: str, text: str, categories: list[str] | None = None) -> str:
    body: dict[str, object] = {
        "messages": [{"role": "user", "content": text}],
        "user_id": user,
        "infer": False,
        "async_mode": False,
    }
    if categories:
        body["categories"] = categories
    response = await client.post("/v3/memories/add/", json=body)
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["id"]


def _non_background_share(png: bytes) -> float:
    """The share of pixels that differ from the most common colour (the background)."""
    image = decode_png(png)
    counts = image.colours()
    return 1 - max(counts.values()) / (image.width * image.height)


async def test_dashboard_in_chromium(stack: Stack, client: httpx.AsyncClient, browser_page) -> None:
    from playwright.async_api import expect

    page = browser_page
    user = f"dash-{uuid.uuid4().hex[:8]}"
    await _add(client, user, "Ana keeps bees on the roof of her flat in Lisbon", ["hobbies"])
    await _add(client, user, "Ana is allergic to peanuts")
    hostile = '<img src=x onerror="window.__xss=1">Ana <b>bold</b> & <script>window.__xss=2</script>'
    await _add(client, user, hostile)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    response = await page.goto(f"{stack.rest_url}/dashboard/")
    assert response is not None and response.ok
    assert "script-src 'self'" in (await response.header_value("content-security-policy") or "")

    # The key is asked for once and kept for the session (sessionStorage), not in the page.
    await page.fill("#api-key", stack.key_a)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#app:not([hidden])")
    assert await page.text_content("#whoami") == "acme / app1"
    assert await page.evaluate("sessionStorage.getItem('memgrid.apiKey')") == stack.key_a

    # Search within the user (v2 filters built from the form) and see the matching memory first.
    await page.fill("#f-user", user)
    await page.fill("#query", "beekeeping on the roof")
    await page.click("#search-button")
    first = page.locator("#memory-list li.memory").first
    await first.wait_for()
    await expect(page.locator("#memory-summary")).to_contain_text("results for")
    assert "keeps bees" in (await first.locator(".memory-text").text_content() or "")

    # Listing the user shows all three, the hostile one as text: nothing it contains runs or becomes markup.
    await page.click("#list-button")
    await expect(page.locator("#memory-summary")).to_have_text("3 memories")
    texts = await page.locator("#memory-list .memory-text").all_text_contents()
    assert hostile in texts
    assert await page.locator("#memory-list img, #memory-list script, #memory-list b").count() == 0
    assert await page.evaluate("window.__xss === undefined")

    # The v2 filters the form builds: categories (any of) and a created_at range.
    await page.fill("#f-categories", "sports, hobbies")
    await page.click("#list-button")
    await expect(page.locator("#memory-summary")).to_have_text("1 memory")
    assert "keeps bees" in (await page.locator("#memory-list .memory-text").first.text_content() or "")
    await page.fill("#f-categories", "")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    await page.fill("#f-from", tomorrow)
    await page.click("#list-button")
    await expect(page.locator("#memory-summary")).to_have_text("0 memories")
    await page.fill("#f-from", "")
    await page.fill("#f-to", tomorrow)
    await page.click("#list-button")
    await expect(page.locator("#memory-summary")).to_have_text("3 memories")

    # A memory's history timeline.
    card = page.locator("#memory-list li.memory", has_text="allergic to peanuts")
    await card.locator(".history-button").click()
    entry = page.locator("#history-list li.history-entry").first
    await entry.wait_for()
    assert "ADD" in (await entry.text_content() or "")
    assert "allergic to peanuts" in (await entry.text_content() or "")

    # The list region renders data: its screenshot is not one flat colour.
    shot = await page.locator("#memory-list").screenshot()
    assert _non_background_share(shot) > 0.02

    # A reload in the same tab keeps the key: no second login.
    await page.reload()
    await page.wait_for_selector("#app:not([hidden])")
    assert await page.is_hidden("#login")
    await expect(page.locator("#whoami")).to_have_text("acme / app1")

    # Entities: the user with its memory count.
    await page.click('.tab[data-view="entities"]')
    row = page.locator("#entity-rows tr", has_text=user)
    await row.wait_for()
    assert (await row.locator("td").nth(2).text_content()) == "3"

    # The activity feed picks up an add made through the API, without a reload.
    await page.click('.tab[data-view="activity"]')
    await page.wait_for_selector("#activity-feed li.event")
    await page.evaluate("window.__sameDocument = true")
    fresh_text = f"Ana adopted a cat called {uuid.uuid4().hex[:6]}"
    await _add(client, user, fresh_text)
    await page.locator("#activity-feed li.event", has_text=fresh_text).wait_for()
    assert await page.evaluate("window.__sameDocument === true")
    assert await page.locator("#ops-chart svg rect").count() == 15
    assert await page.locator("#latency-chart svg polyline").count() == 1
    charts = await page.locator(".charts").screenshot()
    assert _non_background_share(charts) > 0.02
    assert errors == []
