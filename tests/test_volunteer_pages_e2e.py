"""The volunteer's pages end to end in headless Chromium (Debian's chromium, driven by Playwright), at a
phone's width (390 px) and a desktop's (1280 px), against the app served by gunicorn on loopback with
an SMS gateway on loopback: sign up with the code the gateway received, accept an invitation from the
link its SMS carries, find it under upcoming, change free time, download the service certificate.

Screenshots go to the test's temporary folder. Outside CI the test is skipped when Chromium or
Playwright is missing; in CI (CI set) it fails instead.
"""
import json
import re
import time
import urllib.request

import pytest

from .browser import skip_without_browser
from .peers import GATEWAY_KEY, Peer

skip_without_browser()

pytestmark = pytest.mark.slow


@pytest.fixture
def phone_gateway():
    peer = Peer({"code": "OK"})
    yield peer
    peer.shutdown()
    peer.server_close()


@pytest.fixture
def live_env(phone_gateway):
    """The live server sends SMS to the loopback gateway, at any hour (no quiet hours in this test)."""
    return {"SMS_GATEWAY_URL": phone_gateway.url + "sms", "SMS_GATEWAY_KEY": GATEWAY_KEY, "NOTIFY_QUIET_HOURS": "0-0"}


def sms_to(gateway, phone, pattern, timeout=30):
    """The first match of `pattern` in the newest SMS to `phone` that has one (waiting for the queue)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for body in reversed(gateway.bodies()):
            found = re.search(pattern, body["text"]) if body["phone"] == phone else None
            if found:
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no SMS to {phone} matching {pattern}: {gateway.bodies()}")


def call(port, token, method, path, body=None):
    """The API over HTTP on the live server (so its queue sends what the call writes)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read() or b"null")


@pytest.mark.parametrize("width", [390, 1280])
def test_a_volunteer_signs_up_accepts_from_the_link_and_keeps_their_page(width, live_server, phone_gateway, station,
                                                                         make_token, chromium):
    phone = f"1370013{width:04d}"
    admin = make_token("admin")
    page = chromium.page({"width": width, "height": 860}, accept_downloads=True, is_mobile=width < 600,
                         has_touch=width < 600)  # the chromium fixture fails the test on any script error

    def step(name):
        page.screenshot(path=str(page.shots / f"{width}-{name}.png"), full_page=True)
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{name}: the page scrolls sideways at {width} px"

    # Sign up: the code comes from the SMS the gateway received.
    page.goto("/v")
    page.fill("#phone", phone)
    step("1-sign-in")
    page.click("#get-code")
    code = sms_to(phone_gateway, phone, r"验证码是(\d{6})")
    page.fill("#code", code)
    page.click("#sign-in")
    page.wait_for_selector("#signup-form:not([hidden])")
    page.fill("#signup-form [name=name]", "周末志愿者")
    page.fill("#signup-form [name=address]", "重庆市渝北区龙溪街道")
    page.fill("#signup-form [name=skills]", "心理疏导，陪伴")
    step("2-sign-up")
    page.click("#sign-up")
    page.wait_for_selector("#view-invitations:not([hidden]) li.empty")
    step("3-no-invitations")
    person = next(p for p in call(live_server, admin, "GET", "/volunteers?per_page=100") if p["phone"] == phone)
    assert person["skills"] == ["心理疏导", "陪伴"] and person["district"] == "渝北区"

    # The station invites them; the SMS carries a one-tap link.
    task = call(live_server, admin, "POST", "/tasks", {
        "station_id": station["id"], "title": "周六敬老院探访", "starts_at": "2099-01-10T09:00",
        "ends_at": "2099-01-10T12:00", "location": {"lat": 29.6, "lon": 106.54}, "address": "重庆市渝北区龙溪街道敬老院"})
    call(live_server, admin, "POST", f"/tasks/{task['id']}/assignments", {"volunteer_id": person["id"]})
    link = sms_to(phone_gateway, phone, r"(/v/i/[A-Za-z0-9_.-]+)")
    page.goto(link)
    page.wait_for_selector("#link-card h3")
    assert page.inner_text("#link-card h3") == "周六敬老院探访"
    step("4-link")
    page.click("#link-accept")
    page.wait_for_selector("#flash:not([hidden])")
    assert "已接受" in page.inner_text("#flash")
    assert call(live_server, admin, "GET", f"/tasks/{task['id']}/assignments")[0]["status"] == "accepted"

    # Under upcoming, with a direction from home.
    page.goto("/v#/upcoming")
    page.wait_for_selector("#upcoming-list .card h3")
    card = page.inner_text("#upcoming-list .card")
    assert "周六敬老院探访" in card and "1月10日 周六 09:00–12:00" in card and "距家约" in card
    step("5-upcoming")

    # Free time: Saturday morning, from the week grid.
    page.click("#tabs a[data-tab=profile]")
    page.wait_for_selector("#view-profile:not([hidden])")
    page.check("#slot-sat-morning")
    page.check("#slot-sat-afternoon")
    step("6-profile")
    page.click("#save-profile")
    page.wait_for_selector("#flash:has-text('已保存')")
    saved = call(live_server, admin, "GET", f"/volunteers/{person['id']}")["availability"]
    assert saved == [{"day": "sat", "start": "08:00", "end": "18:00"}]

    # The service certificate downloads as a PDF.
    page.click("#tabs a[data-tab=history]")
    page.wait_for_selector("#view-history:not([hidden])")
    step("7-history")
    with page.expect_download() as download:
        page.click("#certificate")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
