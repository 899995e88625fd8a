"""HTTP tests for /api/v1/volunteers: create, read, update, delete, list, validation."""
import pytest

from .conftest import bearer

URL = "/api/v1/volunteers"
VALID_ID = "11010519491231002X"  # the worked example of GB 11643


def person(**overrides):
    """A valid registration body."""
    body = {
        "name": "张伟",
        "phone": "13800138000",
        "skills": ["心理疏导", "法律咨询"],
        "location": {"lat": 29.5935, "lon": 106.5289},
        "availability": [{"day": "sat", "start": "09:00", "end": "12:00"}],
    }
    body.update(overrides)
    return body


def errors_of(response):
    """The field-named errors of a 4xx response, after checking the error shape."""
    body = response.get_json()
    assert body["code"] == response.status_code
    assert body["message"]
    return body.get("errors", {})


def test_create_and_read(client):
    response = client.post(URL, json=person(id_number=VALID_ID, external_id="CQ-1"))
    assert response.status_code == 201
    created = response.get_json()
    assert created["name"] == "张伟"
    assert created["role"] == "volunteer" and created["tier"] == "regular" and created["active"] is True
    assert created["max_distance_km"] == 10.0
    assert created["district"] == "渝北区"  # reverse lookup of the point
    assert created["location"] == {"lat": 29.5935, "lon": 106.5289}
    assert created["id_number"] == "1101**********002X"
    assert created["created_at"].endswith("+08:00")
    fetched = client.get(f"{URL}/{created['id']}").get_json()
    assert fetched == created


def test_address_resolves_offline(client):
    body = person(address="重庆市渝北区龙溪街道")
    del body["location"]
    created = client.post(URL, json=body).get_json()
    assert created["district"] == "渝北区"
    assert 29.5 < created["location"]["lat"] < 30.0 and 106.4 < created["location"]["lon"] < 106.9


def test_unresolvable_address_is_422_on_address(client):
    body = person(address="火星基地一号")
    del body["location"]
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert "address" in errors_of(response)


def test_place_is_required(client):
    body = person()
    del body["location"]
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert "location" in errors_of(response)


@pytest.mark.parametrize("raw", ["+86 138-0013-8000", "138 0013 8000", "008613800138000", "１３８００１３８０００",
                                 " 13800138000 "])
def test_phone_normal_form(client, raw):
    created = client.post(URL, json=person(phone=raw)).get_json()
    assert created["phone"] == "13800138000"


@pytest.mark.parametrize("raw", ["12345678901", "1380013800", "138001380000", "phone", "+1 415 555 0100"])
def test_bad_phone_is_422(client, raw):
    response = client.post(URL, json=person(phone=raw))
    assert response.status_code == 422
    assert "phone" in errors_of(response)


@pytest.mark.parametrize("raw", [
    "110105194912310021",  # wrong check digit
    "11010519491231002",  # 17 characters
    "11010519491331002X",  # month 13
    "110105209912310025",  # born in the future
    "00010519491231002X",  # no such region
    "1101051949123100ZX",  # letters
])
def test_bad_id_number_is_422(client, raw):
    response = client.post(URL, json=person(id_number=raw))
    assert response.status_code == 422
    assert "id_number" in errors_of(response)


def test_id_number_lowercase_x_accepted_and_never_returned_in_full(client):
    created = client.post(URL, json=person(id_number=VALID_ID.lower())).get_json()
    listed = client.get(URL).get_data(as_text=True)
    assert VALID_ID not in listed and VALID_ID not in str(created)
    assert created["id_number"].startswith("1101") and created["id_number"].endswith("002X")


