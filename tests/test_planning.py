"""Planning many tasks at once: the optimum against brute force and an unpruned solver, greedy by hand."""
import itertools
import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import linear_sum_assignment

from matcher import planning
from matcher.planning import Plan, PlannedSeat, greedy_assignments, plan_assignments


def cand(pairs):
    """{person id: score} -> the (ids, scores) arrays the planner takes."""
    return np.array(list(pairs), dtype=np.int64), np.array(list(pairs.values()), dtype=np.float64)


def solver(kind):
    """Force the dense (linear_sum_assignment) or the sparse (LAPJVsp) path."""
    return mock.patch.object(planning, "_DENSE_FROM", 0.0 if kind == "dense" else 2.0)


def check_valid(chosen, total, unfilled, seats, candidates):
    """Every constraint of a plan, and that its bookkeeping adds up."""
    listed = [dict(zip(ids.tolist(), scores.tolist())) for ids, scores in candidates]
    people = [s.person_id for s in chosen]
    assert len(people) == len(set(people)), "someone has two seats"
    counts = np.bincount([s.task for s in chosen], minlength=len(seats))
    assert (counts <= np.asarray(seats, dtype=int)).all(), "a task is over its seats"
    for s in chosen:
        assert s.person_id in listed[s.task], "an unlisted pair"
        assert s.score == listed[s.task][s.person_id], "a score not the input's"
    assert chosen == sorted(chosen, key=lambda s: (s.task, -s.score, s.person_id))
    assert total == math.fsum(s.score for s in chosen)
    if unfilled is not None:
        assert unfilled.shape == (len(seats),)
        assert_array_equal(unfilled, np.asarray(seats, dtype=int) - counts)


def check_plan(plan, seats, candidates):
    check_valid(plan.seats, plan.total, plan.unfilled, seats, candidates)
    greedy, greedy_total = greedy_assignments(seats, candidates)
    check_valid(greedy, greedy_total, plan.greedy_unfilled, seats, candidates)
    assert plan.greedy_total == greedy_total
    assert plan.total >= greedy_total - 1e-9


def brute_force(seats, candidates):
    """The best summed score over every feasible plan (tiny instances only)."""
    listed = [dict(zip(ids.tolist(), scores.tolist())) for ids, scores in candidates]

    def best(t, used):
        if t == len(seats):
            return 0.0
        free = [p for p in listed[t] if p not in used]
        return max(
            sum(listed[t][p] for p in group) + best(t + 1, used | set(group))
            for k in range(min(seats[t], len(free)) + 1)
            for group in itertools.combinations(free, k)
        )

    return best(0, frozenset())


def reference_greedy(seats, candidates):
    """Greedy spelled out: tasks in order, best score first, lower id on ties."""
    taken, chosen = set(), []
    for t, (ids, scores) in enumerate(candidates):
        ranked = sorted(zip(ids.tolist(), scores.tolist()), key=lambda p: (-p[1], p[0]))
        picks = [(i, s) for i, s in ranked if i not in taken][:seats[t]]
        taken.update(i for i, _ in picks)
        chosen.extend(PlannedSeat(t, i, s) for i, s in picks)
    return chosen


def reference_optimum(seats, candidates):
    """The optimum without any pruning: one dense assignment of every seat to every person."""
    people = sorted({int(i) for ids, _ in candidates for i in ids})
    col = {p: c for c, p in enumerate(people)}
    rows = [t for t, s in enumerate(seats) for _ in range(s)]
    scores = np.zeros((len(rows), max(len(people), 1)))
    for r, t in enumerate(rows):
        ids, s = candidates[t]
        scores[r, [col[int(i)] for i in ids]] = s
    r, c = linear_sum_assignment(scores, maximize=True)
    return float(scores[r, c].sum())


