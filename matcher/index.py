"""The in-memory candidate index: people as columns, a grid per radius class, skills, availability.

Everything is held in numpy arrays, with no Python object per person (`PeopleColumns`): text is
kept as codes into small tables of distinct values (skill words, districts, tiers, weekly
availability patterns) and names as one UTF-8 buffer. A match's reasons, or a `Person`, are
rebuilt from the few rows shown. So the index is compact, quick to build from database rows, and
its pages stay shared when gunicorn forks workers from a master that built it (docs/design.md).

People live in two segments: a large *main* segment, rebuilt rarely, whose rows are sorted by
travel-radius class and then by grid cell in Z-order, so the people of a cell, or of a block of
cells, are one run of rows (`Grid`); and a small *recent* segment searched whole, where upserts
land. A radius query walks the runs of the cells around the task, drops people not free at the
time before computing any distance, and computes haversine distances for the rest. Changing or
removing someone marks their old row dead. When the recent segment outgrows ``rebuild_fraction``
of the index, both are merged into a fresh main segment.
"""
from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from .availability import PACKED_BYTES, week_bitmap
from .engagement import reliability
from .geo import EARTH_RADIUS_KM
from .skills import SkillVocabulary, default_vocabulary
from .types import ROLES, Person

_GRID_MIN_ROWS = 512  # a radius class with fewer rows is searched whole
_REBUILD_MIN_ROWS = 512  # the recent segment is merged into the main one only beyond this
_GRID_MAX_LEVEL = 9  # at most 512 x 512 cells per grid (2 MB of row offsets per radius class)
_QUERY_CELLS = 32  # a query walks at most 32 x 32 cells: of a coarser level for a wide radius
_COMMON_SHARE = 1 / 64  # a skill column held by this share of a main segment's rows is kept dense ...
_COMMON_MAX = 64  # ... for at most this many columns (1 byte a row each: 64 MB at most at 1,000,000 rows)
_MARGIN_DEG = 1e-6  # a query's bounding box is this much wider than exact, against rounding (0.1 m)
_SURE_KM = 1e-6  # a block is surely within reach when its farthest point is this much nearer (1 mm)
# Travel radii are grouped into classes, each searched with the class's own bound: a search then
# looks at people who could come, not at everyone within the widest radius of all.
RADIUS_CLASSES_KM = (1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 100, 200, 500)
_ROLE_CODES = {role: code for code, role in enumerate(ROLES)}

Slots = tuple[tuple[str, str, str], ...]  # a weekly availability pattern, as Person.availability
H = TypeVar("H", bound=Hashable)


def _runs(starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.int64]:
    """The integers of ``range(starts[i], ends[i])`` for each i, one range after the other."""
    lengths = ends - starts
    offsets = np.cumsum(lengths) - lengths  # where each range begins in the result
    runs: NDArray[np.int64] = np.repeat(starts - offsets, lengths)
    runs += np.arange(int(lengths.sum()))
    return runs


