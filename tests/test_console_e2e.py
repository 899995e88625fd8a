"""The console end to end in headless Chromium (Debian's chromium, driven by Playwright) against
the app served by gunicorn on loopback: sign in, post a task with one bad field and fix it, see the
candidates, invite, record the completion; then a day's plan, coverage and an import.

Screenshots go to the test's temporary folder (tests/browser.py).
"""
import datetime as dt
import re
from pathlib import Path

import pytest

from .browser import add_members, expect, shot, skip_without_browser
from .conftest import backdate_task, post_past_task

skip_without_browser()
pytestmark = pytest.mark.slow
DATA = Path(__file__).parent / "data" / "import"


@pytest.fixture
def city(client, station, make_token):
    """Five people near the station, free all week, with the skills a counselling task wants."""
    add_members(client, station)
    return make_token("coordinator", station_ids=[station["id"]])


def _has_happened(app, task_id):
    """Time passes: the task took place yesterday (its record can be kept only after it has started)."""
    from web.extensions import db
    from web.models import Task

    with app.app_context():
        starts_at = db.session.get(Task, task_id).starts_at
    backdate_task(app, task_id, (starts_at.date() - dt.date.today()).days + 1)


def test_coordinator_posts_a_task_invites_and_records_service(app, page, city, tmp_path):
    page.goto("/console")
    expect(page.locator("h1")).to_have_text("志愿服务匹配 · 协调员工作台")  # Chinese by default
    page.fill("#token", "vm_not-a-real-token")
    page.click("#signin-form button")
    expect(page.locator('[data-error="token"]')).to_have_text("令牌无效或已撤销")
    page.fill("#token", city)
    page.click("#signin-form button")
    expect(page.locator("#view-tasks h2")).to_be_visible()
    expect(page.locator("#station option")).to_have_text(["龙溪街道社工站"])
    shot(page, "1-tasks")

    form = page.locator("#task-form")
    form.locator('[name="title"]').fill("独居老人心理慰藉探访")
    form.locator('[name="skills"]').fill("心理疏导，课业辅导")
    day = (dt.date.today() + dt.timedelta(days=7)).isoformat()  # a fixed date would pass, and the task expire
    form.locator('[name="starts_at"]').fill(f"{day}T09:00")
    form.locator('[name="ends_at"]').fill(f"{day}T08:00")  # before the start: the API refuses it
    form.locator('[name="headcount"]').fill("2")
    form.locator("button[type=submit]").click()
    expect(page.locator('[data-error="ends_at"]')).to_have_text("必须晚于 starts_at")  # the server says it in the page's language
    expect(form.locator('[name="ends_at"]')).to_have_class("invalid")
    shot(page, "2-bad-field")
    form.locator('[name="ends_at"]').fill(f"{day}T12:00")
    form.locator("button[type=submit]").click()
    expect(page.locator("#task-heading")).to_have_text("独居老人心理慰藉探访")

    rows = page.locator("#candidate-table tbody tr")
    expect(rows).to_have_count(5)  # wanted skills rank, they do not filter: the lawyer is last
    first = rows.nth(0)
    expect(first.locator(".factors .bar")).to_have_count(5)
    expect(first.locator(".reasons")).to_contain_text("km")
    expect(rows.nth(4)).to_contain_text("刘洋")
    expect(page.locator("#plot circle.candidate")).to_have_count(5)
    # Five of the twenty asked for: the console says who the filters left out (nobody: the city is five people).
    expect(page.locator("#candidate-shortfall")).to_have_text("未入选的人数（按筛选条件）: 无人被筛除")
    shot(page, "3-candidates")
    name = first.locator("td").nth(1).inner_text().split("\n")[0]
    first.locator("button").click()
    assignment = page.locator("#assignment-table tbody tr").first
    expect(assignment).to_contain_text(name)
    expect(assignment.locator(".state")).to_have_text("已邀请")
    expect(assignment.locator(".delivery")).to_contain_text("短信")  # how the invitation travels (the log, here)
    expect(assignment.locator("td").nth(1)).to_have_text(re.compile(r"^1380013800\d$"))  # invited: reachable
    assignment.get_by_role("button", name="确认参加").click()
    expect(page.locator("#assignment-table tbody tr").first.locator(".state")).to_have_text("已确认")
    _has_happened(app, int(page.url.rsplit("/", 1)[1]))
    page.reload()
    row = page.locator("#assignment-table tbody tr").first
    row.locator('input[name="hours"]').fill("2.5")
    row.get_by_role("button", name="记录完成").click()
    row = page.locator("#assignment-table tbody tr").first
    expect(row.locator(".state")).to_have_text("已完成")
    expect(row).to_contain_text("2.5 小时 (站点核实)")
    row.locator('select[name="rating"]').select_option("5")
    row.locator('input[name="comment"]').fill("耐心细致")
    row.get_by_role("button", name="保存评价").click()
    expect(page.locator("#flash")).to_contain_text(name)
    shot(page, "4-completed")

    page.click("#switch-lang")
    expect(page.locator("h1")).to_have_text("volmatch · coordinator console")
    expect(page.locator("#task-heading")).to_have_text("独居老人心理慰藉探访")
    expect(page.locator("#assignment-table tbody tr").first.locator(".state")).to_have_text("completed")
    shot(page, "5-english")


