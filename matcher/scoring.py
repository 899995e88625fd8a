"""Rank candidates for a task: hard filters, then vectorised factor scores, then reasons.

Factors, each in [0, 1]:

- ``skill``: mean over the task's wanted skills of how well the person has each (1 for the
  same canonical skill or the identical word, the TF-IDF similarity for a look-alike word);
  1 when the task wants nothing in particular.
- ``distance``: 1 at the door, falling linearly to 0 at the edge of the allowed radius (the
  smaller of the person's own radius and the request's).
- ``availability``: the share of the task's window the person's weekly slots cover.

The score is the weighted mean of the factors, so it is in [0, 1] too. Ties are broken by
distance, then id, so the order is deterministic.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .availability import coverage, format_span, free_spans, window_weights
from .geo import geodesic_km
from .index import CandidateIndex, Segment
from .skills import Resolved, is_chinese, normalise_term
from .types import ROLES, Match, MatchRequest

MAX_RADIUS_KM = 500.0
FACTORS = ("skill", "distance", "availability")


def _column_strengths(seg: Segment, rows: NDArray[np.intp], cols: list[int]) -> NDArray[np.float64]:
    """(k, len(cols)) skill strengths of these rows; columns the segment predates are 0."""
    out = np.zeros((len(rows), len(cols)))
    known = [i for i, c in enumerate(cols) if c < seg.skills.shape[1]]
    if known and len(rows):
        sub = seg.skills[rows][:, [cols[i] for i in known]].toarray()
        out[:, known] = sub
    return out


def _wanted_strengths(index: CandidateIndex, seg: Segment, rows: NDArray[np.intp],
                      wanted: list[Resolved]) -> NDArray[np.float64]:
    """(k, len(wanted)): how well each person has each wanted skill."""
    cols = index.columns_
    out = np.zeros((len(rows), len(wanted)))
    for j, want in enumerate(wanted):
        best = np.zeros(len(rows))
        for key, weight in ((want.key, 1.0), (want.fuzzy_key, want.strength)):
            if key is not None and key in cols:
                best = np.maximum(best, weight * _column_strengths(seg, rows, [cols[key]])[:, 0])
        out[:, j] = best
    return out


def _has_required(index: CandidateIndex, seg: Segment, rows: NDArray[np.intp],
                  required: list[Resolved]) -> NDArray[np.bool_]:
    """Whether each person holds every required skill exactly (same canonical skill or same word)."""
    ok = np.ones(len(rows), dtype=bool)
    for need in required:
        col = index.columns_.get(need.key)
        if col is None:
            return np.zeros(len(rows), dtype=bool)
        ok &= _column_strengths(seg, rows, [col])[:, 0] >= 1.0
    return ok


def score_candidates(index: CandidateIndex, request: MatchRequest) -> list[Match]:
    """The best `request.limit` people for a task, best first, with factor scores and reasons.

    Nobody inactive, of another role, farther than their own or the request's radius, not free
    (or, with ``partial``, not free at all) during the window, already booked (``exclude_ids``),
    or missing a required skill is returned.
    """
    vocab = index.vocabulary_
    wanted = [vocab.resolve(s) for s in request.skills]
    required = [vocab.resolve(s) for s in request.required_skills]
    weights = window_weights(request.starts_at, request.ends_at)
    radius = min(request.max_distance_km or MAX_RADIUS_KM, MAX_RADIUS_KM)
    role = ROLES.index(request.role) if request.role in ROLES else None
    excluded = np.fromiter(request.exclude_ids, dtype=np.int64) if request.exclude_ids else None

    parts = []
    for s, seg in enumerate(index.segments_):
        # Nobody travels farther than the widest radius in the segment: search no farther.
        reach = min(radius, float(seg.radius_km.max())) if len(seg.ids) else 0.0
        rows, dist = seg.within(request.lat, request.lon, reach)
        keep = seg.alive[rows] & seg.active[rows] & (dist <= seg.radius_km[rows])
        if role is not None:
            keep &= seg.role[rows] == role
        if excluded is not None:
            keep &= ~np.isin(seg.ids[rows], excluded)
        rows, dist = rows[keep], dist[keep]
        cover = coverage(seg.availability[rows], weights)
        keep = cover > 0 if request.partial else cover >= 1 - 1e-9
        rows, dist, cover = rows[keep], dist[keep], cover[keep]
        if required:
            keep = _has_required(index, seg, rows, required)
            rows, dist, cover = rows[keep], dist[keep], cover[keep]
        skill = _wanted_strengths(index, seg, rows, wanted).mean(axis=1) if wanted else np.ones(len(rows))
        allowed = np.minimum(seg.radius_km[rows], radius)
        near = np.clip(1 - dist / allowed, 0.0, 1.0)
        parts.append((s, rows, dist, np.column_stack([skill, near, cover]), seg.ids[rows]))

    segs = np.concatenate([np.full(len(p[1]), p[0]) for p in parts])
    rows = np.concatenate([p[1] for p in parts])
    dist = np.concatenate([p[2] for p in parts])
    comps = np.concatenate([p[3] for p in parts]) if len(rows) else np.empty((0, 3))
    w = np.array([request.weights.skill, request.weights.distance, request.weights.availability])
    score = np.clip(comps @ w / w.sum(), 0.0, 1.0)
    ids = np.concatenate([p[4] for p in parts])
    order = np.lexsort((ids, dist, -score))[: request.limit]

    chinese = request.language == "zh" if request.language else any(is_chinese(t) for t in request.skills) or not request.skills
    return [
        _match(index, index.segments_[segs[i]], int(rows[i]), float(score[i]), comps[i], wanted, weights, request, chinese)
        for i in order
    ]


def _match(index: CandidateIndex, seg: Segment, row: int, score: float, comps: NDArray[np.float64],
           wanted: list[Resolved], weights: NDArray[np.float64], request: MatchRequest, chinese: bool) -> Match:
    """Build one result with its reasons (only for the few rows returned)."""
    person = seg.people[row]
    km = geodesic_km(request.lat, request.lon, person.lat, person.lon)
    reasons = _skill_reasons(index, person.skills, wanted, chinese)
    reasons.append(f"{km:.1f} km" if chinese else f"{km:.1f} km away")
    bits = np.unpackbits(seg.availability[row], count=weights.size).astype(bool)
    spans = free_spans(bits, weights)
    reasons.extend(format_span(*span, chinese=chinese) for span in spans[:2])
    return Match(
        volunteer_id=person.id, name=person.name, role=person.role, score=round(score, 4),
        distance_km=round(km, 2), components={f: round(float(c), 4) for f, c in zip(FACTORS, comps)},
        reasons=reasons, district=person.district,
    )


def _skill_reasons(index: CandidateIndex, skills: tuple[str, ...], wanted: list[Resolved], chinese: bool) -> list[str]:
    """'有心理咨询 (≈ 心理疏导)' for each wanted skill the person has, with the word they used."""
    vocab = index.vocabulary_
    mine = [vocab.resolve(s) for s in skills]
    reasons = []
    for want in wanted:
        wanted_keys = {want.key, want.fuzzy_key} - {None}
        for have in mine:
            if {have.key, have.fuzzy_key} & wanted_keys:
                text = f"有{have.text}" if chinese else f"has {have.text}"
                if normalise_term(have.text) != normalise_term(want.text):
                    text += f" (≈ {want.text})"
                reasons.append(text)
                break
    return reasons