def _ragged_picks(ptr: NDArray[np.integer[Any]], rows: NDArray[np.integer[Any]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Where the entries of these rows of a ragged array are: row ``i`` has entries ``ptr[i]:ptr[i + 1]``.

    Parameters
    ----------
    ptr : ndarray of int, shape (n + 1,)
    rows : ndarray of int, shape (k,)

    Returns
    -------
    out_ptr : ndarray of int64, shape (k + 1,)
        The picked rows' entries are ``picks[out_ptr[j]:out_ptr[j + 1]]`` for the j-th row asked.
    picks : ndarray of int64, shape (out_ptr[-1],)
        Indices of those entries, row after row.
    """
    rows = np.asarray(rows)
    starts, ends = ptr[rows].astype(np.int64), ptr[rows + 1].astype(np.int64)
    out = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=out[1:])
    return out, _runs(starts, ends)


def _take_ragged(ptr: NDArray[np.int64], values: NDArray[Any],
                 rows: NDArray[np.integer[Any]]) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Rows of a ragged array (row ``i`` is ``values[ptr[i]:ptr[i + 1]]``): (ptr, values) of the rows asked."""
    out, picks = _ragged_picks(ptr, rows)
    return out, values[picks]


def _concat_ragged(parts: Sequence[tuple[NDArray[np.int64], NDArray[Any]]]) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """Ragged arrays one after the other: (ptr, values) of all rows."""
    shifts = np.cumsum([0] + [int(ptr[-1]) for ptr, _ in parts[:-1]])
    ptr = np.concatenate([[0]] + [p[1:] + s for (p, _), s in zip(parts, shifts)]).astype(np.int64)
    return ptr, np.concatenate([values for _, values in parts])


@dataclass(frozen=True)
class Strings:
    """n texts in one UTF-8 buffer: text ``i`` is ``data[offsets[i]:offsets[i + 1]]``.

    Attributes
    ----------
    data : ndarray of uint8, shape (total bytes,)
    offsets : ndarray of int64, shape (n + 1,)
    """

    data: NDArray[np.uint8]
    offsets: NDArray[np.int64]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Strings:
        """Encode texts into one buffer."""
        encoded = [text.encode() for text in texts]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self.data[self.offsets[i]:self.offsets[i + 1]].tobytes().decode()

    def take(self, rows: NDArray[np.intp]) -> Strings:
        """These texts, in this order."""
        offsets, data = _take_ragged(self.offsets, self.data, rows)
        return Strings(data, offsets)

    @classmethod
    def concat(cls, parts: Sequence[Strings]) -> Strings:
        """The texts of every part, one after the other."""
        offsets, data = _concat_ragged([(p.offsets, p.data) for p in parts])
        return cls(data, offsets)


class _Codes(Generic[H]):
    """Distinct values in order of first sight (``values``), each coded by its position."""

    def __init__(self) -> None:
        self.values: list[H] = []
        self._code: dict[H, int] = {}

    def code(self, value: H) -> int:
        """The code of a value, given a new one if unseen."""
        code = self._code.get(value)
        if code is None:
            code = self._code[value] = len(self.values)
            self.values.append(value)
        return code

    def encode(self, values: Iterable[H]) -> NDArray[np.int32]:
        """Codes of many values."""
        known, new = self._code, self.values.append
        codes: list[int] = []
        for value in values:  # the loop of `code`, inlined: it runs once per person and skill word
            code = known.get(value)
            if code is None:
                code = known[value] = len(self.values)
                new(value)
            codes.append(code)
        return np.array(codes, dtype=np.int32)

    def recode(self, codes: NDArray[np.int32], table: Sequence[H]) -> NDArray[np.int32]:
        """Codes into another `table` as codes here (only the values in use are taken over)."""
        used = np.unique(codes)
        mapping = np.zeros(len(table), dtype=np.int32)
        mapping[used] = [self.code(table[i]) for i in used.tolist()]
        recoded: NDArray[np.int32] = mapping[codes]
        return recoded


@dataclass(frozen=True)
class PeopleColumns:
    """People as columns: one entry per person in each array, text as codes into tables of distinct values.

    Attributes
    ----------
    id : ndarray of int64, shape (n,)
    name : Strings, n texts
    lat, lon : ndarray of float64, shape (n,)
        The point matched from, in degrees (the service gives each person's coarse point).
    role : ndarray of int8, shape (n,)
        Index into ``matcher.types.ROLES``.
    max_distance_km : ndarray of float64, shape (n,)
    active : ndarray of bool, shape (n,)
    tier, district : ndarray of int32, shape (n,)
        Indices into ``tiers`` and ``districts``.
    skill_ptr : ndarray of int64, shape (n + 1,)
        Row ``i``'s skill words, in their order, are ``skill_code[skill_ptr[i]:skill_ptr[i + 1]]``.
    skill_code : ndarray of int32, shape (m,)
        Indices into ``skill_texts``, m the number of skill words of all rows.
    availability : ndarray of int32, shape (n,)
        Index into ``patterns``.
    services_completed, services_dropped : ndarray of int64, shape (n,)
    recent_hours, recent_hours_at : ndarray of float64, shape (n,)
        Decayed hours served and the POSIX time they are held at (see ``matcher.engagement``).
    skill_texts : list of str, tiers : list of str, districts : list of str or None
        The distinct values the codes point to.
    patterns : list of tuple
        The distinct weekly patterns, each as ``Person.availability``.
    """

    id: NDArray[np.int64]
    name: Strings
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    role: NDArray[np.int8]
    max_distance_km: NDArray[np.float64]
    active: NDArray[np.bool_]
    tier: NDArray[np.int32]
    district: NDArray[np.int32]
    skill_ptr: NDArray[np.int64]
    skill_code: NDArray[np.int32]
    availability: NDArray[np.int32]
    services_completed: NDArray[np.int64]
    services_dropped: NDArray[np.int64]
    recent_hours: NDArray[np.float64]
    recent_hours_at: NDArray[np.float64]
    skill_texts: list[str]
    tiers: list[str]
    districts: list[str | None]
    patterns: list[Slots]

    @classmethod
    def build(cls, *, id: ArrayLike, name: Iterable[str], lat: ArrayLike, lon: ArrayLike, role: Iterable[str],
              max_distance_km: ArrayLike, skills: Iterable[Sequence[str]], availability: Iterable[Slots],
              active: ArrayLike, tier: Iterable[str], district: Iterable[str | None], services_completed: ArrayLike,
              services_dropped: ArrayLike, recent_hours: ArrayLike, recent_hours_at: ArrayLike) -> PeopleColumns:
        """Columns from one sequence per field, in the same order (numbers may be arrays already).

        ``skills`` holds each person's skill words and ``availability`` their weekly pattern, both
        as in `Person`; text is coded here.
        """
        words: list[Sequence[str]] = list(skills)
        skill_ptr = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, words), dtype=np.int64, count=len(words)), out=skill_ptr[1:])
        texts: _Codes[str] = _Codes()
        tiers: _Codes[str] = _Codes()
        districts: _Codes[str | None] = _Codes()
        patterns: _Codes[Slots] = _Codes()
        return cls(
            id=np.asarray(id, dtype=np.int64),
            name=Strings.of(name),
            lat=np.asarray(lat, dtype=np.float64),
            lon=np.asarray(lon, dtype=np.float64),
            role=np.fromiter(map(_ROLE_CODES.__getitem__, role), dtype=np.int8),
            max_distance_km=np.asarray(max_distance_km, dtype=np.float64),
            active=np.asarray(active, dtype=bool),
            tier=tiers.encode(tier),
            district=districts.encode(district),
            skill_ptr=skill_ptr,
            skill_code=texts.encode(itertools.chain.from_iterable(words)),
            availability=patterns.encode(availability),
            services_completed=np.asarray(services_completed, dtype=np.int64),
            services_dropped=np.asarray(services_dropped, dtype=np.int64),
            recent_hours=np.asarray(recent_hours, dtype=np.float64),
            recent_hours_at=np.asarray(recent_hours_at, dtype=np.float64),
            skill_texts=texts.values, tiers=tiers.values, districts=districts.values, patterns=patterns.values,
        )

    @classmethod
    def from_people(cls, people: Iterable[Person]) -> PeopleColumns:
        """Columns of these Persons."""
        people = list(people)
        return cls.build(**{f.name: [getattr(p, f.name) for p in people] for f in fields(Person)})

    def __len__(self) -> int:
        return len(self.id)

    def take(self, rows: NDArray[np.intp]) -> PeopleColumns:
        """These rows, in this order (the tables are shared)."""
        rows = np.asarray(rows, dtype=np.intp)
        skill_ptr, skill_code = _take_ragged(self.skill_ptr, self.skill_code, rows)
        per_row = {name: getattr(self, name)[rows] for name in _PER_ROW}
        return PeopleColumns(**per_row, name=self.name.take(rows), skill_ptr=skill_ptr, skill_code=skill_code,
                             skill_texts=self.skill_texts, tiers=self.tiers, districts=self.districts,
                             patterns=self.patterns)

    @classmethod
    def concat(cls, parts: Sequence[PeopleColumns]) -> PeopleColumns:
        """The rows of every part, one after the other, coded into common tables."""
        if len(parts) == 1:
            return parts[0]
        texts: _Codes[str] = _Codes()
        tiers: _Codes[str] = _Codes()
        districts: _Codes[str | None] = _Codes()
        patterns: _Codes[Slots] = _Codes()
        skill_ptr, skill_code = _concat_ragged([(p.skill_ptr, texts.recode(p.skill_code, p.skill_texts)) for p in parts])
        return cls(
            **{name: np.concatenate([getattr(p, name) for p in parts]) for name in _PER_ROW if name not in _CODED},
            name=Strings.concat([p.name for p in parts]),
            tier=np.concatenate([tiers.recode(p.tier, p.tiers) for p in parts]),
            district=np.concatenate([districts.recode(p.district, p.districts) for p in parts]),
            availability=np.concatenate([patterns.recode(p.availability, p.patterns) for p in parts]),
            skill_ptr=skill_ptr, skill_code=skill_code.astype(np.int32, copy=False),
            skill_texts=texts.values, tiers=tiers.values, districts=districts.values, patterns=patterns.values,
        )

    def skills_of(self, row: int) -> tuple[str, ...]:
        """One row's skill words, in their order."""
        codes = self.skill_code[self.skill_ptr[row]:self.skill_ptr[row + 1]]
        return tuple(self.skill_texts[c] for c in codes.tolist())

    def person(self, row: int) -> Person:
        """One row as a Person."""
        return Person(
            id=int(self.id[row]), name=self.name[row], lat=float(self.lat[row]), lon=float(self.lon[row]),
            role=ROLES[self.role[row]], max_distance_km=float(self.max_distance_km[row]),
            skills=self.skills_of(row), availability=self.patterns[self.availability[row]],
            active=bool(self.active[row]), tier=self.tiers[self.tier[row]], district=self.districts[self.district[row]],
            services_completed=int(self.services_completed[row]), services_dropped=int(self.services_dropped[row]),
            recent_hours=float(self.recent_hours[row]), recent_hours_at=float(self.recent_hours_at[row]),
        )


