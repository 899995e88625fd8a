"""`flask --app web seed-demo`: a demo city that passes the API's own validation."""
from collections import Counter


def test_seed_demo_fills_an_empty_database_once(runner, client):
    result = runner.invoke(args=["seed-demo", "--people", "300"])
    assert result.exit_code == 0, result.output
    assert "300 people" in result.output
    people = client.get("/api/v1/volunteers?page_size=100").get_json()
    assert '"total": 300' in client.get("/api/v1/volunteers").headers["X-Pagination"]
    stations = client.get("/api/v1/stations?page_size=100").get_json()
    assert len(stations) >= 30
    assert len({s["district"] for s in stations}) >= 25
    assert all(s["district"] for s in stations)
    roles = Counter(p["role"] for p in people)
    assert roles["volunteer"] > roles["social_worker"] > 0
    weekend_only = [p for p in people if {slot["day"] for slot in p["availability"]} <= {"sat", "sun"}]
    assert len(weekend_only) > len(people) // 5
    assert all(p["skills"] and p["district"] for p in people)
    tasks = client.get("/api/v1/tasks").get_json()
    assert tasks and all(t["status"] == "open" for t in tasks)

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "already" in again.output
    assert '"total": 300' in client.get("/api/v1/volunteers").headers["X-Pagination"]


def test_every_demo_task_has_candidates(runner, client):
    """The whole demo (3,000 people): each of the 144 tasks has at least 3 candidates, and as many as its seats.

    By construction (web/demo.py): rosters are dealt out station by station (3,000 = 36 x 83 + 12), every
    twelfth person of a roster is a social worker (places 0, 12, ..., 72: 7 a station, 252 in all), and
    the 1st, 3rd and 5th of each station hold legal aid and are free on weekend evenings, so even a
    remote station's labour-rights evening has its own 3.
    """
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Added 36 stations, 3000 people and 144 tasks." in result.output
    tasks = client.get("/api/v1/tasks?page_size=100").get_json() + client.get("/api/v1/tasks?page_size=100&page=2").get_json()
    assert len(tasks) == 144
    assert '"total": 252' in client.get("/api/v1/volunteers?role=social_worker").headers["X-Pagination"]
    found = {}
    for task in tasks:
        response = client.get(f"/api/v1/tasks/{task['id']}/matches?limit=6")
        assert response.status_code == 200, response.get_json()
        found[task["id"]] = results = response.get_json()["results"]
        assert len(results) >= max(3, task["headcount"]), (task["title"], task["district"], task["starts_at"], results)
        if task["role"] != "any":
            assert {r["role"] for r in results} == {task["role"]}
    # Station i's k-th task uses template (i + k) % 8; labour rights is template 2: 5 + 5 + 5 + 4 of them.
    labour = [t for t in tasks if t["required_skills"] == ["法律援助"]]
    assert len(labour) == 19 and all(t["starts_at"][11:16] == "19:00" for t in labour)
    assert min(len(found[t["id"]]) for t in labour) == 3  # a remote station's own three
