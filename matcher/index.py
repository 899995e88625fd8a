"""The in-memory candidate index: coordinates in a haversine BallTree, skills, availability bitmaps.

People live in two segments: a large *main* segment with a BallTree, rebuilt rarely, and a small
*recent* segment searched by brute force, where upserts land. Changing or removing someone marks
their old row dead. When the recent segment outgrows ``rebuild_fraction`` of the index, both are
merged into a fresh main segment. So a change costs microseconds, not a rebuild.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.neighbors import BallTree

from .availability import PACKED_BYTES, week_bitmap
from .geo import EARTH_RADIUS_KM, haversine_km, to_radians
from .skills import SkillVocabulary, default_vocabulary
from .types import ROLES, Person

_TREE_MIN_ROWS = 512  # below this, brute force is faster than a tree


@dataclass
class Segment:
    """People stored column-wise; ``alive`` is False for rows replaced or removed since."""

    people: list[Person]
    ids: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    radius_km: NDArray[np.float64]
    role: NDArray[np.int8]
    active: NDArray[np.bool_]
    alive: NDArray[np.bool_]
    availability: NDArray[np.uint8]
    skills: sparse.csr_matrix
    tree: BallTree | None

    def within(self, lat: float, lon: float, radius_km: float) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Rows within `radius_km` of a point, with their haversine distances in km."""
        if len(self.ids) == 0:
            return np.empty(0, dtype=np.intp), np.empty(0)
        if self.tree is None:
            distances = haversine_km(lat, lon, self.lat, self.lon)
            rows = np.flatnonzero(distances <= radius_km)
            return rows, distances[rows]
        rows_, dist_ = self.tree.query_radius(to_radians(lat, lon), r=radius_km / EARTH_RADIUS_KM, return_distance=True)
        return rows_[0].astype(np.intp), dist_[0] * EARTH_RADIUS_KM


def _concat(a: Segment, b: Segment) -> Segment:
    """Rows of `a` then rows of `b` (no tree: used for the recent segment)."""
    width = max(a.skills.shape[1], b.skills.shape[1])
    for matrix in (a.skills, b.skills):
        matrix.resize((matrix.shape[0], width))
    return Segment(
        people=a.people + b.people,
        ids=np.concatenate([a.ids, b.ids]),
        lat=np.concatenate([a.lat, b.lat]),
        lon=np.concatenate([a.lon, b.lon]),
        radius_km=np.concatenate([a.radius_km, b.radius_km]),
        role=np.concatenate([a.role, b.role]),
        active=np.concatenate([a.active, b.active]),
        alive=np.concatenate([a.alive, b.alive]),
        availability=np.concatenate([a.availability, b.availability]),
        skills=sparse.vstack([a.skills, b.skills], format="csr"),
        tree=None,
    )


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
    """

    def __init__(self, *, vocabulary: SkillVocabulary | None = None, rebuild_fraction: float = 0.05) -> None:
        self.vocabulary = vocabulary
        self.rebuild_fraction = rebuild_fraction

    def fit(self, people: Iterable[Person]) -> CandidateIndex:
        """Index these people from scratch; returns self."""
        self.vocabulary_ = self.vocabulary or default_vocabulary()
        self.columns_: dict[str, int] = {}
        self._where: dict[int, tuple[int, int]] = {}
        self.segments_: list[Segment] = [self._segment(list(people), tree=True), self._segment([], tree=False)]
        self._locate_all()
        return self

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, person_id: int) -> bool:
        return person_id in self._where

    def person(self, person_id: int) -> Person:
        """The stored record of one person."""
        seg, row = self._where[person_id]
        return self.segments_[seg].people[row]

    def upsert(self, people: Iterable[Person]) -> None:
        """Add or replace people; they land in the recent segment until the next merge."""
        people = list(people)
        if not people:
            return
        people = list({p.id: p for p in people}.values())  # the last version of each wins
        self._kill(p.id for p in people)
        recent = self.segments_[1]
        offset = len(recent.ids)
        self.segments_[1] = _concat(recent, self._segment(people, tree=False))
        for row, person in enumerate(people, start=offset):
            self._where[person.id] = (1, row)
        if len(self.segments_[1].ids) > max(_TREE_MIN_ROWS, self.rebuild_fraction * len(self)):
            self.fit([p for seg in self.segments_ for p, alive in zip(seg.people, seg.alive) if alive])

    def remove(self, person_ids: Iterable[int]) -> None:
        """Forget people (deleted); unknown ids are ignored."""
        self._kill(person_ids)

    def _kill(self, person_ids: Iterable[int]) -> None:
        for person_id in person_ids:
            where = self._where.pop(person_id, None)
            if where is not None:
                self.segments_[where[0]].alive[where[1]] = False

    def _locate_all(self) -> None:
        self._where = {}
        for s, seg in enumerate(self.segments_):
            for row in np.flatnonzero(seg.alive):
                self._where[int(seg.ids[row])] = (s, int(row))

    def skill_strengths(self, skills: Iterable[str]) -> dict[int, float]:
        """Column -> strength for one person's skills (1 for a known or identical name, less for fuzzy)."""
        strengths: dict[int, float] = {}
        for text in skills:
            resolved = self.vocabulary_.resolve(text)
            for key, strength in ((resolved.key, 1.0), (resolved.fuzzy_key, resolved.strength)):
                if key is None:
                    continue
                col = self.columns_.setdefault(key, len(self.columns_))
                strengths[col] = max(strengths.get(col, 0.0), strength)
        return strengths

    def _segment(self, people: list[Person], *, tree: bool) -> Segment:
        n = len(people)
        lat = np.array([p.lat for p in people], dtype=float)
        lon = np.array([p.lon for p in people], dtype=float)
        availability = np.zeros((n, PACKED_BYTES), dtype=np.uint8)
        rows, cols, vals = [], [], []
        for i, person in enumerate(people):
            if person.availability:
                availability[i] = np.packbits(week_bitmap(person.availability))
            for col, strength in self.skill_strengths(person.skills).items():
                rows.append(i)
                cols.append(col)
                vals.append(strength)
        skills = sparse.csr_matrix((vals, (rows, cols)), shape=(n, max(len(self.columns_), 1)), dtype=np.float32)
        use_tree = tree and n >= _TREE_MIN_ROWS
        return Segment(
            people=people,
            ids=np.array([p.id for p in people], dtype=np.int64),
            lat=lat,
            lon=lon,
            radius_km=np.array([p.max_distance_km for p in people], dtype=float),
            role=np.array([ROLES.index(p.role) for p in people], dtype=np.int8),
            active=np.array([p.active for p in people], dtype=bool),
            alive=np.ones(n, dtype=bool),
            availability=availability,
            skills=skills,
            tree=BallTree(to_radians(lat, lon), metric="haversine") if use_tree else None,
        )