# The plain per-row arrays of PeopleColumns (gathered and joined as they are), and those holding codes.
_PER_ROW = ("id", "lat", "lon", "role", "max_distance_km", "active", "tier", "district", "availability",
            "services_completed", "services_dropped", "recent_hours", "recent_hours_at")
_CODED = ("tier", "district", "availability")


def _spread_bits(v: NDArray[np.int64]) -> NDArray[np.int64]:
    """Put a zero bit between each of the low 16 bits (for a Morton code)."""
    v = (v | (v << 8)) & 0x00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F
    v = (v | (v << 2)) & 0x33333333
    v = (v | (v << 1)) & 0x55555555
    return v


_SPREAD = _spread_bits(np.arange(2**_GRID_MAX_LEVEL, dtype=np.int64))  # every cell row or column, spread


def _morton(y: NDArray[np.int64], x: NDArray[np.int64]) -> NDArray[np.int64]:
    """Z-order number of grid cells (row y, column x): the cells of a 2**s x 2**s block share ``code >> 2s``."""
    code: NDArray[np.int64] = _SPREAD[y] | (_SPREAD[x] << 1)
    return code


def _circle_box(lat: float, lon: float, km: float) -> tuple[float, float, float | None, float | None]:
    """(lat_lo, lat_hi, lon_lo, lon_hi) in degrees around every point within `km` of a point.

    The longitude bounds are those of J. Matuschek's "Finding points within a distance of a
    latitude/longitude using bounding coordinates"; they are None (all longitudes) when the
    circle holds a pole or crosses the antimeridian. Each bound is `_MARGIN_DEG` wider than exact.
    """
    angle = km / EARTH_RADIUS_KM
    dlat = math.degrees(angle) + _MARGIN_DEG
    lat_lo, lat_hi = lat - dlat, lat + dlat
    if lat_lo <= -90 or lat_hi >= 90 or angle >= math.pi / 2:
        return lat_lo, lat_hi, None, None
    spread = math.sin(angle) / math.cos(math.radians(lat))
    if spread >= 1:
        return lat_lo, lat_hi, None, None
    dlon = math.degrees(math.asin(spread)) + _MARGIN_DEG
    if lon - dlon < -180 or lon + dlon > 180:
        return lat_lo, lat_hi, None, None
    return lat_lo, lat_hi, lon - dlon, lon + dlon


