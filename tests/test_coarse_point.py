"""coarse_point: the fixed centre of a person's ~500 m grid cell, the only point coordinators' answers use."""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from matcher.geo import coarse_point, coarse_points, haversine_km

# By hand: 1 degree of latitude = 6371.0088 km * pi / 180 = 111.19508 km, so a 500 m row is
# dlat = 0.5 / 111.19508 = 0.00449660182 degrees high.
DLAT = 0.00449660182
# The station at (29.5935, 106.5289): row i = floor(29.5935 / DLAT) = 6581, centre 6581.5 * DLAT = 29.59438487;
# cells dlon = DLAT / cos(29.59438487 deg) = 0.00517122224 wide; j = floor(106.5289 / dlon) = 20600,
# centre 20600.5 * dlon = 106.52976368.
STATION_CELL = (29.59438487, 106.52976368)
DLON_THERE = 0.00517122224


def test_hand_computed_centres():
    assert_allclose(coarse_point(29.5935, 106.5289), STATION_CELL, rtol=0, atol=1e-8)
    # At the equator cos = 1 (to 1e-9): the cell of (0.001, 0.001) is row 0, column 0.
    assert_allclose(coarse_point(0.001, 0.001), (DLAT / 2, DLAT / 2), rtol=0, atol=1e-10)
    assert_allclose(coarse_point(-0.001, -0.001), (-DLAT / 2, -DLAT / 2), rtol=0, atol=1e-10)
    assert_allclose(coarse_point(0.001, 0.001, cell_km=1.0), (DLAT, DLAT), rtol=0, atol=1e-10)


def test_points_of_one_cell_share_the_centre():
    assert coarse_point(29.5935, 106.5289) == coarse_point(29.5962, 106.5320)  # both inside row 6581, column 20600


def test_a_point_across_an_edge_gets_the_next_centre():
    top, east = 6582 * DLAT, 20601 * DLON_THERE  # the row's upper edge and the cell's eastern edge
    assert_allclose(coarse_point(top - 1e-7, 106.5289), STATION_CELL, rtol=0, atol=1e-8)
    # The next row up has its own (slightly wider) cells: its centre is one row higher, longitude recomputed.
    assert_allclose(coarse_point(top + 1e-7, 106.5289)[0], STATION_CELL[0] + DLAT, rtol=0, atol=1e-8)
    assert_allclose(coarse_point(29.5935, east - 1e-7), STATION_CELL, rtol=0, atol=1e-8)
    assert_allclose(coarse_point(29.5935, east + 1e-7), (STATION_CELL[0], STATION_CELL[1] + DLON_THERE), rtol=0, atol=1e-8)


@pytest.mark.parametrize("lat0, lon0", [(29.5, 106.5), (60.0, 10.0)])
def test_centre_is_within_half_a_diagonal(lat0, lon0):
    rng = np.random.default_rng(0)
    lat = lat0 + rng.uniform(-0.01, 0.01, 2000)
    lon = lon0 + rng.uniform(-0.01, 0.01, 2000)
    clat, clon = coarse_points(lat, lon)
    km = haversine_km(lat, lon, clat, clon)  # elementwise: the formula broadcasts
    assert km.max() <= 0.5 * np.sqrt(2) / 2 + 1e-3  # half the diagonal of a 500 m square
    assert km.max() > 0.3  # points reach the corners: the bound is not met by a finer grid
    assert len(set(zip(clat.tolist(), clon.tolist()))) < 50  # 2000 people in about 2 km x 2 km: a few dozen centres


def test_scalar_equals_vectorised_and_is_deterministic():
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-89, 89, 500), rng.uniform(-180, 180, 500)
    clat, clon = coarse_points(lat, lon)
    assert_array_equal(np.array([coarse_point(a, b) for a, b in zip(lat, lon)]), np.column_stack([clat, clon]))
    assert_array_equal(coarse_points(lat, lon)[1], clon)


def test_poles_and_antimeridian_stay_in_range():
    lat = np.array([90.0, -90.0, 89.99999, -89.99999, 0.0, 0.0, 45.0])
    lon = np.array([10.0, -10.0, 179.9999, -179.9999, 180.0, -180.0, 179.99999])
    clat, clon = coarse_points(lat, lon)
    assert np.isfinite(clat).all() and np.isfinite(clon).all()
    assert (np.abs(clat) <= 90).all() and (clon >= -180).all() and (clon < 180).all()