@pytest.mark.parametrize("field,value", [
    ("max_distance_km", 0),
    ("max_distance_km", -3),
    ("max_distance_km", 501),
    ("availability", [{"day": "someday", "start": "09:00", "end": "12:00"}]),
    ("availability", [{"day": "sat", "start": "9am", "end": "12:00"}]),
    ("availability", [{"day": "sat", "start": "12:00", "end": "09:00"}]),
    ("availability", [{"day": "sat", "start": "25:00", "end": "26:00"}]),
    ("availability", [{"day": "sat", "start": "09:00"}]),
    ("role", "boss"),
    ("tier", "gold"),
    ("name", ""),
    ("name", "   "),
    ("skills", "心理疏导"),
    ("skills", [""]),
    ("location", {"lat": 91, "lon": 106}),
    ("location", {"lat": 29.5}),
    ("station_id", "1"),
    ("station_id", 999),
    ("max_hours_per_week", 200),
])
def test_invalid_field_is_422_naming_it(client, field, value):
    response = client.post(URL, json=person(**{field: value}))
    assert response.status_code == 422
    assert field in errors_of(response)


def test_unknown_field_refused(client):
    response = client.post(URL, json=person(favourite_colour="blue"))
    assert response.status_code == 422
    assert "favourite_colour" in errors_of(response)


def test_read_only_field_refused(client):
    response = client.post(URL, json=person(id=5))
    assert response.status_code == 422
    assert "id" in errors_of(response)


def test_missing_name_and_not_json(client):
    body = person()
    del body["name"]
    assert "name" in errors_of(client.post(URL, json=body))
    response = client.post(URL, data="not json", content_type="application/json")
    assert 400 <= response.status_code < 500


def test_strings_are_nfkc_normalised_and_trimmed(client):
    created = client.post(URL, json=person(name="  李　娜 ", skills=[" ＡＢＣ急救 ", "急救", "急救"])).get_json()
    assert created["name"] == "李 娜"
    assert created["skills"] == ["ABC急救", "急救"]


@pytest.mark.parametrize("field,first,second", [
    ("phone", "13800138000", "+86 138 0013 8000"),
    ("external_id", "CQ-7", "CQ-7"),
    ("id_number", VALID_ID, VALID_ID.lower()),
])
def test_duplicates_are_409(client, field, first, second):
    assert client.post(URL, json=person(**{"phone": "13900000001", field: first})).status_code == 201
    response = client.post(URL, json=person(**{"phone": "13900000002", field: second}))
    assert response.status_code == 409
    assert field in errors_of(response)
    assert client.get(URL).headers["X-Pagination"].count('"total": 1')


def test_patch_changes_only_sent_fields(client):
    created = client.post(URL, json=person(max_distance_km=25, tier="core")).get_json()
    response = client.patch(f"{URL}/{created['id']}", json={"skills": ["手语"], "address": "重庆市江北区"})
    assert response.status_code == 200
    patched = response.get_json()
    assert patched["skills"] == ["手语"]
    assert patched["district"] == "江北区"
    assert patched["max_distance_km"] == 25 and patched["tier"] == "core" and patched["phone"] == "13800138000"


def test_patch_validates_and_refuses_duplicates(client):
    first = client.post(URL, json=person()).get_json()
    second = client.post(URL, json=person(phone="13900000009")).get_json()
    assert client.patch(f"{URL}/{second['id']}", json={"phone": "13800138000"}).status_code == 409
    assert client.patch(f"{URL}/{second['id']}", json={"max_distance_km": 0}).status_code == 422
    assert client.patch(f"{URL}/{second['id']}", json={"name": None}).status_code == 422
    # Patching a person with their own phone is not a conflict.
    assert client.patch(f"{URL}/{first['id']}", json={"phone": "13800138000"}).status_code == 200
    assert client.get(f"{URL}/{second['id']}").get_json()["phone"] == "13900000009"


