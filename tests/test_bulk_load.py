"""BulkLoader gives exactly what the schema gives: the same data, or the same errors, body after body."""
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from web import create_app
from web.common.bulk_load import BulkLoader
from web.tasks.schemas import TaskSchema
from web.volunteers.schemas import VolunteerSchema

# Per field: values the schema takes, then values it refuses; few enough that bodies repeat them
# (the loader remembers values).
FIELDS = {
    "name": (["张三", " 李四 ", "Ｗａｎｇ"], ["", "x" * 101, "bad\x00text", "\ud800", 7, None, ["a"]]),
    "external_id": (["CQ-1", "ＣＱ-2", None], ["", "x" * 101, 7]),
    "phone": (["13800138000", "138 0013 8000", "+86-13800138000", "１３８００１３８０００", None],
              ["12345", "1380013800a", 13800138000]),
    "id_number": (["11010519491231002X", "11010519491231002x", None], ["110105194912310021", "99010519491231002X", "123"]),
    "skills": ([[], ["心理疏导"], ["心理疏导", "心理疏导", "法律援助"], [" 急救 "]],
               [[""], ["x" * 101], ["a"] * 51, "心理疏导", [1], None]),
    "availability": (
        [[], [{"day": "sat", "start": "09:00", "end": "12:00"}],
         [{"day": "sat", "start": "09:00", "end": "12:00"}, {"day": "sun", "start": "14:00", "end": "24:00"}]],
        [[{"day": "sat", "start": "12:00", "end": "09:00"}], [{"day": "someday", "start": "09:00", "end": "12:00"}],
         [{"day": "sat", "start": "9:00", "end": "12:00"}], [{"day": "sat", "start": "09:00"}],
         [{"day": "sat", "start": "09:00", "end": "12:00", "note": "x"}], ["sat"], "weekends", None]),
    "location": ([{"lat": 29.56, "lon": 106.55}, {"lat": 29.6, "lon": 106.5}, None],
                 [{"lat": 29.56}, {"lat": 91, "lon": 0}, {"lat": "29.5", "lon": "106.5"}, {"lat": math.nan, "lon": 106.5},
                  {"lat": 29.56, "lon": 106.55, "alt": 1}, [29.56, 106.55]]),
    "address": (["重庆市渝北区龙溪街道", "江北区观音桥", None], ["某某小区", "x" * 301, 5]),
    "district": (["渝北区", " 江北区 ", None], ["x" * 101, 3]),
    "max_distance_km": ([5, 5.0, 0.5, 500], [0, -1, 501, "5", True, math.inf, None]),
    "max_hours_per_week": ([0, 10.5, 168, None], [-1, 169, "5", math.nan]),
    "role": (["volunteer", "social_worker"], ["admin", "", None]),
    "tier": (["core", "regular"], ["gold", None]),
    "active": ([True, False], [1, 0, "true", None]),
    "station_id": ([1, 2**31 - 1, None], [2**31, 0, "3", 1.0, True]),
    "no_such_field": ([], ["x"]),
    "id": ([], [1]),
}
FIELDS["certificates"] = FIELDS["languages"] = FIELDS["skills"]


@st.composite
def bodies(draw):
    """A body of some fields; each value good most of the time, so both outcomes are common."""
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=8, unique=True))
    if draw(st.sampled_from([True, True, True, False])):  # mostly bodies a full load can take: a name and a place
        names = [n for n in names if n not in ("name", "address", "location", "no_such_field", "id")]
        names += ["name", draw(st.sampled_from(["address", "location"]))]
    body = {}
    for name in names:
        good, bad = FIELDS[name]
        body[name] = draw(st.sampled_from(bad if not good or draw(st.integers(0, 19)) == 7 else good))
    return body


@pytest.fixture(scope="module")
def loaders():
    """One app (its gazetteer resolves addresses) and loaders kept across examples, so values repeat."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        full, partial = VolunteerSchema(), VolunteerSchema(partial=True)
        yield {False: (full, BulkLoader(VolunteerSchema())), True: (partial, BulkLoader(VolunteerSchema(partial=True)))}


def outcome(load, body):
    """('ok', data) or ('error', messages)."""
    try:
        return "ok", load(body)
    except ValidationError as exc:
        return "error", exc.normalized_messages()


def same(a, b):
    """Equal, counting NaN equal to NaN (a refused NaN never gets this far, but be exact)."""
    return a == b or repr(a) == repr(b)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies(), partial=st.booleans())
def test_bulk_loader_equals_the_schema(loaders, body, partial):
    schema, loader = loaders[partial]
    expected = outcome(schema.load, dict(body))
    got = outcome(loader.load, dict(body))
    assert same(got, expected), (body, got, expected)


def test_valid_rows_take_the_fast_path_and_results_are_fresh(loaders, monkeypatch):
    schema, loader = loaders[False]
    body = {"name": "张三", "phone": "13800138000", "skills": ["心理疏导"], "address": "重庆市渝北区龙溪街道",
            "availability": [{"day": "sat", "start": "09:00", "end": "12:00"}]}
    assert loader.fast
    first = loader.load(dict(body))
    monkeypatch.setattr(loader.schema, "load", lambda *a, **k: pytest.fail("went to the schema"))
    first["skills"].append("changed")
    first["availability"][0]["day"] = "mon"
    again = loader.load(dict(body))  # from what the loader remembers, not changed by the caller
    assert again["skills"] == ["心理疏导"] and again["availability"][0]["day"] == "sat"
    assert again == schema.load(dict(body)) and again["district"] == "渝北区"


def test_a_schema_with_other_hooks_is_loaded_by_the_schema_itself():
    loader = BulkLoader(TaskSchema())  # has a @validates_schema hook (ends after it starts)
    assert not loader.fast
