"""Rank candidates for a task: hard filters, then vectorised factor scores, then reasons.

Factors, each in [0, 1]:

- ``skill``: mean over the task's wanted skills of how well the person has each (1 for the
  same canonical skill or the identical word, the TF-IDF similarity for a look-alike word);
  1 when the task wants nothing in particular.
- ``distance``: 1 at the door, falling linearly to 0 at the edge of the allowed radius (the
  smaller of the person's own radius and the request's).
- ``availability``: the share of the task's window the person's weekly slots cover.
- ``reliability`` and ``fairness``: from past service (see ``matcher.engagement``): completed
  against dropped, and fewer recent hours (seen from the task's start) ranking a little higher.

The score is the weighted mean of the factors, so it is in [0, 1] too. When the task wants skills
(and the skill weight is not 0), everyone with some evidence for a wanted skill ranks above
everyone with none, whatever the distance; within each group by score. Ties are broken by
distance, then id, so the order is deterministic.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import engagement
from .availability import (
    SLOT_MINUTES,
    SLOTS_PER_DAY,
    byte_span,
    coverage_of_bytes,
    format_span,
    window_weights,
)
from .geo import compass_points, geodesic_km_many
from .index import CandidateIndex, Segment
from .skills import Resolved, SkillVocabulary, is_chinese, normalise_term
from .types import ROLES, Match, MatchRequest

MAX_RADIUS_KM = 500.0
FACTORS = ("skill", "distance", "availability", "reliability", "fairness")
REQUIRED_STRENGTH = 0.6  # a required skill is held from this strength (a close variant, a nursing licence for 护理)


def _strengths(index: CandidateIndex, seg: Segment, rows: NDArray[np.intp],
               keys: Sequence[str | None]) -> NDArray[np.float64]:
    """(k, len(keys)) strengths of these people's skill columns; unknown keys are 0."""
    return seg.skill_values(rows, [index.columns_.get(key) if key is not None else None for key in keys])


def _wanted_strengths(index: CandidateIndex, seg: Segment, rows: NDArray[np.intp],
                      wanted: list[Resolved]) -> NDArray[np.float64]:
    """(k, len(wanted)): how well each person has each wanted skill.

    The best, over the columns that answer the wanted word (`Resolved.asked`), of the product of
    its strength there and the person's (their word, a look-alike, or what their occupation,
    certificate, language or related skill implies).
    """
    keys = [key for want in wanted for key in want.asked]
    weights = np.array([strength for want in wanted for strength in want.asked.values()])
    held = _strengths(index, seg, rows, keys) * weights  # one lookup for every wanted word's columns
    best = np.empty((len(rows), len(wanted)))
    start = 0
    for j, want in enumerate(wanted):  # the best column of each wanted word
        stop = start + len(want.asked)
        best[:, j] = held[:, start] if stop == start + 1 else held[:, start:stop].max(axis=1)
        start = stop
    return best


def _has_required(index: CandidateIndex, seg: Segment, rows: NDArray[np.intp],
                  required: list[Resolved]) -> NDArray[np.bool_]:
    """Whether each person holds every required skill: the same skill or word, a close variant, or a
    certificate, occupation or language that is evidence enough for it (strength REQUIRED_STRENGTH)."""
    held: NDArray[np.bool_] = np.all(_wanted_strengths(index, seg, rows, required) >= REQUIRED_STRENGTH, axis=1)
    return held


@dataclass(frozen=True)
class Ranked:
    """Every eligible person for a request, scored: arrays of shape (k,), components (k, len(FACTORS)).

    ``order`` lists positions best first (evidence for a wanted skill, score, then distance, then id),
    at most the limit asked.
    """

    ids: NDArray[np.int64]
    scores: NDArray[np.float64]
    components: NDArray[np.float64]
    distance_km: NDArray[np.float64]
    order: NDArray[np.intp]
    segments: NDArray[np.intp]
    rows: NDArray[np.intp]
    window: NDArray[np.float64]  # minutes of the task in each quarter-hour slot of the week (672,)