def test_delete(client):
    created = client.post(URL, json=person()).get_json()
    assert client.delete(f"{URL}/{created['id']}").status_code == 204
    assert client.get(f"{URL}/{created['id']}").status_code == 404
    assert client.delete(f"{URL}/{created['id']}").status_code == 404


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_id_is_404_json(client, method):
    response = getattr(client, method)(f"{URL}/424242", json={} if method == "patch" else None)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_list_filters_and_pagination(client, station):
    client.post(URL, json=person(phone="13900000001", skills=["手语"], role="social_worker", station_id=station["id"]))
    client.post(URL, json=person(phone="13900000002", skills=["急救", "手语"], location={"lat": 29.575, "lon": 106.535}))
    client.post(URL, json=person(phone="13900000003", skills=["急救"], active=False))

    def names(query):
        response = client.get(URL + query)
        assert response.status_code == 200, response.get_json()
        return [p["phone"] for p in response.get_json()]

    assert names("?skill=手语") == ["13900000001", "13900000002"]
    assert names("?role=social_worker") == ["13900000001"]
    assert names(f"?station_id={station['id']}") == ["13900000001"]
    assert names("?active=false") == ["13900000003"]
    assert names("?district=江北区") == ["13900000002"]
    assert names("?page=2&page_size=2") == ["13900000003"]
    assert '"total": 3' in client.get(URL).headers["X-Pagination"]


@pytest.mark.parametrize("query", ["?page=0", "?page_size=0", "?page_size=100000", "?role=boss", "?active=maybe"])
def test_bad_list_query_is_422(client, query):
    response = client.get(URL + query)
    assert response.status_code == 422
    assert errors_of(response)


@pytest.mark.parametrize("field,value", [("active", 0), ("active", "yes"), ("station_id", 2**40), ("station_id", 0)])
def test_no_guessing_and_no_overflow(client, field, value):
    response = client.post(URL, json=person(**{field: value}))
    assert response.status_code == 422
    assert field in errors_of(response)


def test_page_far_past_the_end_is_empty(client):
    client.post(URL, json=person())
    response = client.get(URL + "?page=276594992215963442610176")
    assert response.status_code == 200 and response.get_json() == []
    assert client.get(URL + "?station_id=99999999999999").status_code == 422


def test_a_patch_cannot_store_half_a_slot(client):
    """A partial load (PATCH) still needs whole slots; one without `end` once broke every later match."""
    stored = client.post(URL, json={"name": "甲", "address": "重庆市渝北区"}).get_json()
    half = [{"day": "sat", "start": "09:00"}]
    response = client.patch(f"{URL}/{stored['id']}", json={"availability": half})
    assert response.status_code == 422 and "availability" in response.get_json()["errors"]
    created = client.post(URL, json={"name": "乙", "address": "重庆市渝北区", "availability": half})
    assert created.status_code == 422  # and the first answer was not remembered as valid


# ---------------------------------------------------------------- the people page: search, scope, imports

def _station(client, name, address):
    response = client.post("/api/v1/stations", json={"name": name, "address": address})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def stations(client, make_token):
    """Stations A and B, each with a member; a person asking to join A; a coordinator token for each."""
    a, b = _station(client, "A", "重庆市渝北区"), _station(client, "B", "重庆市南岸区")

    def add(**body):
        response = client.post(URL, json=person(**body))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return {
        "a": a, "b": b,
        "member": add(name="王小明", phone="13912345678", skills=["心理咨询"], station_id=a["id"], external_id="CQ-0017"),
        "other": add(name="王芳", phone="13700001111", skills=["Counselling"], station_id=a["id"]),
        "joiner": add(name="王大力", phone="13987654321", skills=["手语"], requested_station_id=a["id"]),
        "b_member": add(name="王静", phone="13612345678", skills=["心理疏导"], station_id=b["id"]),
        "coordinator": bearer(make_token("coordinator", station_ids=[a["id"]])),
        "b_coordinator": bearer(make_token("coordinator", station_ids=[b["id"]])),
    }


def found(client, query, caller=None):
    """Names a search finds (and the X-Pagination total agrees)."""
    response = client.get(URL + query, environ_base=caller) if caller else client.get(URL + query)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert f'"total": {len(body)}' in response.headers["X-Pagination"]
    return body


def names(client, query, caller=None):
    return sorted(p["name"] for p in found(client, query, caller))