@st.composite
def small_instances(draw):
    """1-4 tasks, 0-3 seats each, overlapping lists over 0-6 people, scores with many ties."""
    n_people = draw(st.integers(0, 6))
    n_tasks = draw(st.integers(1, 4))
    seats = draw(st.lists(st.integers(0, 3), min_size=n_tasks, max_size=n_tasks))
    score = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0, 1))
    candidates = []
    for _ in range(n_tasks):
        members = draw(st.lists(st.integers(0, n_people - 1), unique=True)) if n_people else []
        scores = [draw(score) for _ in members]
        ids = [100 + 7 * m for m in members]  # ids unlike positions, to catch a mix-up
        candidates.append((np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float64)))
    return seats, candidates


@pytest.mark.parametrize("kind", ["sparse", "dense"])
@settings(max_examples=250, deadline=None)
@given(small_instances())
def test_plan_is_optimal_and_valid_on_small_instances(kind, instance):
    seats, candidates = instance
    with solver(kind):
        plan = plan_assignments(seats, candidates)
    check_plan(plan, seats, candidates)
    assert_allclose(plan.total, brute_force(seats, candidates), rtol=0, atol=1e-9)


@settings(max_examples=250, deadline=None)
@given(small_instances())
def test_greedy_matches_the_spelled_out_pass(instance):
    seats, candidates = instance
    chosen, total = greedy_assignments(seats, candidates)
    expected = reference_greedy(seats, candidates)
    assert chosen == sorted(expected, key=lambda s: (s.task, -s.score, s.person_id))
    assert total == math.fsum(s.score for s in expected)


def overlapping(rng, n_tasks, n_people, max_seats=3, coarse=False):
    """Tasks on a line listing people near them, so neighbours share most of their lists."""
    where = rng.uniform(0, 1, n_people)
    ids = rng.choice(10 * n_people, n_people, replace=False).astype(np.int64)
    seats = rng.integers(0, max_seats + 1, n_tasks).tolist()
    candidates = []
    for at in rng.uniform(0, 1, n_tasks):
        near = np.flatnonzero(np.abs(where - at) < rng.uniform(0.05, 0.3))
        scores = np.clip(1 - np.abs(where[near] - at) * 2 + rng.normal(0, 0.1, len(near)), 0, 1)
        candidates.append((ids[near], np.round(scores, 1) if coarse else scores))
    return seats, candidates