def test_plan_a_day_coverage_and_an_import_with_progress(page, city, client, station):
    for title, seats in (("上午探访", 2), ("下午课业辅导", 2)):
        response = client.post("/api/v1/tasks", json={
            "station_id": station["id"], "title": title, "skills": ["心理疏导"], "headcount": seats,
            "starts_at": "2099-01-10T09:00" if title.startswith("上午") else "2099-01-10T14:00",
            "ends_at": "2099-01-10T12:00" if title.startswith("上午") else "2099-01-10T17:00"})
        assert response.status_code == 201
    page.goto("/console#/plan")
    page.fill("#token", city)
    page.click("#signin-form button")
    page.click('[data-nav="plan"]')
    page.fill('#plan-form [name="day"]', "2099-01-10")
    page.click("#plan-form button")
    expect(page.locator("#plan-result")).to_be_visible()
    expect(page.locator("#plan-table tbody tr")).to_have_count(4)  # 5 people, 4 seats, one seat each
    expect(page.locator("#plan-totals")).to_contain_text("本方案总匹配度")
    shot(page, "6-plan")
    page.click("#plan-commit")
    expect(page.locator("#flash")).to_contain_text("已发出邀请: 4")
    assert len(client.get("/api/v1/tasks?status=open").get_json()) == 2
    invited = [a for t in client.get("/api/v1/tasks").get_json() if t["title"] in ("上午探访", "下午课业辅导")
               for a in client.get(f"/api/v1/tasks/{t['id']}/assignments").get_json()]
    assert len(invited) == 4 and len({a["volunteer_id"] for a in invited}) == 4

    page.click('[data-nav="coverage"]')
    expect(page.locator("#coverage-table tbody tr").first).to_be_visible()
    expect(page.locator("#coverage-table tbody")).to_contain_text("渝北区")
    expect(page.locator("#coverage-png")).to_have_js_property("naturalWidth", 1200)  # the PNG loaded
    shot(page, "7-coverage")

    page.click('[data-nav="import"]')
    page.set_input_files('#import-form [name="file"]', str(DATA / "dirty.csv"))
    page.click("#import-form button")
    expect(page.locator("#import-summary")).to_contain_text("新增 2 · 更新 0 · 未变 1 · 拒收 6", timeout=30_000)
    expect(page.locator("#import-progress span")).to_have_text("已读取行数 9")
    expect(page.get_by_role("button", name="下载拒收明细")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="下载拒收明细").click()
    report = download.value.path().read_text(encoding="utf-8-sig")
    assert report.startswith("行号,列,内容,原因")  # the report speaks the console's language
    assert "110105194912310021" not in report
    shot(page, "8-import")


def test_the_station_confirms_or_rejects_self_reported_hours(page, city, client, make_token):
    """Two people report their own hours on a past task; the coordinator confirms one and rejects the other."""
    station_id = client.get("/api/v1/stations").get_json()[0]["id"]
    task = post_past_task(client, {"station_id": station_id, "title": "社区义诊", "headcount": 2,
                                   "starts_at": "2026-01-10T09:00", "ends_at": "2026-01-10T12:00"})
    people = {p["name"]: p for p in client.get("/api/v1/volunteers?per_page=100").get_json()}
    asked = {}
    for name in ("张伟", "李娜"):  # both asked and accepted first: the task is done once nobody is left to serve
        invited = client.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": people[name]["id"]})
        assert invited.status_code == 201, invited.get_json()
        asked[name] = invited.get_json()
        assert client.patch(f"/api/v1/assignments/{asked[name]['id']}", json={"status": "accepted"}).status_code == 200
    for name, asg in asked.items():
        own = {"HTTP_AUTHORIZATION": f"Bearer {make_token('volunteer', volunteer_id=people[name]['id'])}"}
        reported = client.patch(f"/api/v1/assignments/{asg['id']}", json={"status": "completed", "hours": 3},
                                environ_overrides=own)
        assert reported.status_code == 200, reported.get_json()
    page.goto("/console")
    page.fill("#token", city)
    page.click("#signin-form button")
    expect(page.locator("#view-tasks h2")).to_be_visible()  # signed in (the page then shows the task list)
    page.goto(f"/console#/task/{task['id']}")
    rows = page.locator("#assignment-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("本人申报, 待确认")
    # Everyone asked has served: the task is done, so its history shows and no candidates are recommended.
    expect(page.locator("#task-closed")).to_be_visible()
    expect(page.locator("#task-candidates")).to_be_hidden()
    shot(page, "7-pending-hours")
    rows.filter(has_text="张伟").get_by_role("button", name="确认时长").click()
    expect(page.locator("#flash")).to_have_text("张伟: 时长已确认")
    rows.filter(has_text="李娜").get_by_role("button", name="不予确认").click()
    expect(page.locator("#flash")).to_have_text("李娜: 时长未予确认")
    expect(rows.filter(has_text="张伟")).to_contain_text("3 小时 (本人申报)")
    expect(rows.filter(has_text="张伟")).not_to_contain_text("待确认")
    expect(rows.filter(has_text="李娜").locator(".state")).to_have_text("未到场")  # rejected: did not serve
    shot(page, "8-reviewed-hours")
    history = client.get(f"/api/v1/volunteers/{people['张伟']['id']}/service-records").get_json()
    assert history["totals"]["pending"] == 0 and history["total_hours"] == 3

    # A task the coordinator may not see: the error replaces the task view; the banner goes with the next page.
    page.goto("/console#/task/999999")
    expect(page.locator("#flash")).to_have_class("error")
    expect(page.locator("#view-task")).to_be_hidden()
    page.click('[data-nav="tasks"]')
    expect(page.locator("#view-tasks h2")).to_be_visible()
    expect(page.locator("#flash")).to_be_hidden()