def _haversine_km(lat: float, lon: float, rad_lat: NDArray[np.float64], rad_lon: NDArray[np.float64],
                  cos_lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """``matcher.geo.haversine_km`` to points given in radians with the cosine of their latitude.

    The same operations in the same order, so the same figures to the last bit, without working
    out the radians and the cosine of each point again on every query.

    Parameters
    ----------
    lat, lon : float
        The one point, in degrees.
    rad_lat, rad_lon, cos_lat : ndarray of float64, shape (k,)

    Returns
    -------
    ndarray of float64, shape (k,)
    """
    p1, l1 = np.radians(lat), np.radians(lon)
    # In place, in two buffers: at a million people a query measures tens of thousands of rows, and
    # fresh arrays for every step cost more than the steps (the same operations, so the same bits).
    km: NDArray[np.float64] = np.subtract(rad_lat, p1)
    km /= 2
    np.sin(km, out=km)
    np.square(km, out=km)
    east = np.subtract(rad_lon, l1)
    east /= 2
    np.sin(east, out=east)
    np.square(east, out=east)
    east *= np.cos(p1) * cos_lat
    km += east
    np.clip(km, 0.0, 1.0, out=km)
    np.sqrt(km, out=km)
    np.arcsin(km, out=km)
    km *= 2 * EARTH_RADIUS_KM
    return km


@dataclass(frozen=True)
class Grid:
    """``2**level`` x ``2**level`` cells over a bounding box, numbered in Z-order (`_morton`).

    Points outside the box fall in its edge cells; cells are ``dlat`` x ``dlon`` degrees.
    """

    level: int
    lat0: float
    lon0: float
    dlat: float
    dlon: float

    @classmethod
    def over(cls, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> Grid:
        """A grid over these points, about 4 points a cell (at most 512 x 512 cells)."""
        level = int(np.clip(np.ceil(np.log(max(len(lat), 4) / 4) / np.log(4)), 1, _GRID_MAX_LEVEL))
        side = 2**level
        return cls(level, float(lat.min()), float(lon.min()),
                   max(float(np.ptp(lat)), 1e-9) / side, max(float(np.ptp(lon)), 1e-9) / side)

    def _index(self, values: NDArray[np.float64], low: float, step: float) -> NDArray[np.int64]:
        """Cell row or column of coordinates (monotone in the coordinate, clipped to the grid)."""
        return np.clip(np.floor((values - low) / step), 0, 2**self.level - 1).astype(np.int64)

    def _one_index(self, value: float, low: float, step: float) -> int:
        """`_index` of one coordinate (the same arithmetic, so the same cell)."""
        return min(max(math.floor((value - low) / step), 0), 2**self.level - 1)

    def cells(self, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.int64]:
        """(n,) the cell number of each point."""
        return _morton(self._index(lat, self.lat0, self.dlat), self._index(lon, self.lon0, self.dlon))

    def box(self, lat: float, lon: float, km: float) -> tuple[int, int, int, int, int]:
        """(y0, y1, x0, x1, shift): the cell rows and columns of the bounding box of the circle of `km`
        around a point, and the block size that keeps their number under about `_QUERY_CELLS` squared
        (a block is ``2**shift`` x ``2**shift`` cells; a wider circle never gets smaller blocks)."""
        lat_lo, lat_hi, lon_lo, lon_hi = _circle_box(lat, lon, km)
        y0, y1 = self._one_index(lat_lo, self.lat0, self.dlat), self._one_index(lat_hi, self.lat0, self.dlat)
        x0, x1 = 0, 2**self.level - 1
        if lon_lo is not None and lon_hi is not None:
            x0, x1 = self._one_index(lon_lo, self.lon0, self.dlon), self._one_index(lon_hi, self.lon0, self.dlon)
        shift = 0
        while max((x1 >> shift) - (x0 >> shift), (y1 >> shift) - (y0 >> shift)) >= _QUERY_CELLS:
            shift += 1
        return y0, y1, x0, x1, shift

    def blocks(self, lat: float, lon: float, km: float) -> tuple[NDArray[np.int64], NDArray[np.float64], float, int]:
        """The blocks of cells of the bounding box of the circle of `km` around a point (see `box`).

        Returns (block numbers, increasing; haversine km from the point to each block's centre;
        half, the bound on how far from its centre a point of a block lies; shift). Block ``b``
        holds the cells ``b << 2 * shift`` to ``(b + 1) << 2 * shift``, and every point of it lies
        within ``centre ± half`` km of the point: ``half`` is half the block's height plus half its
        width, the length of a path from its centre along a meridian, then a parallel. The centres'
        distances are worked out per row and column of blocks (the haversine's terms separate).
        """
        y0, y1, x0, x1, shift = self.box(lat, lon, km)
        rows, cols = np.arange(y0 >> shift, (y1 >> shift) + 1), np.arange(x0 >> shift, (x1 >> shift) + 1)
        height, width = self.dlat * 2**shift, self.dlon * 2**shift
        p1, l1 = np.radians(lat), np.radians(lon)
        p2, l2 = np.radians(self.lat0 + (rows + 0.5) * height), np.radians(self.lon0 + (cols + 0.5) * width)
        a = (np.sin((p2 - p1) / 2) ** 2)[:, None] + (np.cos(p1) * np.cos(p2))[:, None] * (np.sin((l2 - l1) / 2) ** 2)
        centre = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
        codes = (_SPREAD[rows][:, None] | (_SPREAD[cols] << 1)).ravel()
        order = np.argsort(codes)
        return codes[order], centre.ravel()[order], EARTH_RADIUS_KM * math.radians(height + width) / 2, shift

    def reach(self, lat: float, lon: float,
              reaches: Iterable[float]) -> dict[float, tuple[NDArray[np.int64], NDArray[np.float64], float, int]]:
        """For each radius, the blocks that may hold points within it of a point:
        {km: (block numbers, km to their centres, half, shift)} as `blocks` gives them.

        Blocks are as small as keeps their number under about `_QUERY_CELLS` squared; radii whose
        boxes get blocks of the same size share one `blocks` (that of the widest), each keeping the
        blocks not surely outside its circle (farther from the point than it by more than ``half``).
        Numbers are increasing.
        """
        found: dict[int, tuple[NDArray[np.int64], NDArray[np.float64], float, int]] = {}
        out: dict[float, tuple[NDArray[np.int64], NDArray[np.float64], float, int]] = {}
        for km in sorted(set(reaches), reverse=True):  # the widest of each block size first
            shift = self.box(lat, lon, km)[4]
            if shift not in found:
                found[shift] = self.blocks(lat, lon, km)
            codes, centre, half, _ = found[shift]
            near = centre - half <= km + _MARGIN_DEG
            out[km] = codes[near], centre[near], half, shift
        return out


@dataclass
class RadiusClass:
    """Rows ``start:stop`` of a segment: people whose radius is at most `bound_km` (and above the previous class's).

    ``cell_start`` (``4**grid.level + 1``,) is the first row of each grid cell among them (the
    rows are sorted by cell), or None for a class searched whole.
    """

    bound_km: float
    start: int
    stop: int
    cell_start: NDArray[np.int64] | None


@dataclass(frozen=True)
class CommonSkills:
    """The skill columns many people hold, dense: a byte per row coding one of a few strengths.

    Attributes
    ----------
    position : dict
        Skill column -> its position here.
    codes : ndarray of uint8, shape (columns, n)
        ``values[d][codes[d, row]]`` is the strength of column d for the row (code 0: none).
    values : ndarray of float32, shape (columns, 256)
        The distinct strengths of each column, 0 first.
    """

    position: dict[int, int]
    codes: NDArray[np.uint8]
    values: NDArray[np.float32]

    @classmethod
    def of(cls, skills: sparse.csr_matrix, dense: bool) -> CommonSkills:
        """The common columns of a (n, columns) strength matrix (none unless `dense`)."""
        n = skills.shape[0]
        position: dict[int, int] = {}
        codes: list[NDArray[np.uint8]] = []
        values: list[NDArray[np.float32]] = []
        held = np.bincount(skills.indices, minlength=skills.shape[1]) if dense and n else np.zeros(0, dtype=int)
        by_column = skills.tocsc() if len(held) else None
        for col in np.argsort(-held, kind="stable")[:_COMMON_MAX].tolist():
            if held[col] < _COMMON_SHARE * n or by_column is None:
                break
            start, end = by_column.indptr[col], by_column.indptr[col + 1]
            strengths, coded = np.unique(by_column.data[start:end], return_inverse=True)
            if len(strengths) > 255:  # too many look-alike words: stays sparse
                continue
            column = np.zeros(n, dtype=np.uint8)
            column[by_column.indices[start:end]] = coded + 1
            position[col] = len(codes)
            codes.append(column)
            values.append(np.concatenate([[0.0], strengths, np.zeros(255 - len(strengths))]).astype(np.float32))
        return cls(position, np.array(codes, dtype=np.uint8).reshape(len(codes), n),
                   np.array(values, dtype=np.float32).reshape(len(codes), 256))


@dataclass
class Segment:
    """Rows of people with what queries need; ``alive`` is False for rows replaced or removed since.

    Attributes
    ----------
    people : PeopleColumns, n rows
        Ids are unique within a segment.
    alive : ndarray of bool, shape (n,)
    bitmaps : ndarray of uint8, shape (len(people.patterns), PACKED_BYTES)
        The packed weekly bitmap of each availability pattern (a row's is ``bitmaps[people.availability[row]]``).
    skills : scipy.sparse.csr_matrix, shape (n, columns)
        Strength of each skill column for each row (see `CandidateIndex.skill_strengths`).
    common : CommonSkills
        The columns many rows hold, also dense (a main segment's only).
    reliability : ndarray of float64, shape (n,)
        ``matcher.engagement.reliability`` of each row, computed once.
    rad_lat, rad_lon, cos_lat : ndarray of float64, shape (n,)
        Each point in radians and the cosine of its latitude, for `_haversine_km`.
    widest_km : float
        The largest radius of any row (0 for none): nobody comes from farther.
    grid : Grid or None
        The cells of the main segment; None for the recent segment (one class, searched whole).
    classes : list of RadiusClass
    by_id : ndarray of intp, shape (n,)
        Rows in increasing order of id, for lookups.
    """

    people: PeopleColumns
    alive: NDArray[np.bool_]
    bitmaps: NDArray[np.uint8]
    skills: sparse.csr_matrix
    common: CommonSkills
    reliability: NDArray[np.float64]
    rad_lat: NDArray[np.float64]
    rad_lon: NDArray[np.float64]
    cos_lat: NDArray[np.float64]
    widest_km: float
    grid: Grid | None
    classes: list[RadiusClass]
    by_id: NDArray[np.intp]

    def find(self, ids: NDArray[np.int64]) -> NDArray[np.intp]:
        """The row of each id, or -1 where it has none here (dead rows are found too)."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(self.by_id) == 0:
            return np.full(len(ids), -1, dtype=np.intp)
        at = np.minimum(np.searchsorted(self.people.id, ids, sorter=self.by_id), len(self.by_id) - 1)
        rows = self.by_id[at]
        found: NDArray[np.intp] = np.where(self.people.id[rows] == ids, rows, -1)
        return found

    def skill_values(self, rows: NDArray[np.intp], cols: Sequence[int | None]) -> NDArray[np.float64]:
        """(k, len(cols)) strength of each skill column for these rows (0 where absent, and for None).

        A common column is one gather of its byte codes (`CommonSkills`); the others read the
        rows' few entries of the sparse matrix.
        """
        out = np.zeros((len(rows), len(cols)))
        rare = []
        for j, col in enumerate(cols):
            if col is None or col >= self.skills.shape[1] or len(rows) == 0:
                continue
            dense = self.common.position.get(col)
            if dense is None:
                rare.append((j, col))
            else:
                out[:, j] = self.common.values[dense][self.common.codes[dense][rows]]
        if rare:
            ptr, picks = _ragged_picks(self.skills.indptr, rows)
            owner = np.repeat(np.arange(len(rows)), np.diff(ptr))  # the position in `rows` of each entry
            entry_cols = self.skills.indices[picks]
            for j, col in rare:
                hit = entry_cols == col
                out[owner[hit], j] = self.skills.data[picks[hit]]
        return out

    def within(self, lat: float, lon: float, radius_km: float, free: NDArray[np.bool_] | None = None,
               role: int | None = None) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Rows of the people who could come to a point: within `radius_km` and their own radius; with haversine km.

        ``free`` (one flag per availability pattern) and ``role`` (an index into ROLES) drop the
        other rows before any distance is computed: asking first who is free at the time leaves a
        fraction of the rows to measure.
        """
        # The runs of rows to look at, over all classes at once: few numpy calls, whatever the classes.
        starts, ends = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
        # Nobody of a class comes from farther than its bound; classes with the same reach share their blocks.
        reach_of = {id(cls): min(radius_km, cls.bound_km) for cls in self.classes if cls.cell_start is not None}
        blocks_of = self.grid.reach(lat, lon, reach_of.values()) if self.grid is not None and reach_of else {}
        for cls in self.classes:
            if cls.cell_start is None or self.grid is None:
                starts.append(np.array([cls.start]))
                ends.append(np.array([cls.stop]))
            else:
                blocks, _, _, shift = blocks_of[reach_of[id(cls)]]
                starts.append(cls.cell_start[blocks << 2 * shift])
                ends.append(cls.cell_start[(blocks + 1) << 2 * shift])
        rows = _runs(np.concatenate(starts), np.concatenate(ends))
        if free is not None:
            rows = rows[free[self.people.availability[rows]]]
        if role is not None:
            rows = rows[self.people.role[rows] == role]
        distances = _haversine_km(lat, lon, self.rad_lat[rows], self.rad_lon[rows], self.cos_lat[rows])
        hit = distances <= np.minimum(radius_km, self.people.max_distance_km[rows])
        return rows[hit].astype(np.intp, copy=False), distances[hit]


    def count_within(self, lat: float, lon: float, radius_km: float) -> int:
        """How many live rows lie within `radius_km` of a point (the haversine km of `within`), whatever
        their own radius: rows of blocks surely inside the circle are counted, not measured."""
        sure_starts, sure_ends, starts, ends = self._split(lat, lon, radius_km, own_radius=False)
        rows = _runs(starts, ends)
        rows = rows[self.alive[rows]]
        distances = _haversine_km(lat, lon, self.rad_lat[rows], self.rad_lon[rows], self.cos_lat[rows])
        return self._alive_in(sure_starts, sure_ends) + int(np.count_nonzero(distances <= radius_km))

    def reachable(self, lat: float, lon: float, radius_km: float) -> NDArray[np.int64]:
        """The rows `within` finds (within `radius_km` and their own radius), in no particular order and
        without their distances: the rows of blocks surely within both are taken unmeasured.

        A class's people have radii above the previous class's bound, so a block nearer than that
        bound (and than `radius_km`) holds only people within reach.
        """
        sure_starts, sure_ends, starts, ends = self._split(lat, lon, radius_km, own_radius=True)
        rows = _runs(starts, ends)
        distances = _haversine_km(lat, lon, self.rad_lat[rows], self.rad_lon[rows], self.cos_lat[rows])
        hit = distances <= np.minimum(radius_km, self.people.max_distance_km[rows])
        return np.concatenate([_runs(sure_starts, sure_ends), rows[hit]])

    def _split(self, lat: float, lon: float, radius_km: float,
               own_radius: bool) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Runs of rows around a point: (starts, ends) of those surely within reach, then of those to measure.

        Reach is `radius_km`, and with `own_radius` also each row's own radius (known per class: above
        the previous class's bound, at most its own). Rows outside both kinds of runs are out of reach.
        A block is surely within reach when its farthest point (its centre's distance plus ``half``) is
        nearer than the reach by `_SURE_KM`, far more than the haversine's rounding.
        """
        plan, lower = [], 0.0
        for cls in self.classes:
            if own_radius:
                plan.append((cls, min(radius_km, cls.bound_km), min(radius_km, lower)))
            else:
                plan.append((cls, radius_km, radius_km))
            lower = cls.bound_km
        gridded = [reach for cls, reach, _ in plan if cls.cell_start is not None]
        blocks_of = self.grid.reach(lat, lon, gridded) if self.grid is not None and gridded else {}
        empty = np.empty(0, dtype=np.int64)
        sure_starts, sure_ends, starts, ends = [empty], [empty], [empty], [empty]
        for cls, reach, sure in plan:
            if cls.cell_start is None or self.grid is None:
                starts.append(np.array([cls.start]))
                ends.append(np.array([cls.stop]))
                continue
            blocks, centre, half, shift = blocks_of[reach]
            inside = centre + half <= sure - _SURE_KM
            for picked, first, last in ((blocks[inside], sure_starts, sure_ends), (blocks[~inside], starts, ends)):
                first.append(cls.cell_start[picked << 2 * shift])
                last.append(cls.cell_start[(picked + 1) << 2 * shift])
        return (np.concatenate(sure_starts), np.concatenate(sure_ends), np.concatenate(starts), np.concatenate(ends))

    def _alive_in(self, starts: NDArray[np.int64], ends: NDArray[np.int64]) -> int:
        """How many live rows the runs ``starts[i]:ends[i]`` (disjoint) hold."""
        total = int((ends - starts).sum())
        if np.all(self.alive):
            return total
        dead = np.flatnonzero(~self.alive)
        return total - int((np.searchsorted(dead, ends) - np.searchsorted(dead, starts)).sum())


def _last_of_each_id(people: PeopleColumns) -> PeopleColumns:
    """The rows without an earlier version of the same id: the last version of each wins."""
    reversed_first = np.unique(people.id[::-1], return_index=True)[1]
    if len(reversed_first) == len(people):
        return people
    return people.take(np.sort(len(people) - 1 - reversed_first))


class CandidateIndex:
    """Everyone who could be matched, indexed for radius queries and vectorised scoring.

    Parameters
    ----------
    vocabulary : SkillVocabulary, optional
        How skill names are normalised (default: the shipped vocabulary).
    rebuild_fraction : float
        Merge the recent segment into the main one when it holds more than this share of rows.

    Attributes
    ----------
    columns_ : dict
        Skill column keys (canonical ids and ``free:<word>``) to column numbers.
    segments_ : list of Segment
        The main segment and the recent one.
    """

    def __init__(self, *, vocabulary: SkillVocabulary | None = None, rebuild_fraction: float = 0.05) -> None:
        self.vocabulary = vocabulary
        self.rebuild_fraction = rebuild_fraction

    def fit(self, people: Iterable[Person]) -> CandidateIndex:
        """Index these people from scratch; returns self."""
        return self.fit_columns(PeopleColumns.from_people(people))

    def fit_columns(self, people: PeopleColumns) -> CandidateIndex:
        """Index people given as columns from scratch (the last row of an id wins); returns self."""
        self.vocabulary_ = self.vocabulary or default_vocabulary()
        self.columns_: dict[str, int] = {}
        self._bitmaps: dict[Slots, NDArray[np.uint8]] = {}
        self.segments_: list[Segment] = [self._segment(_last_of_each_id(people), grid=True),
                                         self._segment(PeopleColumns.from_people(()), grid=False)]
        return self

    def __len__(self) -> int:
        return sum(int(np.count_nonzero(seg.alive)) for seg in self.segments_)

    def __contains__(self, person_id: int) -> bool:
        return self._locate(person_id) is not None

    def person(self, person_id: int) -> Person:
        """The stored record of one person (KeyError if not indexed)."""
        where = self._locate(person_id)
        if where is None:
            raise KeyError(person_id)
        return self.segments_[where[0]].people.person(where[1])

    def changed(self, *, removed: Iterable[int] = (), upserted: PeopleColumns | None = None) -> CandidateIndex:
        """A new index with these people removed and these upserted; this one is left as it was.

        Queries running on this index in other threads meanwhile see it whole: the caller swaps
        the returned index in with one assignment. The arrays no change touches are shared; the
        ``alive`` flags, the segment list and the skill columns are copied (a few MB at 1,000,000 rows).
        """
        new = copy.copy(self)
        new.columns_ = dict(self.columns_)
        new.segments_ = [replace(seg, alive=seg.alive.copy()) for seg in self.segments_]
        new.remove(removed)
        if upserted is not None:
            new.upsert_columns(upserted)
        return new

    def upsert(self, people: Iterable[Person]) -> None:
        """Add or replace people; they land in the recent segment until the next merge."""
        self.upsert_columns(PeopleColumns.from_people(people))

    def upsert_columns(self, people: PeopleColumns) -> None:
        """`upsert` for people given as columns (the last row of an id wins)."""
        if len(people) == 0:
            return
        people = _last_of_each_id(people)
        self._kill(people.id)
        recent = self.segments_[1]
        # The recent segment is rebuilt without its dead rows: ids stay unique within it.
        rows = PeopleColumns.concat([recent.people.take(np.flatnonzero(recent.alive)), people])
        if len(rows) > max(_REBUILD_MIN_ROWS, self.rebuild_fraction * (len(self) + len(people))):
            main = self.segments_[0]
            self.fit_columns(PeopleColumns.concat([main.people.take(np.flatnonzero(main.alive)), rows]))
        else:
            self.segments_[1] = self._segment(rows, grid=False)

    def remove(self, person_ids: Iterable[int]) -> None:
        """Forget people (deleted); unknown ids are ignored."""
        self._kill(np.fromiter(person_ids, dtype=np.int64))

    def _kill(self, person_ids: NDArray[np.int64]) -> None:
        for seg in self.segments_:
            rows = seg.find(person_ids)
            seg.alive[rows[rows >= 0]] = False

    def _locate(self, person_id: int) -> tuple[int, int] | None:
        """(segment, row) of a person's live row, or None."""
        for s, seg in enumerate(self.segments_):
            row = int(seg.find(np.array([person_id]))[0])
            if row >= 0 and seg.alive[row]:
                return s, row
        return None

    def skill_strengths(self, skills: Iterable[str]) -> dict[int, float]:
        """Column -> strength for one person's skill words (1 for a known or identical name, less for a
        look-alike; what an occupation, certificate or language implies at its strength)."""
        strengths: dict[int, float] = {}
        for text in skills:
            for key, strength in self.vocabulary_.resolve(text).alternatives.items():
                col = self.columns_.setdefault(key, len(self.columns_))
                strengths[col] = max(strengths.get(col, 0.0), strength)
        return strengths

    def _skill_matrix(self, people: PeopleColumns) -> sparse.csr_matrix:
        """(n, columns) strengths: for each row and column, the best over the row's skill words."""
        # Each distinct word is resolved once, to one or two (column, strength) entries.
        word_ptr, word_col, word_val = [0], [], []
        for text in people.skill_texts:
            for col, strength in self.skill_strengths([text]).items():
                word_col.append(col)
                word_val.append(strength)
            word_ptr.append(len(word_col))
        word_rows = np.repeat(np.arange(len(people)), np.diff(people.skill_ptr))  # the row of each skill word
        entry_ptr, entries = _take_ragged(np.array(word_ptr, dtype=np.int64), np.arange(len(word_col)),
                                          people.skill_code)
        rows = np.repeat(word_rows, np.diff(entry_ptr))
        cols, vals = np.array(word_col, dtype=np.intp)[entries], np.array(word_val, dtype=float)[entries]
        # Two words of one row may share a column: keep the stronger (csr_matrix would add them up).
        order = np.lexsort((-vals, cols, rows))
        rows, cols, vals = rows[order], cols[order], vals[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        return sparse.csr_matrix((vals[first], (rows[first], cols[first])),
                                 shape=(len(people), max(len(self.columns_), 1)), dtype=np.float32)

    def _bitmap(self, pattern: Slots) -> NDArray[np.uint8]:
        """The packed weekly bitmap of a pattern, worked out once per index."""
        packed = self._bitmaps.get(pattern)
        if packed is None:
            packed = self._bitmaps[pattern] = np.packbits(week_bitmap(pattern))
        return packed

    def _segment(self, people: PeopleColumns, *, grid: bool) -> Segment:
        n = len(people)
        classes, cells = [], None
        if grid and n:
            # Rows by radius class, then by cell in Z-order: a cell (or block of cells) of a class is one run.
            class_of = np.searchsorted(RADIUS_CLASSES_KM, people.max_distance_km)
            cells = Grid.over(people.lat, people.lon)
            cell_of = cells.cells(people.lat, people.lon)
            order = np.lexsort((cell_of, class_of))
            people, class_of, cell_of = people.take(order), class_of[order], cell_of[order]
            bounds = np.flatnonzero(np.diff(class_of)) + 1
            for start, stop in zip([0, *bounds.tolist()], [*bounds.tolist(), n]):
                c = int(class_of[start])
                cell_start = None
                if stop - start >= _GRID_MIN_ROWS:
                    cell_start = start + np.searchsorted(cell_of[start:stop], np.arange(4**cells.level + 1))
                classes.append(RadiusClass(float(RADIUS_CLASSES_KM[min(c, len(RADIUS_CLASSES_KM) - 1)]), start, stop,
                                           cell_start))
        elif n:
            classes.append(RadiusClass(float("inf"), 0, n, None))
        skills = self._skill_matrix(people)
        bitmaps = np.zeros((len(people.patterns), PACKED_BYTES), dtype=np.uint8)
        for code, pattern in enumerate(people.patterns):
            bitmaps[code] = self._bitmap(pattern)
        return Segment(
            people=people,
            alive=np.ones(n, dtype=bool),
            bitmaps=bitmaps,
            skills=skills,
            common=CommonSkills.of(skills, dense=grid),
            reliability=np.asarray(reliability(people.services_completed, people.services_dropped),
                                   dtype=float).reshape(n),
            rad_lat=np.radians(people.lat),
            rad_lon=np.radians(people.lon),
            cos_lat=np.cos(np.radians(people.lat)),
            widest_km=float(people.max_distance_km.max()) if n else 0.0,
            grid=cells,
            classes=classes,
            by_id=np.argsort(people.id, kind="stable"),
        )
