"""HTTP tests for /api/v1/stations."""
import pytest

URL = "/api/v1/stations"


def test_create_read_patch(client):
    response = client.post(URL, json={"name": "观音桥商圈服务站", "kind": "business_district", "address": "重庆市江北区观音桥"})
    assert response.status_code == 201
    station = response.get_json()
    assert station["district"] == "江北区" and station["kind"] == "business_district"
    assert client.get(f"{URL}/{station['id']}").get_json() == station
    patched = client.patch(f"{URL}/{station['id']}",
                           json={"name": "观音桥党群服务中心", "location": {"lat": 29.58, "lon": 106.53}})
    assert patched.status_code == 200
    assert patched.get_json()["name"] == "观音桥党群服务中心"
    assert patched.get_json()["location"] == {"lat": 29.58, "lon": 106.53}


def test_list_filters(client):
    client.post(URL, json={"name": "A", "kind": "village", "address": "重庆市武隆区"})
    client.post(URL, json={"name": "B", "kind": "industrial_park", "address": "重庆市江津区"})
    assert [s["name"] for s in client.get(URL + "?kind=village").get_json()] == ["A"]
    assert [s["name"] for s in client.get(URL + "?district=江津区").get_json()] == ["B"]
    assert len(client.get(URL).get_json()) == 2


@pytest.mark.parametrize("body,field", [
    ({"kind": "community", "address": "重庆市渝中区"}, "name"),
    ({"name": "A", "kind": "castle", "address": "重庆市渝中区"}, "kind"),
    ({"name": "A"}, "location"),
    ({"name": "A", "address": "不存在的地方"}, "address"),
    ({"name": "A", "location": {"lat": 29.5, "lon": 200}}, "location"),
    ({"name": "A", "address": "重庆市渝中区", "phone": "1"}, "phone"),
])
def test_invalid_station_is_422(client, body, field):
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_unknown_station_is_404(client):
    assert client.get(f"{URL}/99").status_code == 404
    assert client.patch(f"{URL}/99", json={"name": "x"}).status_code == 404