def _pattern_coverage(seg: Segment, span: slice, span_weights: NDArray[np.float64],
                      total_minutes: float) -> NDArray[np.float64]:
    """(len(seg.bitmaps),) share of the window each weekly pattern of the segment is free for.

    People share a few patterns, so this is worked out per pattern, then looked up per row.
    """
    return coverage_of_bytes(seg.bitmaps[:, span], span_weights, total_minutes)


Places = dict[tuple[int, float, float, float], tuple[NDArray[np.intp], NDArray[np.float64]]]


@functools.lru_cache(maxsize=1024)
def _window(starts_at: dt.datetime, ends_at: dt.datetime) -> NDArray[np.float64]:
    """`window_weights` of a window, read-only, worked out once per process for each window asked
    (tasks share their times: a station's Saturday mornings; a plan's tasks; equal instants in any zone)."""
    weights = window_weights(starts_at, ends_at)
    weights.flags.writeable = False
    return weights


def rank_candidates(index: CandidateIndex, request: MatchRequest, limit: int | None = None, *,
                    places: Places | None = None) -> Ranked:
    """Hard filters and factor scores for everyone eligible, and the best `limit` of them, without reasons.

    Nobody inactive, of another role, farther than their own or the request's radius, not free
    (or, with ``partial``, not free at all) during the window, already booked (``exclude_ids``),
    or missing a required skill is kept. ``limit`` defaults to ``request.limit``.

    ``places``, a dict kept by the caller across calls on the same unchanged index, remembers the
    spatial search per place: a plan's many tasks at one station search once.
    """
    vocab = index.vocabulary_
    wanted = [vocab.resolve(s) for s in request.skills]
    required = [vocab.resolve(s) for s in request.required_skills]
    weights = _window(request.starts_at, request.ends_at)
    span = byte_span(weights)  # only these bytes of each bitmap matter for this window
    span_weights, total_minutes = weights[span.start * 8:span.stop * 8], weights.sum()
    radius = min(request.max_distance_km or MAX_RADIUS_KM, MAX_RADIUS_KM)
    role = ROLES.index(request.role) if request.role in ROLES else None
    when = request.starts_at.timestamp()  # fairness looks at hours served before the task
    excluded = np.fromiter(request.exclude_ids, dtype=np.int64) if request.exclude_ids else None

    parts = [(0, np.empty(0, dtype=np.intp), np.empty(0), np.empty((0, len(FACTORS))), np.empty(0, dtype=np.int64))]
    for s, seg in enumerate(index.segments_):
        people = seg.people
        if len(people) == 0:
            continue
        by_pattern = _pattern_coverage(seg, span, span_weights, total_minutes)
        free = by_pattern > 0 if request.partial else by_pattern >= 1 - 1e-9
        codes = people.availability
        # Nobody travels farther than the widest radius in the segment: search no farther.
        reach = min(radius, seg.widest_km)
        if places is None:  # people not free at the time, or of another role, are dropped before any distance
            rows, dist = seg.within(request.lat, request.lon, reach, free, role)
            keep = seg.alive[rows] & people.active[rows]
        else:  # a plan's tasks share places, not times: the place's search is kept for the next task
            key = (s, request.lat, request.lon, reach)
            found = places.get(key)
            if found is None:
                rows, dist = seg.within(request.lat, request.lon, reach)
                keep = seg.alive[rows] & people.active[rows]
                found = places[key] = rows[keep], dist[keep]
            rows, dist = found
            keep = free[codes[rows]]
            if role is not None:
                keep &= people.role[rows] == role
        if excluded is not None:
            keep &= ~np.isin(people.id[rows], excluded)
        rows, dist = rows[keep], dist[keep]
        cover = by_pattern[codes[rows]]
        if required:
            keep = _has_required(index, seg, rows, required)
            rows, dist, cover = rows[keep], dist[keep], cover[keep]
        skill = _wanted_strengths(index, seg, rows, wanted).mean(axis=1) if wanted else np.ones(len(rows))
        near = np.clip(1 - dist / np.minimum(people.max_distance_km[rows], radius), 0.0, 1.0)
        reliable = seg.reliability[rows]
        # Fairness is 1 for nobody's recent hours: worked out only for people who served lately.
        hours = people.recent_hours[rows]
        fair = np.ones(len(rows))
        served = np.flatnonzero(hours > 0)
        fair[served] = engagement.fairness(engagement.decayed(hours[served], people.recent_hours_at[rows[served]], when))
        parts.append((s, rows, dist, np.column_stack([skill, near, cover, reliable, fair]), people.id[rows]))

    filled = [p for p in parts if len(p[1])] or parts[:1]
    if len(filled) == 1:  # the usual case, everyone from the main segment: no copies
        s, rows, dist, comps, ids = filled[0]
        segments = np.full(len(rows), s, dtype=np.intp)
    else:
        rows = np.concatenate([p[1] for p in filled])
        ids = np.concatenate([p[4] for p in filled])
        dist = np.concatenate([p[2] for p in filled])
        comps = np.concatenate([p[3] for p in filled])
        segments = np.concatenate([np.full(len(p[1]), p[0], dtype=np.intp) for p in filled])
    w = np.array(request.weights.as_tuple())
    # einsum, not `@`: a BLAS call on a (k, 5) matrix costs more in thread start-up than it saves.
    score = np.clip(np.einsum("ij,j->i", comps, w / w.sum()), 0.0, 1.0)
    # Evidence first: scores are in [0, 1], so 2 more for anyone with some evidence puts them all ahead.
    rank = score + 2.0 * (comps[:, 0] > 0) if wanted and request.weights.skill > 0 else score
    return Ranked(ids=ids, scores=score, components=comps, distance_km=dist,
                  order=_top(rank, dist, ids, request.limit if limit is None else limit), segments=segments, rows=rows,
                  window=weights)


