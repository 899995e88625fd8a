"""The console on a phone (390 x 844) and on a desktop (1280 x 800), in headless Chromium against the app
served by gunicorn: no view is wider than the window, tables become cards on the phone, names and
buttons do not break, the plot's distances stay on top of its dots; and the coverage view pages through
its rows, finds districts as people type them, and downloads its CSV and Excel files.

Screenshots go to the test's temporary folder (screenshots/<size>-<view>.png). Outside CI the test is
skipped when Chromium or Playwright is missing; in CI (CI set) it fails instead.
"""
import datetime as dt
import io
import re

import pytest

from .browser import add_members, expect, shot, skip_without_browser
from .conftest import backdate_task

skip_without_browser()
pytestmark = pytest.mark.slow
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 800}
# Five districts, six skill categories each: 30 rows of coverage, two pages of 20.
DISTRICTS = ("渝北区", "江北区", "南岸区", "沙坪坝区", "九龙坡区")
SKILLS = ["心理疏导", "法律援助", "课业辅导", "手语", "就业指导", "老年照护"]


@pytest.fixture
def city(app, client, station, make_token):
    """People near the station (candidates), people in five districts (coverage), a task that took place
    with one person's hours recorded, and an open task; the coordinator's token and the two task ids."""
    ids = add_members(client, station, [("欧阳娜娜", ["心理咨询"]), ("李娜", ["心理疏导", "课业辅导"]), ("王芳", ["心理疏导"]),
                                        ("刘洋", ["法律援助"]), ("陈静", ["心理疏导"])])
    for i, district in enumerate(DISTRICTS):
        response = client.post("/api/v1/volunteers", json={"name": f"居民{i}", "address": f"重庆市{district}", "skills": SKILLS})
        assert response.status_code == 201, response.get_json()

    def task(title, day, headcount=2):
        response = client.post("/api/v1/tasks", json={
            "station_id": station["id"], "title": title, "skills": ["心理疏导", "课业辅导"], "headcount": headcount,
            "starts_at": f"{day}T09:00", "ends_at": f"{day}T12:00"})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    past = task("社区长者心理慰藉探访", (dt.date.today() + dt.timedelta(days=3)).isoformat())
    asked = [client.post(f"/api/v1/tasks/{past}/assignments", json={"volunteer_id": person}).get_json() for person in ids[:3]]
    url = f"/api/v1/assignments/{asked[0]['id']}"
    assert client.patch(url, json={"status": "accepted"}).status_code == 200
    backdate_task(app, past, 4)  # it took place yesterday: its hours can be recorded
    assert client.patch(url, json={"status": "completed", "hours": 2.5}).status_code == 200
    upcoming = task("留守儿童周末课业辅导", (dt.date.today() + dt.timedelta(days=7)).isoformat(), headcount=5)
    return make_token("coordinator", station_ids=[station["id"]]), past, upcoming


def new_page(chromium, viewport, lang="zh", accept_downloads=False):
    page = chromium.page(viewport, accept_downloads=accept_downloads)
    page.goto(f"/console?lang={lang}")
    return page


def sign_in(page, token):
    page.fill("#token", token)
    page.click("#signin-form button")
    expect(page.locator("#view-tasks h2")).to_be_visible()


