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