def test_a_search_ending_just_below_the_surrogates_is_an_empty_answer(client, stations):
    """The prefix range of a search ends one code point past its last character: never a surrogate (a 500)."""
    for q in ("%ED%9F%BF", "EXT%ED%9F%BF", "%EE%80%80"):
        answer = client.get(f"/api/v1/volunteers?q={q}")
        assert answer.status_code == 200 and answer.get_json() == [], answer.get_json()


def test_search_by_name_number_and_external_id(client, stations):
    assert names(client, "?q=王") == ["王大力", "王小明", "王芳", "王静"]
    assert names(client, "?q=小明") == ["王小明"]
    assert names(client, "?q=%E7%8E%8B%E5%B0%8F") == ["王小明"]  # 王小, percent-encoded as a browser sends it
    member = stations["member"]
    assert names(client, f"?q={member['volunteer_number']}") == ["王小明"]
    assert names(client, f"?q={member['volunteer_number'].lower()}") == ["王小明"]
    assert names(client, f"?q={member['id']}") == ["王小明"]  # the number without VM and zeros
    assert names(client, "?q=CQ-00") == ["王小明"]  # the beginning of an external id
    assert names(client, "?q=Q-00") == []  # ... only its beginning
    assert names(client, "?q=100%25") == [] and names(client, "?q=_") == []  # LIKE's wildcards are plain characters
    assert names(client, "?q=王&skill=手语") == ["王大力"]
    response = client.get(URL + "?q=" + "王" * 101)
    assert response.status_code == 422 and "q" in errors_of(response)


def test_search_by_partial_phone(client, stations):
    assert names(client, "?q=12345678") == ["王小明", "王静"]
    assert names(client, "?q=5678") == ["王小明", "王静"]
    for typed in ("13912345678", "+86 139-1234-5678", "139 1234 5678", "8613912345678"):
        assert names(client, "?q=" + typed.replace("+", "%2B").replace(" ", "%20")) == ["王小明"], typed
    assert names(client, "?q=87654") == ["王大力"]  # an admin reads every phone


def test_a_coordinator_finds_digits_only_among_phones_they_may_read(client, anon, stations):
    """A member's phone is the station's to read; one asking to join is masked: no search may probe its digits."""
    me = stations["coordinator"]
    assert names(anon, "?q=5678", me) == ["王小明"]  # A's member; B's member is not A's to find
    assert names(anon, "?q=13912345678", me) == ["王小明"]
    for digits in ("87654", "9876", "13987654321", "4321", "139"):  # the joiner's hidden and shown digits alike
        assert "王大力" not in names(anon, f"?q={digits}", me), digits
    listed = {p["name"]: p for p in found(anon, "?q=王", me)}
    assert set(listed) == {"王小明", "王芳", "王大力"}  # found by name, with the phone masked
    assert listed["王大力"]["phone"] == "139****4321" and listed["王大力"]["address"] is None
    assert listed["王小明"]["phone"] == "13912345678"
    # Once the joiner accepts one of A's tasks, A may reach them: their digits are searchable too.
    task = client.post("/api/v1/tasks", json={"station_id": stations["a"]["id"], "title": "探访",
                                              "starts_at": "2099-01-10T09:00", "ends_at": "2099-01-10T12:00"}).get_json()
    asked = client.post(f"/api/v1/tasks/{task['id']}/assignments", json={"volunteer_id": stations["joiner"]["id"]})
    assert names(anon, "?q=87654", me) == []  # invited is not enough
    assert client.patch(f"/api/v1/assignments/{asked.get_json()['id']}", json={"status": "accepted"}).status_code == 200
    assert names(anon, "?q=87654", me) == ["王大力"]
    assert found(anon, "?q=87654", me)[0]["phone"] == "13987654321"


def test_another_station_neither_finds_nor_reads_them(anon, stations):
    """The attack: B's coordinator looks for A's people by every key the search knows."""
    them = stations["b_coordinator"]
    member = stations["member"]
    for query in ("王小明", "小明", "5678", "13912345678", member["volunteer_number"], str(member["id"]), "CQ-0017"):
        assert "王小明" not in names(anon, f"?q={query}", them), query
    assert names(anon, "?q=王", them) == ["王静"]
    assert names(anon, "?skill=心理咨询", them) == ["王静"]
    for path in ("", "/imports"):
        assert anon.get(f"{URL}/{member['id']}{path}", environ_base=them).status_code == 404


