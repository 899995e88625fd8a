"""The location attack a coordinator can run over POST /api/v1/matches learns at most a person's 500 m cell.

Match answers carry a distance (to 10 m) and the distance factor 1 - d/r (to four decimals, so a tiny
radius makes it a fine ruler). From a few probe points, least squares turns either into a position:
that position must be the centre of the person's grid cell (matcher.geo.coarse_point), never the home.
"""
import numpy as np
import pytest
from scipy.optimize import least_squares

from matcher.geo import KM_PER_DEGREE_LAT, coarse_point, geodesic_km_many, haversine_km

from .conftest import bearer

STATION = (29.5935, 106.5289)
WINDOW = {"starts_at": "2026-12-05T09:00", "ends_at": "2026-12-05T12:00"}  # a Saturday
CENTRE = coarse_point(*STATION)  # the cell the home lies in
HOME = (CENTRE[0] + 0.0015, CENTRE[1] + 0.0015)  # about 220 m north-east of the centre, same cell
BEARINGS = np.radians([0, 60, 120, 180, 240, 300])


def km_between(a, b):
    """Geodesic km between two (lat, lon) points."""
    return float(geodesic_km_many(a[0], a[1], np.array([b[0]]), np.array([b[1]]))[0])


def around(point, distances_km):
    """Probe points at the given distances from `point`, one per bearing of BEARINGS (flat-earth offsets)."""
    north, east = np.cos(BEARINGS) * distances_km, np.sin(BEARINGS) * distances_km
    lat = point[0] + north / KM_PER_DEGREE_LAT
    return np.column_stack([lat, point[1] + east / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat)))])


def locate(probes, distances_km, distance_km):
    """Least-squares position whose `distance_km(lat, lon, lats, lons)` to the probes best fits the distances."""
    lat0, lon0 = probes.mean(axis=0)

    def point(x):
        return lat0 + x[0] / KM_PER_DEGREE_LAT, lon0 + x[1] / (KM_PER_DEGREE_LAT * np.cos(np.radians(lat0)))

    fit = least_squares(lambda x: distance_km(*point(x), probes[:, 0], probes[:, 1]) - distances_km, [0.0, 0.0])
    return point(fit.x), fit.fun


def keys_of(value):
    """Every dict key anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


@pytest.fixture
def attack(app, client, station, make_token):
    """A person at HOME, and `probe(point, **options)`: the person's result in a coordinator's match from there."""
    assert coarse_point(*HOME) == CENTRE and 0.2 < km_between(HOME, CENTRE) < 0.25
    response = client.post("/api/v1/volunteers", json={
        "name": "目标", "location": {"lat": HOME[0], "lon": HOME[1]}, "max_distance_km": 20, "station_id": station["id"],
        "availability": [{"day": "sat", "start": "08:00", "end": "20:00"}]})
    assert response.status_code == 201, response.get_json()
    person = response.get_json()["id"]
    coordinator = app.test_client()
    coordinator.environ_base.update(bearer(make_token("coordinator", station_ids=[station["id"]])))
    answers = []

    def probe(point, **options):
        assert km_between(point, STATION) < 10  # well inside the station's service area
        response = coordinator.post("/api/v1/matches", json={
            "station_id": station["id"], "location": {"lat": float(point[0]), "lon": float(point[1])}, **WINDOW, **options})
        assert response.status_code == 200, response.get_json()
        answers.append(response.get_json())
        [result] = [r for r in answers[-1]["results"] if r["volunteer_id"] == person]
        return result

    probe.answers = answers
    return probe


def assert_only_the_cell(found):
    """The attack's answer is the cell centre (so the test measures what it claims), not the home."""
    to_home, to_centre = km_between(found, HOME), km_between(found, CENTRE)
    assert to_home > 0.1, f"recovered point {to_home * 1000:.1f} m from the home ({to_centre * 1000:.1f} m from the centre)"
    assert to_centre < 0.06, f"recovered point {to_centre * 1000:.1f} m from the cell centre"


def test_trilateration_learns_only_the_cell(attack):
    probes = around(HOME, np.array([2.0, 3.5, 5.0, 6.5, 8.0, 4.0]))
    reported = np.array([attack(p)["distance_km"] for p in probes])
    found, residuals = locate(probes, reported, geodesic_km_many)
    assert np.abs(residuals).max() < 0.01  # the answers agree with one point, to their 10 m rounding
    assert_only_the_cell(found)


def test_ruler_learns_only_the_cell(attack):
    probes = around(HOME, np.array([0.6, 1.0, 1.4, 2.0, 0.8, 1.7]))
    measured = []
    for p in probes:
        radius = attack(p)["distance_km"] + 0.05  # just past the person: the distance factor is then a fine ruler
        measured.append(radius * (1 - attack(p, max_distance_km=radius)["components"]["distance"]))
    found, residuals = locate(probes, np.array(measured), haversine_km)  # the factor uses haversine km
    assert np.abs(residuals).max() < 0.002  # a ruler good to a couple of metres
    assert_only_the_cell(found)


def test_match_answers_name_no_place(attack):
    for p in around(HOME, np.array([2.0, 3.0, 4.0, 5.0, 6.0, 7.0])):
        attack(p)
        attack(p, max_distance_km=8)
    found = {key for answer in attack.answers for key in keys_of(answer)}
    assert not found & {"lat", "lon", "location", "address"}
