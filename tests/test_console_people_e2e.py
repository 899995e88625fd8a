"""The console's people page end to end in headless Chromium (Debian's chromium, driven by Playwright)
against the app served by gunicorn on loopback: search the station's people by name, phone digits and
skill, open a profile (free time, service, the imports that touched them), invite by hand, and see a
refused invitation's reason.

Screenshots go to the test's temporary folder (tests/browser.py).
"""
import datetime as dt
import io
import time

import pytest

from .browser import add_members, expect, shot, skip_without_browser

skip_without_browser()
pytestmark = pytest.mark.slow
ROSTER = "姓名,手机,特长,服务区域\n王芳,13800138002,心理疏导、手语,重庆市渝北区\n"


@pytest.fixture
def city(client, station, make_token):
    """Five members of the station, free all week; one person asking to join; someone of another station."""
    add_members(client, station)
    joiner = {"name": "赵敏", "phone": "13911112222", "skills": ["手语"], "address": "重庆市渝北区",
              "requested_station_id": station["id"]}
    assert client.post("/api/v1/volunteers", json=joiner).status_code == 201
    other = client.post("/api/v1/stations", json={"name": "南坪社工站", "address": "重庆市南岸区"}).get_json()
    stranger = {"name": "王静", "phone": "13600138002", "skills": ["心理疏导"], "address": "重庆市南岸区",
                "station_id": other["id"]}
    assert client.post("/api/v1/volunteers", json=stranger).status_code == 201
    return make_token("coordinator", station_ids=[station["id"]])


def _import(client, station):
    """An upload for the station that updates 王芳 (found by her phone); wait for it to end."""
    body = {"file": (io.BytesIO(ROSTER.encode("utf-8")), "龙溪名册.csv"), "station_id": str(station["id"])}
    job = client.post("/api/v1/imports", data=body, content_type="multipart/form-data").get_json()
    for _ in range(600):
        job = client.get(f"/api/v1/imports/{job['id']}").get_json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert (job["status"], job["updated"]) == ("done", 1), job
    return job


def test_find_a_person_see_their_profile_and_invite_them_by_hand(page, city, client, station):
    job = _import(client, station)
    day = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    task = client.post("/api/v1/tasks", json={"station_id": station["id"], "title": "周末助老探访", "headcount": 2,
                                              "starts_at": f"{day}T09:00", "ends_at": f"{day}T12:00"}).get_json()
    people = {p["name"]: p for p in client.get("/api/v1/volunteers?page_size=100").get_json()}
    assert client.patch(f"/api/v1/volunteers/{people['陈静']['id']}", json={"active": False}).status_code == 200

    page.goto("/console")
    page.fill("#token", city)
    page.click("#signin-form button")
    expect(page.locator("#view-tasks h2")).to_be_visible()
    page.click('[data-nav="people"]')
    expect(page.locator("#view-people h2")).to_have_text("本站人员")
    rows = page.locator("#people-table tbody tr")
    expect(rows).to_have_count(6)  # the station's five members and the person asking to join; not 南坪's 王静
    expect(page.locator("#people-pages span")).to_have_text("共 6 人 · 1 / 1")
    asking = rows.filter(has_text="赵敏")
    expect(asking.locator(".phone")).to_have_text("139****2222")  # not a member, never accepted: masked
    shot(page, "1-people")

    form = page.locator("#people-form")
    form.locator('[name="q"]').fill("王")
    form.locator("button").click()
    expect(rows).to_have_count(1)  # 王芳 only: 王静 is another station's
    expect(rows.first.locator(".phone")).to_have_text("13800138002")
    form.locator('[name="q"]').fill("38004")  # the end of 陈静's phone
    form.locator("button").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("陈静")
    expect(rows.first).to_contain_text("否")  # no longer active
    form.locator('[name="q"]').fill("1111")  # the hidden middle of 赵敏's phone finds nobody
    form.locator("button").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("没有找到符合条件的人员")
    form.locator('[name="q"]').fill("")
    form.locator('[name="skill"]').fill("心理咨询")  # a synonym of 心理疏导: both are found
    form.locator("button").click()
    expect(rows).to_have_count(4)
    expect(page.locator("#people-table tbody")).not_to_contain_text("刘洋")
    shot(page, "2-skill")

    rows.filter(has_text="王芳").get_by_role("link", name="王芳").click()
    panel = page.locator("#person-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#person-heading")).to_have_text(f"王芳 · {people['王芳']['volunteer_number']}")
    facts = page.locator("#person-facts")
    expect(facts).to_contain_text("周一至周日 00:00–24:00")
    expect(facts).to_contain_text("心理疏导、手语")  # as the import left her
    expect(facts).to_contain_text("0 次")
    expect(page.locator("#person-imports li")).to_have_count(1)
    expect(page.locator(f'#person-imports li[data-job="{job["id"]}"]')).to_contain_text("更新 · 龙溪名册.csv")
    expect(page.locator("#person-assignments")).to_have_text("本站尚未邀请此人")
    page.locator('#invite-form select[name="task_id"]').select_option(str(task["id"]))
    page.locator("#invite-form button").click()
    expect(page.locator("#flash")).to_contain_text("已邀请: 王芳 → 周末助老探访")
    invitation = page.locator("#person-assignments li")
    expect(invitation).to_have_count(1)
    expect(invitation.locator(".state")).to_have_text("已邀请")
    shot(page, "3-invited")
    asked = client.get(f"/api/v1/tasks/{task['id']}/assignments").get_json()
    assert [(a["name"], a["status"]) for a in asked] == [("王芳", "invited")]
    invitation.get_by_role("link", name="周末助老探访").click()  # the task's page lists the invitation too
    expect(page.locator("#assignment-table tbody tr").first).to_contain_text("王芳")

    # 陈静 is no longer active: the API refuses the invitation, and the console says why, in its words.
    page.goto(f"/console#/people/{people['陈静']['id']}")
    expect(page.locator("#person-heading")).to_contain_text("陈静")
    expect(page.locator("#person-facts")).to_contain_text("已停用")
    page.locator("#invite-form button").click()
    refusal = client.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": people["陈静"]["id"]},
                          headers={"Accept-Language": "zh"})
    assert refusal.status_code == 409
    expect(page.locator('#invite-form [data-error="_any"]')).to_have_text(refusal.get_json()["message"])
    expect(page.locator("#person-assignments")).to_have_text("本站尚未邀请此人")
    shot(page, "4-refused")

    page.click("#switch-lang")  # the same profile, in English
    expect(page.locator("#view-people h2")).to_have_text("Your station's people")
    expect(page.locator("#person-facts")).to_contain_text("Mon–Sun 00:00–24:00")
    shot(page, "5-english")