def test_skill_filter_finds_synonyms(client, stations):
    # 心理咨询, Counselling and 心理疏导 are names of one skill in the matcher's vocabulary.
    assert names(client, "?skill=心理疏导") == ["王小明", "王芳", "王静"]
    assert names(client, "?skill=counselling") == ["王小明", "王芳", "王静"]
    assert names(client, "?skill=psychological%20support") == ["王小明", "王芳", "王静"]
    assert names(client, "?skill=手语") == ["王大力"]
    client.post(URL, json=person(name="赵六", phone="13500000009", skills=["剪纸"]))  # a word the vocabulary lacks
    assert names(client, "?skill=剪纸") == ["赵六"]
    assert names(client, "?skill=剪") == []  # a skill word, not part of one


def _upload(client, text, **form):
    import io
    import time

    body = {"file": (io.BytesIO(text.encode("utf-8")), "名册.csv"), **{k: str(v) for k, v in form.items()}}
    response = client.post("/api/v1/imports", data=body, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    for _ in range(600):
        job = client.get(f"/api/v1/imports/{job['id']}").get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("import still running")


def test_the_imports_that_touched_a_person(app, client, anon, stations, runner, tmp_path):
    a = stations["a"]
    first = _upload(client, "姓名,手机,特长,服务区域\n孙七,13800000007,心理疏导,重庆市渝北区\n", station_id=a["id"])
    assert (first["status"], first["created"]) == ("done", 1), first
    sun = found(client, "?q=孙七")[0]
    second = _upload(client, "姓名,手机,特长,服务区域\n孙七,13800000007,手语,重庆市渝北区\n", station_id=a["id"])
    assert second["updated"] == 1, second
    _upload(client, "姓名,手机,特长,服务区域\n孙七,13800000007,手语,重庆市渝北区\n", station_id=a["id"])  # unchanged
    path = tmp_path / "cli.csv"  # an import from the command line has no job: not listed
    path.write_text("姓名,手机,特长,服务区域\n孙七,13800000007,急救,重庆市渝北区\n", encoding="utf-8")
    assert runner.invoke(args=["import-volunteers", str(path)]).exit_code == 0
    city = _upload(client, "姓名,手机,特长,服务区域\n孙七,13800000007,心理疏导,重庆市渝北区\n")  # an admin's, no station

    touched = client.get(f"{URL}/{sun['id']}/imports")
    assert touched.status_code == 200 and '"total": 3' in touched.headers["X-Pagination"]
    assert [(t["job_id"], t["action"]) for t in touched.get_json()] == [
        (city["id"], "updated"), (second["id"], "updated"), (first["id"], "created")]
    entry = touched.get_json()[-1]
    assert entry["job"] == {"id": first["id"], "filename": "名册.csv", "station_id": a["id"], "status": "done",
                            "created_at": first["created_at"]}
    assert entry["at"].endswith("+08:00")
    # A's coordinator sees A's imports (not the admin's city-wide one); B's, nothing about A's person.
    mine = anon.get(f"{URL}/{sun['id']}/imports", environ_base=stations["coordinator"]).get_json()
    assert [t["job_id"] for t in mine] == [second["id"], first["id"]]
    assert anon.get(f"{URL}/{sun['id']}/imports", environ_base=stations["b_coordinator"]).status_code == 404
    own = anon.get(f"{URL}/{stations['member']['id']}/imports", environ_base=stations["coordinator"])
    assert own.status_code == 200 and own.get_json() == []  # registered through the API: no import touched them
    assert client.delete(f"{URL}/{sun['id']}").status_code == 204  # the links go with the person
    from web.extensions import db
    from web.models import ImportedPerson

    with app.app_context():
        assert db.session.query(ImportedPerson).filter_by(volunteer_id=sun["id"]).count() == 0