def assert_fits(page, where):
    """Nothing is wider than the window (no sideways scrolling); no button breaks its words over two lines."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{where}: {width} px wide in a {inner} px window"
    broken = page.evaluate("""() => [...document.querySelectorAll('button')].filter((b) => b.offsetParent !== null)
        .filter((b) => { const r = document.createRange(); r.selectNodeContents(b);
                         return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1; })
        .map((b) => b.textContent)""")
    assert broken == [], f"{where}: buttons on two lines: {broken}"


def lines_of(page, selector):
    """How many lines the first text of each matching cell takes (a name must take one)."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)].map((cell) => {
        const text = [...cell.childNodes].find((n) => n.nodeType === 3 && n.textContent.trim());
        const range = document.createRange(); range.selectNodeContents(text);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size; })""", selector)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_view_fits_the_window(chromium, city, viewport):
    token, past, upcoming = city
    size = f"{viewport['width']}"
    page = new_page(chromium, viewport)
    expect(page.locator("#view-signin")).to_be_visible()
    assert_fits(page, "sign-in")
    shot(page, f"{size}-signin")
    sign_in(page, token)
    views = page.eval_on_selector_all("[data-nav]", "links => links.map((a) => a.getAttribute('href'))")
    assert {"#/tasks", "#/plan", "#/coverage", "#/import"} <= set(views)
    for view in views:  # every view in the menu, whoever added it
        page.goto(f"/console{view}")
        expect(page.locator(f"[data-nav].current[href='{view}']")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert_fits(page, view)
        shot(page, f"{size}-{view[2:]}")
    if viewport is PHONE:  # the task list is cards: each cell labelled with its column's heading
        page.goto("/console#/tasks")
        expect(page.locator("#task-table tbody tr[data-task]").first).to_be_visible()
        # Checked in one go in the page: the list may draw again (a newer answer replaces its rows).
        page.wait_for_function("""() => {
            const table = document.querySelector('#task-table'), tr = table.querySelector('tbody tr[data-task]');
            if (!tr || getComputedStyle(tr).display === 'table-row') return false;
            const headings = [...table.tHead.rows[0].cells].map((th) => th.textContent.trim());
            return [...tr.cells].every((td, i) => (td.dataset.label || '') === headings[i])
                && [...tr.cells].some((td) => td.dataset.label);
        }""", timeout=10000)

    # A task that took place: the invitations (cards on the phone), the hours in Chinese, the date once.
    page.goto(f"/console#/task/{past}")
    rows = page.locator("#assignment-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="欧阳娜娜")).to_contain_text("2.5 小时 (站点核实)")
    meta = page.locator("#task-meta").inner_text()
    assert re.match(r"^\S+ \d\d:\d\d – \d\d:\d\d · ", meta), meta  # 1月10日周六 09:00 – 12:00 · ...
    assert_fits(page, "a task that took place")
    assert lines_of(page, "#assignment-table tbody td:first-child") == [1, 1, 1]
    shot(page, f"{size}-task-past")

    # An open task: the candidates (cards on the phone) and the plot, whose distances are drawn over its dots.
    with page.expect_response(lambda response: f"/tasks/{upcoming}/matches" in response.url):
        page.goto(f"/console#/task/{upcoming}")  # (the task before may show candidates until these come)
    candidates = page.locator("#candidate-table tbody tr[data-volunteer]")
    expect(candidates.first.get_by_role("button", name="邀请")).to_be_visible()
    expect(page.locator("#task-heading")).to_have_text("留守儿童周末课业辅导")
    expect(page.locator("#plot circle.candidate").first).to_be_attached()
    assert_fits(page, "an open task")
    assert set(lines_of(page, "#candidate-table tbody td:nth-child(2)")) == {1}  # 欧阳娜娜 on one line
    order = page.eval_on_selector("#plot", """(svg) => [...svg.children].map((n) => n.getAttribute('class'))""")
    assert order.index("ring-label") > max(i for i, kind in enumerate(order) if kind == "candidate")
    if viewport is PHONE:
        button = candidates.first.get_by_role("button", name="邀请").bounding_box()
        name = candidates.first.locator("td").nth(1).bounding_box()
        assert abs(button["y"] - name["y"]) < 20  # a compact card: the name and 邀请 on one line
    shot(page, f"{size}-task-open")

    english = new_page(chromium, viewport, lang="en")
    sign_in(english, token)
    english.goto(f"/console?lang=en#/task/{past}")
    expect(english.locator("#assignment-table tbody tr").filter(has_text="欧阳娜娜")).to_contain_text("2.5 h (verified)")
    assert_fits(english, "a task, in English")
    shot(english, f"{size}-task-past-en")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_coverage_pages_finds_districts_and_downloads(chromium, city, viewport):
    from openpyxl import load_workbook

    token, _, _ = city
    size = f"{viewport['width']}"
    page = new_page(chromium, viewport, accept_downloads=True)
    sign_in(page, token)
    page.click('[data-nav="coverage"]')
    rows = page.locator("#coverage-table tbody tr")
    expect(rows).to_have_count(20)
    expect(page.locator("#coverage-pages span")).to_have_text("1 / 2 · 共 30 行")
    expect(page.locator("#coverage-prev")).to_be_disabled()
    # The coordinator's own district first (the station's: 渝北区), marked as theirs.
    expect(rows.first.locator("td").first).to_contain_text("渝北区")
    expect(rows.first.locator(".badge")).to_have_text("本站")
    expect(page.locator("#coverage-png")).to_be_visible()
    expect(page.locator("#coverage-png")).to_have_js_property("naturalWidth", 1200)
    assert_fits(page, "coverage")
    shot(page, f"{size}-coverage-1")
    page.click("#coverage-next")
    expect(rows).to_have_count(10)
    expect(page.locator("#coverage-pages span")).to_have_text("2 / 2 · 共 30 行")
    expect(page.locator("#coverage-next")).to_be_disabled()
    shot(page, f"{size}-coverage-2")

    # Every row, not just the page, in both formats.
    with page.expect_download() as download:
        page.click("#coverage-csv")
    assert download.value.suggested_filename.endswith(".csv")
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("区县 district,") and len(lines) == 31
    assert lines[1].startswith("渝北区,")  # the order shown: own district first
    with page.expect_download() as download:
        page.click("#coverage-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet.max_row == 31 and sheet["A2"].value == "渝北区"

    # A district as people type it: 江北 finds 江北区 (and says so in the box); a name that matches nothing
    # is a message, not an empty table.
    form = page.locator("#coverage-form")
    form.locator('[name="district"]').fill("江北")
    form.locator("button[type=submit]").click()
    expect(rows).to_have_count(6)
    expect(form.locator('[name="district"]')).to_have_value("江北区")
    expect(page.locator("#coverage-pages")).to_be_hidden()
    form.locator('[name="district"]').fill("火星")
    form.locator("button[type=submit]").click()
    expect(page.locator('[data-error="district"]')).to_contain_text("火星")
    expect(page.locator("#coverage-result")).to_be_hidden()
    expect(form.locator('[name="district"]')).to_have_class("invalid")
    assert_fits(page, "coverage, no such district")
    shot(page, f"{size}-coverage-unknown")
    form.locator('[name="district"]').fill("城口")  # a real county where nobody is: found, and said to be empty
    form.locator("button[type=submit]").click()
    expect(page.locator("#coverage-empty")).to_contain_text("城口县")
    expect(page.locator("#coverage-result")).to_be_hidden()