def score_candidates(index: CandidateIndex, request: MatchRequest) -> list[Match]:
    """The best `request.limit` people for a task, best first, with factor scores and reasons."""
    ranked = rank_candidates(index, request)
    if len(ranked.order) == 0:
        return []
    # Reasons explain the wanted skills, then the required ones not also wanted.
    wanted = [index.vocabulary_.resolve(s) for s in dict.fromkeys([*request.skills, *request.required_skills])]
    chinese = request.language == "zh" if request.language else any(is_chinese(t) for t in request.skills) or not request.skills
    order = ranked.order
    shown = [(index.segments_[s], row) for s, row in zip(ranked.segments[order].tolist(), ranked.rows[order].tolist())]
    lats = np.array([seg.people.lat[row] for seg, row in shown])
    lons = np.array([seg.people.lon[row] for seg, row in shown])
    km = geodesic_km_many(request.lat, request.lon, lats, lons).tolist()
    directions = compass_points(request.lat, request.lon, lats, lons)
    explain = _Explainer(index, wanted, ranked.window, request.starts_at.timestamp(), chinese)
    return [
        explain.match(seg, row, score, comps, distance, direction)
        for (seg, row), score, comps, distance, direction in zip(
            shown, ranked.scores[order].tolist(), ranked.components[order].tolist(), km, directions)
    ]


class _Explainer:
    """Builds the results shown for one request, with their reasons (only for the few rows returned).

    People shown together share skill words and weekly patterns: what a word says about each wanted
    skill, and the free spans of a pattern in the window, are worked out once per request.
    """

    def __init__(self, index: CandidateIndex, wanted: list[Resolved], weights: NDArray[np.float64], when: float,
                 chinese: bool) -> None:
        self.vocab = index.vocabulary_
        self.wanted = wanted
        self.when = when
        self.chinese = chinese
        self.slots = np.flatnonzero(weights).tolist()  # the week's slots the window touches, in slot order
        self.word_strengths: dict[str, list[float]] = {}
        self.word_texts: dict[tuple[str, int], str] = {}
        self.spans: dict[bytes, list[str]] = {}

    def match(self, seg: Segment, row: int, score: float, comps: list[float], km: float, direction: str) -> Match:
        """One result with its reasons."""
        people, chinese = seg.people, self.chinese
        reasons = self.skill_reasons(people.skills_of(row))
        reasons.append(f"{km:.1f} km" if chinese else f"{km:.1f} km away")
        reasons.extend(self.free_text(seg.bitmaps[people.availability[row]].tobytes()))
        reasons.extend(_engagement_reasons(int(people.services_completed[row]), int(people.services_dropped[row]),
                                           float(people.recent_hours[row]), float(people.recent_hours_at[row]),
                                           self.when, chinese))
        return Match(
            volunteer_id=int(people.id[row]), name=people.name[row], role=ROLES[people.role[row]], score=round(score, 4),
            distance_km=round(km, 2), components={f: round(c, 4) for f, c in zip(FACTORS, comps)},
            reasons=reasons, district=people.districts[people.district[row]], direction=direction,
        )

    def skill_reasons(self, skills: tuple[str, ...]) -> list[str]:
        """'有心理咨询 (≈ 心理疏导)' for each wanted skill the person has evidence for, with the word they used
        (a skill, an occupation, a certificate or a language): the strongest such word, the first of equals.

        What each word says about each wanted skill, and each reason's text, are worked out once per request.
        """
        strengths = []
        for text in skills:
            found = self.word_strengths.get(text)
            if found is None:
                have = self.vocab.resolve(text).alternatives
                found = self.word_strengths[text] = [
                    max((v * want.asked[k] for k, v in have.items() if k in want.asked), default=0.0)
                    for want in self.wanted]
            strengths.append(found)
        reasons = []
        for j in range(len(self.wanted)):
            best, strength = None, 0.0
            for text, found in zip(skills, strengths):
                if found[j] > strength:
                    best, strength = text, found[j]
            if best is None:
                continue
            reason = self.word_texts.get((best, j))
            if reason is None:
                reason = self.word_texts[best, j] = _skill_reason(self.vocab, self.vocab.resolve(best), self.wanted[j],
                                                                  self.chinese)
            reasons.append(reason)
        return reasons

    def free_text(self, packed: bytes) -> list[str]:
        """'周六 09:00–12:00 有空' for (at most) the first two free spans in the window, once per distinct
        weekly pattern; only the window's few slots are looked at."""
        text = self.spans.get(packed)
        if text is None:
            text = self.spans[packed] = [format_span(*span, chinese=self.chinese)
                                         for span in _free_spans_in(packed, self.slots)[:2]]
        return list(text)


def _free_spans_in(packed: bytes, slots: list[int]) -> list[tuple[int, int, int]]:
    """`matcher.availability.free_spans` of a packed weekly bitmap, given the window's slots (increasing).

    The same runs: free slots of the window, broken where the next one is not adjacent or on another day.
    """
    spans: list[tuple[int, int, int]] = []
    first = last = -2
    for slot in slots:
        if not packed[slot >> 3] >> (7 - (slot & 7)) & 1:
            continue
        if slot == last + 1 and slot // SLOTS_PER_DAY == last // SLOTS_PER_DAY:
            last = slot
            continue
        if first >= 0:
            spans.append(_span(first, last))
        first = last = slot
    if first >= 0:
        spans.append(_span(first, last))
    return spans


def _span(first: int, last: int) -> tuple[int, int, int]:
    """(day, start minute, end minute) of the run of slots first..last of one day."""
    start = (first % SLOTS_PER_DAY) * SLOT_MINUTES
    return first // SLOTS_PER_DAY, start, start + (last - first + 1) * SLOT_MINUTES


def _top(score: NDArray[np.float64], dist: NDArray[np.float64], ids: NDArray[np.int64], limit: int) -> NDArray[np.intp]:
    """Indices of the best `limit` by score, then distance, then id; partitions before sorting."""
    if limit <= 0:
        return np.empty(0, dtype=np.intp)
    if len(score) > limit:
        threshold = np.partition(score, len(score) - limit)[len(score) - limit]
        pool = np.flatnonzero(score >= threshold)  # ties at the threshold all stay in the pool
    else:
        pool = np.arange(len(score))
    return pool[np.lexsort((ids[pool], dist[pool], -score[pool]))][:limit]


def _engagement_reasons(done: int, dropped: int, hours: float, hours_at: float, when: float,
                        chinese: bool) -> list[str]:
    """'completed 5 of 6 services', '12 h served lately', or 'new: no past service'."""
    accepted = done + dropped
    if accepted == 0:
        return ["新志愿者，尚无服务记录" if chinese else "new: no past service"]
    reasons = [f"已完成 {done}/{accepted} 次服务" if chinese else f"completed {done} of {accepted} services"]
    recent = float(engagement.decayed(hours, hours_at, when))
    if recent >= 0.5:
        reasons.append(f"近期服务约 {recent:.0f} 小时" if chinese else f"about {recent:.0f} h served lately")
    else:
        reasons.append("近期未服务" if chinese else "no service lately")
    return reasons


def _skill_reason(vocab: SkillVocabulary, best: Resolved, want: Resolved, chinese: bool) -> str:
    """'有心理咨询 (≈ 心理疏导)': the person's word for a wanted skill, and the skill asked when it reads otherwise."""
    word, asked = _in_language(vocab, best, chinese), _in_language(vocab, want, chinese)
    text = f"有{word}" if chinese else f"has {word}"
    if normalise_term(word) != normalise_term(asked):
        text += f" (≈ {asked})"
    return text


def _in_language(vocab: SkillVocabulary, word: Resolved, chinese: bool) -> str:
    """The word as written, or its skill's name in the answer's language when the word is a known
    name written in the other one (a Chinese answer says 护理 for "nursing")."""
    if is_chinese(word.text) != chinese and word.skill is not None and word.key == word.skill.id:
        return word.skill.zh if chinese else word.skill.en
    return word.text


SHORTFALL = ("too_far_for_task", "too_far_for_them", "inactive", "wrong_role", "not_free", "booked",
             "missing_required")


def shortfall(index: CandidateIndex, request: MatchRequest) -> dict[str, int]:
    """Why people are not candidates: how many each hard filter removes, in the order of SHORTFALL.

    Everyone indexed passes the filters in turn (farther than the request's radius; farther than
    their own; inactive; of another role; not free in the window, or not at all with `partial`;
    booked or asked already; lacking a required skill); each count is of those the filter removes
    among the people the earlier ones kept, and ``eligible`` is who is left. A coordinator sees
    which filter to relax.

    The two distance filters are counted from the grid (`Segment.count_within`, `Segment.reachable`):
    only the people of blocks across the edge of a circle are measured, so it no longer looks at
    every row; the other filters look at the people within reach.
    """
    required = [index.vocabulary_.resolve(s) for s in request.required_skills]
    weights = _window(request.starts_at, request.ends_at)
    span = byte_span(weights)
    radius = min(request.max_distance_km or MAX_RADIUS_KM, MAX_RADIUS_KM)
    role = ROLES.index(request.role) if request.role in ROLES else None
    excluded = np.fromiter(request.exclude_ids, dtype=np.int64) if request.exclude_ids else None
    counts = dict.fromkeys(SHORTFALL, 0)
    eligible = 0
    for seg in index.segments_:
        people = seg.people
        alive = int(np.count_nonzero(seg.alive))
        if alive == 0:
            continue
        in_radius = seg.count_within(request.lat, request.lon, radius)
        rows = seg.reachable(request.lat, request.lon, radius)
        rows = rows[seg.alive[rows]]
        counts["too_far_for_task"] += alive - in_radius
        counts["too_far_for_them"] += in_radius - len(rows)
        by_pattern = coverage_of_bytes(seg.bitmaps[:, span], weights[span.start * 8:span.stop * 8], weights.sum())
        free = by_pattern > 0 if request.partial else by_pattern >= 1 - 1e-9

        def cut(name: str, kept: NDArray[np.bool_]) -> None:
            nonlocal rows
            counts[name] += int(len(rows) - np.count_nonzero(kept))
            rows = rows[kept]

        cut("inactive", people.active[rows])
        if role is not None:
            cut("wrong_role", people.role[rows] == role)
        cut("not_free", free[people.availability[rows]])
        if excluded is not None:
            cut("booked", ~np.isin(people.id[rows], excluded))
        if required:
            cut("missing_required", _has_required(index, seg, rows, required))
        eligible += len(rows)
    return {**counts, "eligible": eligible}
