"""What the browser tests share: Debian's chromium driven by Playwright, a page that fails its test on
any script error or CSP violation, screenshots, and the five people near the station most tests use.

Outside CI a browser test module is skipped when Chromium or Playwright is missing (`skip_without_browser`);
in CI (CI set) it fails instead, so it never silently stops running.
"""
import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    expect = sync_playwright = None

ALL_WEEK = [{"day": d, "start": "00:00", "end": "24:00"} for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
DESKTOP = {"width": 1400, "height": 1000}
FIVE = [("张伟", ["心理咨询"]), ("李娜", ["心理疏导", "课业辅导"]), ("王芳", ["心理疏导"]), ("刘洋", ["法律援助"]),
        ("陈静", ["心理疏导"])]


def skip_without_browser():
    """Skip the calling test module when there is no browser to drive (never in CI)."""
    if not (CHROMIUM and sync_playwright) and not os.environ.get("CI"):
        pytest.skip("needs Debian's chromium and the playwright package (.ci/run installs both)", allow_module_level=True)


class Browser:
    """One headless Chromium for a test: pages in new contexts, every script error collected."""

    def __init__(self, browser, base_url, shots):
        self.browser, self.base_url, self.shots, self.errors = browser, base_url, shots, []

    def page(self, viewport=DESKTOP, **context):
        page = self.browser.new_context(base_url=self.base_url, viewport=viewport, **context).new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: self.errors.append(msg.text)
                if msg.type == "error" and "status of 4" not in msg.text else None)
        page.shots = self.shots
        return page


def shot(page, name):
    """A full-page screenshot into the test's screenshots folder."""
    page.screenshot(path=str(page.shots / f"{name}.png"), full_page=True)


def add_members(client, station, people=FIVE):
    """People near the station, free all week, members of it; their ids."""
    ids = []
    for i, (name, skills) in enumerate(people):
        body = {"name": name, "phone": f"1380013800{i}", "skills": skills, "availability": ALL_WEEK,
                "location": {"lat": 29.5935 + (i - 2) / 200, "lon": 106.5289 + (i % 3 - 1) / 200}, "station_id": station["id"]}
        response = client.post("/api/v1/volunteers", json=body)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids
