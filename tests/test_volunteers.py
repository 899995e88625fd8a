"""HTTP tests for /api/v1/volunteers: create, read, update, delete, list, validation."""
import pytest

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