@pytest.mark.parametrize("seed", range(12))
def test_pruning_loses_nothing_against_an_unpruned_solver(seed):
    rng = np.random.default_rng(seed)
    seats, candidates = overlapping(rng, n_tasks=int(rng.integers(5, 40)), n_people=int(rng.integers(10, 150)),
                                    coarse=seed % 2 == 0)
    expected = reference_optimum(seats, candidates)
    for kind in ("sparse", "dense"):
        with solver(kind):
            plan = plan_assignments(seats, candidates)
        check_plan(plan, seats, candidates)
        assert_allclose(plan.total, expected, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_pruning_loses_nothing_with_more_than_64_tasks(seed):
    rng = np.random.default_rng(100 + seed)
    seats, candidates = overlapping(rng, n_tasks=150, n_people=400, max_seats=2)
    plan = plan_assignments(seats, candidates)
    check_plan(plan, seats, candidates)
    assert_allclose(plan.total, reference_optimum(seats, candidates), rtol=1e-12, atol=1e-9)


def test_shared_seats_counts_every_task_sharing_someone():
    rng = np.random.default_rng(5)
    n_tasks, n_people = 150, 300  # tasks in three 64-bit blocks
    need = rng.integers(0, 4, n_tasks).astype(np.intp)
    lists = [rng.choice(n_people, int(rng.integers(0, 6)), replace=False) for _ in range(n_tasks)]
    task = np.repeat(np.arange(n_tasks, dtype=np.intp), [len(members) for members in lists])
    col = np.concatenate(lists).astype(np.intp)
    expected = [sum(int(need[u]) for u in range(n_tasks) if set(lists[u]) & set(lists[t])) for t in range(n_tasks)]
    assert_array_equal(planning._shared_seats(need, task, col, n_people), expected)


def test_plan_beats_greedy_when_the_first_task_takes_the_only_candidate_of_the_second():
    seats = [1, 1]
    candidates = [cand({1: 0.9, 2: 0.8}), cand({1: 0.7})]
    plan = plan_assignments(seats, candidates)
    assert plan.seats == [PlannedSeat(0, 2, 0.8), PlannedSeat(1, 1, 0.7)]
    assert_allclose(plan.total, 1.5)
    assert_array_equal(plan.unfilled, [0, 0])
    assert plan.greedy_total == 0.9
    assert_array_equal(plan.greedy_unfilled, [0, 1])
    assert greedy_assignments(seats, candidates) == ([PlannedSeat(0, 1, 0.9)], 0.9)


def test_plan_beats_greedy_with_several_seats():
    # Task 0 (2 seats) likes 1, 2, 3; task 1 (2 seats) can only use 1 and 2, a bit less.
    seats = [2, 2]
    candidates = [cand({1: 1.0, 2: 0.9, 3: 0.8}), cand({1: 0.85, 2: 0.85})]
    plan = plan_assignments(seats, candidates)
    # Greedy: 1 and 2 for task 0 (1.9), nobody left for task 1. Best: 1 and 3 for task 0, 2 for
    # task 1 (1.0 + 0.8 + 0.85 = 2.65), against 2.55 (2 and 3 for task 0) and 2.5 (3 for task 0).
    assert plan.seats == [PlannedSeat(0, 1, 1.0), PlannedSeat(0, 3, 0.8), PlannedSeat(1, 2, 0.85)]
    assert_allclose(plan.total, 2.65)
    assert_array_equal(plan.unfilled, [0, 1])
    assert_allclose(plan.greedy_total, 1.9)
    assert_array_equal(plan.greedy_unfilled, [0, 2])


def test_greedy_by_hand_with_ties_by_lower_id():
    seats = [2, 2, 0, 2, 5]
    candidates = [
        cand({5: 0.5, 3: 0.5, 9: 0.7}),  # 9, then 3 before 5 on the tie
        cand({3: 1.0, 5: 0.2, 4: 0.2, 8: 0.1}),  # 3 is gone: 4 before 5, both at 0.2
        cand({8: 1.0}),  # no seats: takes nobody
        cand({}),  # nobody listed: both seats stay empty
        cand({8: 0.3, 5: 0.9}),  # more seats than candidates left: 8 only (5 is gone)
    ]
    chosen, total = greedy_assignments(seats, candidates)
    assert chosen == [PlannedSeat(0, 9, 0.7), PlannedSeat(0, 3, 0.5), PlannedSeat(1, 4, 0.2),
                      PlannedSeat(1, 5, 0.2), PlannedSeat(4, 8, 0.3)]
    assert total == math.fsum([0.7, 0.5, 0.2, 0.2, 0.3])
    plan = plan_assignments(seats, candidates)
    assert_array_equal(plan.greedy_unfilled, [0, 0, 0, 2, 4])
    # The best plan: 9 to task 0 (0.7), 3 and 4 to task 1 (1.2), 5 and 8 to task 4 (1.2): 3.1,
    # against 2.7 when task 0 also takes 5, and greedy's 1.9.
    assert plan.seats == [PlannedSeat(0, 9, 0.7), PlannedSeat(1, 3, 1.0), PlannedSeat(1, 4, 0.2),
                          PlannedSeat(4, 5, 0.9), PlannedSeat(4, 8, 0.3)]
    assert_allclose(plan.total, 3.1)
    assert_array_equal(plan.unfilled, [1, 0, 0, 2, 3])
    check_plan(plan, seats, candidates)


def test_no_tasks():
    plan = plan_assignments([], [])
    assert plan.seats == [] and plan.total == 0.0 and plan.greedy_total == 0.0
    assert plan.unfilled.shape == (0,) and plan.greedy_unfilled.shape == (0,)
    assert greedy_assignments([], []) == ([], 0.0)


def test_tasks_without_seats_or_candidates():
    seats = [0, 3, 0]
    candidates = [cand({1: 1.0}), cand({}), cand({})]
    plan = plan_assignments(seats, candidates)
    assert plan == Plan([], 0.0, plan.unfilled, 0.0, plan.greedy_unfilled)
    assert_array_equal(plan.unfilled, [0, 3, 0])
    assert_array_equal(plan.greedy_unfilled, [0, 3, 0])
    assert plan.unfilled.dtype == np.intp


def test_more_seats_than_candidates_and_zero_scores():
    seats = [4, 1]
    candidates = [cand({1: 0.6, 2: 0.0}), cand({1: 0.5, 3: 0.2})]
    plan = plan_assignments(seats, candidates)
    check_plan(plan, seats, candidates)
    assert_allclose(plan.total, 0.8)  # 1 to task 0 (0.6), 3 to task 1 (0.2); 2 adds nothing
    assert {(s.task, s.person_id) for s in plan.seats if s.score > 0} == {(0, 1), (1, 3)}
    assert plan.unfilled[1] == 0 and plan.unfilled[0] in (2, 3)


def test_inputs_may_be_lists_and_numpy_integers():
    plan = plan_assignments(np.array([1, 1]), [([7, 8], [0.5, 0.25]), (np.array([7]), np.array([1.0]))])
    assert plan.seats == [PlannedSeat(0, 8, 0.25), PlannedSeat(1, 7, 1.0)]
    assert all(type(s.person_id) is int and type(s.score) is float for s in plan.seats)


@pytest.mark.parametrize("function", [plan_assignments, greedy_assignments])
@pytest.mark.parametrize("seats, candidates, message", [
    ([1, 1], [cand({1: 0.5})], "seat counts"),
    ([1, -1], [cand({1: 0.5}), cand({2: 0.5})], "negative"),
    ([1], [cand({1: 1.5})], r"\[0, 1\]"),
    ([1], [cand({1: -0.1})], r"\[0, 1\]"),
    ([1], [cand({1: float("nan")})], r"\[0, 1\]"),
    ([1], [(np.array([1, 2, 1]), np.array([0.1, 0.2, 0.3]))], "repeat"),
    ([1], [(np.array([1, 2]), np.array([0.1]))], "same length"),
    ([1], [(np.array([[1]]), np.array([[0.1]]))], "1-D"),
])
def test_bad_input_raises(function, seats, candidates, message):
    with pytest.raises(ValueError, match=message):
        function(seats, candidates)


def test_fractional_seat_count_is_refused():
    with pytest.raises(TypeError):
        plan_assignments([1.5], [cand({1: 0.5})])


def test_large_instance_is_valid_and_not_worse_than_greedy():
    rng = np.random.default_rng(2026)
    n_people, n_tasks = 20_000, 300
    xy = rng.uniform(0, 30, (n_people, 2))
    ids = rng.choice(10 * n_people, n_people, replace=False).astype(np.int64)
    skill = rng.uniform(0, 1, n_people)
    seats = rng.integers(1, 6, n_tasks).tolist()
    candidates = []
    for at in rng.normal(15, 4, (n_tasks, 2)):  # crowded towards the middle: lists overlap a lot
        radius = rng.uniform(2, 6)
        dist = np.hypot(*(xy - at).T)
        near = np.flatnonzero(dist < radius)
        scores = 0.5 * (1 - dist[near] / radius) + 0.5 * np.clip(skill[near] + rng.normal(0, 0.2, len(near)), 0, 1)
        candidates.append((ids[near], np.round(scores, 4)))
    assert 800 <= sum(seats) <= 1000
    plan = plan_assignments(seats, candidates)
    check_plan(plan, seats, candidates)
    assert plan.total > plan.greedy_total  # crowded tasks: greedy leaves something on the table
