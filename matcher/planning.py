"""Plan many tasks at once: give each person at most one seat so the summed score is maximal.

Task ``t`` has ``seats[t]`` open seats and a list of eligible candidates with scores in [0, 1].
A plan is a set of (task, person) pairs, each listed for its task, with nobody twice and no task
over its seats; seats may stay empty. `plan_assignments` returns a plan with the largest summed
score (exact, not a heuristic) together with the *greedy* pass, what a coordinator filling one
task at a time would get, so the two can be compared.

How the optimum is found
------------------------
Each task is expanded into one row per seat, and every seat row gets a private "empty" column,
so a full matching of the rows always exists and leaving a seat empty is always possible. The
rows are matched to people by ``scipy.sparse.csgraph.min_weight_full_bipartite_matching``
(LAPJVsp) with cost ``2 - score`` for a real pair and ``2`` for the empty option. The costs are
strictly positive because the solver, like every scipy sparse routine, cannot tell a stored zero
from a missing edge. A full matching of the ``S`` rows costs ``2 S - (summed score)``, so the
cheapest is the best plan.

Before the graph is built, each task's list is cut to the candidates that can matter (see
`_prune`): first to its top ``S`` (``S`` = all seats of the plan), then, over a few rounds, to
its top ``seats[t] +`` the seats of the tasks it still shares someone with. No cut loses the
optimum. On nearby tasks with big shared pools this takes the graph from ~700,000 seat-person
edges to a few thousand (tasks spread out) or ~300,000 (tasks crowded together).

Which solver
------------
Both SciPy solvers were measured on 300 tasks with 1-5 seats (~880 seats), each listing ~300 to
~3,000 of 100,000 people, nearby tasks sharing many (2 cores). When the tasks are spread over a
city, the cuts leave ~1,000 pairs: LAPJVsp took 2 ms, ``linear_sum_assignment`` on each
connected component's dense matrix (unlisted pairs scoring 0) 6 ms. When they are crowded
together, one component of ~880 seat rows by ~8,000 people is left, ~4 % of its pairs listed:
LAPJVsp took 13 ms, the dense solver 90-160 ms, as LAPJVsp only ever looks at listed pairs. So
the sparse solver does the work, in one call for the whole plan: its searches already stay
within a component, so splitting buys nothing. Only when most (seat, person) pairs are listed
was the dense solver faster: with every task listing the same 3,000 people and ranking them
alike, the cuts leave ~940 rows by ~1,000 people, which it solved in 0.6 s against 1.0 s. It
takes over from 75 % listed (at 50 % it was still the slower, 0.29 s against 0.17 s).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

Candidates = tuple[NDArray[np.int64], NDArray[np.float64]]

_PAIR_COST = 2.0  # a real pair costs _PAIR_COST - score, in [1, 2]: never a zero the solver would drop
_EMPTY_COST = 2.0  # an empty seat is worth a score of 0
_DENSE_FROM = 0.75  # from this share of (seat, person) pairs listed, the dense solver is faster ...
_DENSE_MAX_CELLS = 1 << 22  # ... if its (rows, people) matrix is not too big (32 MB of float64)
_PRUNE_ROUNDS = 6  # at most this many neighbour cuts ...
_PRUNE_GAIN = 0.9  # ... and only while a cut keeps less than this share of the pairs


@dataclass(frozen=True)
class PlannedSeat:
    """One person given a seat of one task (`task` indexes the input lists)."""

    task: int
    person_id: int
    score: float


@dataclass(frozen=True)
class Plan:
    """An optimal plan, with the greedy pass for comparison.

    Attributes
    ----------
    seats : list of PlannedSeat
        The assignments, sorted by task, then best score first, then lower person id.
    total : float
        Sum of the scores of `seats` (the maximum possible).
    unfilled : ndarray of intp, shape (T,)
        Seats each task leaves empty in the plan.
    greedy_total : float
        Sum of the scores of the greedy pass (see `greedy_assignments`); never above `total`.
    greedy_unfilled : ndarray of intp, shape (T,)
        Seats each task leaves empty in the greedy pass.
    """

    seats: list[PlannedSeat]
    total: float
    unfilled: NDArray[np.intp]
    greedy_total: float
    greedy_unfilled: NDArray[np.intp]


@dataclass(frozen=True)
class _Pairs:
    """Listed (task, person) pairs as flat (E,) arrays, grouped by task in task order.

    ``col`` indexes ``people`` (P,), the sorted distinct ids of everyone listed.
    """

    task: NDArray[np.intp]
    col: NDArray[np.intp]
    score: NDArray[np.float64]
    people: NDArray[np.int64]


def plan_assignments(seats: Sequence[int], candidates: Sequence[Candidates]) -> Plan:
    """The assignment of people to seats with the largest summed score.

    Parameters
    ----------
    seats : sequence of int, length T
        Open seats of each task (0 allowed).
    candidates : sequence of (ids, scores), length T
        For each task its eligible people: ``ids`` an int64 array of shape (n_t,), unique within
        the task, and ``scores`` a float64 array of shape (n_t,) in [0, 1]. ``n_t`` may be 0.

    Returns
    -------
    Plan
        The optimal assignments and the greedy pass's result. Which of several optimal plans is
        returned is unspecified; a candidate scoring 0 may or may not fill a seat.

    Raises
    ------
    ValueError
        If the lengths differ, a seat count is negative, a score is outside [0, 1] (or NaN), or
        an id repeats within a task.
    """
    need, lists = _validate(seats, candidates)
    pairs = _shortlists(need, lists)
    greedy = _greedy(need, pairs)
    chosen = _optimal(need, _prune(need, pairs))
    return Plan(
        seats=chosen,
        total=math.fsum(s.score for s in chosen),
        unfilled=need - _filled(chosen, len(need)),
        greedy_total=math.fsum(s.score for s in greedy),
        greedy_unfilled=need - _filled(greedy, len(need)),
    )


def greedy_assignments(seats: Sequence[int], candidates: Sequence[Candidates]) -> tuple[list[PlannedSeat], float]:
    """What filling one task at a time gives: each task takes its best people nobody took before.

    Tasks go in the given order; each takes its highest-scoring candidates not already taken
    (ties by lower id), up to its seats. Same parameters and errors as `plan_assignments`.

    Returns
    -------
    seats : list of PlannedSeat
        Sorted by task, then best score first, then lower person id.
    total : float
        Their summed score.
    """
    need, lists = _validate(seats, candidates)
    chosen = _greedy(need, _shortlists(need, lists))
    return chosen, math.fsum(s.score for s in chosen)


def _validate(seats: Sequence[int], candidates: Sequence[Candidates]) -> tuple[NDArray[np.intp], list[Candidates]]:
    """Seats as a (T,) array and each task's (ids, scores) as 1-D arrays, or ValueError."""
    if len(seats) != len(candidates):
        raise ValueError(f"{len(seats)} seat counts for {len(candidates)} candidate lists")
    need = np.array([operator.index(s) for s in seats], dtype=np.intp)
    if (need < 0).any():
        raise ValueError(f"task {int(np.flatnonzero(need < 0)[0])} has a negative number of seats")
    lists: list[Candidates] = []
    for t, (raw_ids, raw_scores) in enumerate(candidates):
        ids = np.asarray(raw_ids, dtype=np.int64)
        scores = np.asarray(raw_scores, dtype=np.float64)
        if ids.ndim != 1 or scores.shape != ids.shape:
            raise ValueError(f"task {t}: ids and scores must be 1-D arrays of the same length")
        if not np.all((scores >= 0.0) & (scores <= 1.0)):  # NaN fails both comparisons
            raise ValueError(f"task {t}: scores must be in [0, 1]")
        if len(ids) > 1:
            ordered = np.sort(ids)
            if (ordered[1:] == ordered[:-1]).any():
                raise ValueError(f"task {t}: a person id repeats")
        lists.append((ids, scores))
    return need, lists


def _ranked_top(ids: NDArray[np.int64], scores: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Positions of the best `k` of (n,) candidates in rank order: score down, then id up.

    Partitions before sorting, so the cost grows with n + k log k rather than n log n.
    """
    n = len(scores)
    if k <= 0 or n == 0:
        return np.empty(0, dtype=np.intp)
    if n > k:
        threshold = np.partition(scores, n - k)[n - k]
        pool = np.flatnonzero(scores >= threshold)  # ties at the threshold all stay, for the id order
    else:
        pool = np.arange(n)
    ranked: NDArray[np.intp] = pool[np.lexsort((ids[pool], -scores[pool]))][:k]
    return ranked


def _top_set(scores: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Positions of the best `k` of (n,) scores and of any tied with the k-th, in input order."""
    n = len(scores)
    if k <= 0 or n == 0:
        return np.empty(0, dtype=np.intp)
    if n <= k:
        return np.arange(n)
    top: NDArray[np.intp] = np.flatnonzero(scores >= np.partition(scores, n - k)[n - k])
    return top


def _shortlists(need: NDArray[np.intp], lists: list[Candidates]) -> _Pairs:
    """Each task's best S candidates, ties at the S-th score included, in no particular order.

    S is the number of seats in the whole plan; a task without seats keeps nobody. Nobody else
    can matter to either pass: the greedy pass reaches task t after the others took at most
    S - seats[t] people, so t's top S hold everyone it takes; for the optimum, see `_prune`.
    """
    total_seats = int(need.sum())
    tops = [_top_set(scores, total_seats if need[t] else 0) for t, (_, scores) in enumerate(lists)]
    lengths = np.array([len(top) for top in tops], dtype=np.intp)
    task = np.repeat(np.arange(len(lists), dtype=np.intp), lengths)
    if len(task) == 0:
        return _Pairs(task, task.copy(), np.empty(0), np.empty(0, dtype=np.int64))
    ids = np.concatenate([ids[top] for (ids, _), top in zip(lists, tops)])
    score = np.concatenate([scores[top] for (_, scores), top in zip(lists, tops)])
    # The same as np.unique(ids, return_inverse=True), which spends longer on a stable sort.
    order = np.argsort(ids)
    ordered = ids[order]
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    col = np.empty(len(ids), dtype=np.intp)
    col[order] = np.cumsum(first) - 1
    return _Pairs(task, col, score, ordered[first])


def _greedy(need: NDArray[np.intp], pairs: _Pairs) -> list[PlannedSeat]:
    """The one-task-at-a-time pass on `_shortlists`, sorted by (task, -score, person_id)."""
    taken = np.zeros(len(pairs.people), dtype=bool)
    bounds = np.searchsorted(pairs.task, np.arange(len(need) + 1))
    chosen: list[PlannedSeat] = []
    for t in np.flatnonzero(need):
        cols, scores = pairs.col[bounds[t]:bounds[t + 1]], pairs.score[bounds[t]:bounds[t + 1]]
        gone = taken[cols]
        # Only people already taken are skipped, gone.sum() of them on this list, so its best
        # seats + gone.sum() hold everyone it takes: rank just those.
        top = _ranked_top(pairs.people[cols], scores, int(need[t]) + int(gone.sum()))
        top = top[~gone[top]][:need[t]]
        taken[cols[top]] = True
        chosen.extend(PlannedSeat(int(t), int(pairs.people[c]), float(s)) for c, s in zip(cols[top], scores[top]))
    return chosen


def _filled(chosen: list[PlannedSeat], n_tasks: int) -> NDArray[np.intp]:
    """(T,) number of seats taken per task."""
    tasks = np.array([s.task for s in chosen], dtype=np.intp)
    counts: NDArray[np.intp] = np.bincount(tasks, minlength=n_tasks).astype(np.intp)
    return counts


def _shared_seats(need: NDArray[np.intp], task: NDArray[np.intp], col: NDArray[np.intp], n_people: int) -> NDArray[np.intp]:
    """(T,) seats of all tasks sharing a listed person with each task, its own seats included.

    ``task`` (E,) is sorted and ``col`` (E,) indexes people. Tasks go 64 at a time as the bits of
    one word per person, OR-ed over each task's list: memory and time grow with E per 64 tasks,
    where a sparse (T, P) @ (P, T) product grows with the square of how many tasks list a person.
    """
    out = np.zeros(len(need), dtype=np.intp)
    if len(task) == 0:
        return out
    starts = np.flatnonzero(np.concatenate([[True], task[1:] != task[:-1]]))
    owners = task[starts]  # the tasks that list anyone; reduceat needs non-empty runs
    bit = np.left_shift(np.uint64(1), (task % 64).astype(np.uint64))
    for block in range(0, len(need), 64):
        lo, hi = np.searchsorted(task, [block, block + 64])
        if lo == hi:
            continue
        members = np.zeros(n_people, dtype=np.uint64)  # bit j: task block + j lists this person
        np.bitwise_or.at(members, col[lo:hi], bit[lo:hi])
        words = np.bitwise_or.reduceat(members[col], starts).astype("<u8")
        flags = np.unpackbits(words.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
        width = min(64, len(need) - block)
        out[owners] += flags[:, :width] @ need[block:block + width]
    return out


def _prune(need: NDArray[np.intp], pairs: _Pairs) -> _Pairs:
    """Cut each task's shortlist to candidates enough for an optimal plan, best first per task.

    Why no cut loses the optimum (a swap argument). Say an optimal plan seats candidate c at
    task t, and c is outside t's top K, where K = seats[t] + the seats of every other task
    listing someone of t's top K. Besides c, t holds at most seats[t] - 1 of its top K and
    any other task at most its seats of them, and only tasks listing them can: at most K - 1
    in all, so one of the top K is free. It scores at least as much as c, so giving it c's
    seat keeps the plan feasible and optimal and leaves one pair fewer outside the cut lists;
    repeating ends in an optimal plan within them. `_shortlists` made the first cut, K = S
    (the others hold at most S - seats[t]), which needs no neighbours. Each round here counts
    t's neighbours on the lists cut so far and cuts again: those lists still hold an optimal
    plan, so the argument applies to them as an instance of their own, and shorter lists
    share fewer people, so K keeps shrinking. Neighbours are counted over t's whole current
    list, not just its top K, which can only make K larger. Ties at the K-th score may go
    either way: the argument needs the kept ones to score at least as much, nothing more.
    """
    bound = _shared_seats(need, pairs.task, pairs.col, len(pairs.people))
    # The shortlists are unordered: rank each one's top K now, then cut ranked prefixes.
    bounds = np.searchsorted(pairs.task, np.arange(len(need) + 1))
    picks = [bounds[t] + _ranked_top(pairs.people[pairs.col[bounds[t]:bounds[t + 1]]],
                                     pairs.score[bounds[t]:bounds[t + 1]], int(bound[t]))
             for t in range(len(need))]
    keep_k = np.array([len(pick) for pick in picks], dtype=np.intp)
    ranked = np.concatenate([np.empty(0, dtype=np.intp), *picks])
    task, col, score = pairs.task[ranked], pairs.col[ranked], pairs.score[ranked]
    rank = np.arange(len(task)) - np.searchsorted(task, task)  # place within its task's list
    kept = len(task)
    for _ in range(_PRUNE_ROUNDS - 1):
        if kept >= _PRUNE_GAIN * len(pairs.task):
            break
        keep = rank < keep_k[task]
        keep_k = np.minimum(keep_k, _shared_seats(need, task[keep], col[keep], len(pairs.people)))
        before, kept = kept, int(keep_k.sum())
        if kept >= _PRUNE_GAIN * before:
            break
    keep = rank < keep_k[task]
    # Renumber the people still listed, so the solver's graph has no empty columns.
    listed = np.zeros(len(pairs.people), dtype=bool)
    listed[col[keep]] = True
    renumber = np.cumsum(listed) - 1
    return _Pairs(task[keep], renumber[col[keep]], score[keep], pairs.people[listed])


def _optimal(need: NDArray[np.intp], pairs: _Pairs) -> list[PlannedSeat]:
    """An optimal plan from lossless shortlists (`_prune`), sorted by (task, -score, person_id)."""
    per_task = np.bincount(pairs.task, minlength=len(need))
    rows_of = np.where(per_task > 0, need, 0)  # a task listing nobody gets no rows: its seats stay empty
    n_rows, n_people = int(rows_of.sum()), len(pairs.people)
    if n_rows == 0:
        return []
    cells = n_rows * n_people
    if cells <= _DENSE_MAX_CELLS and int(rows_of @ per_task) >= _DENSE_FROM * cells:
        seat_task, seat_col, seat_score = _solve_dense(rows_of, pairs)
    else:
        seat_task, seat_col, seat_score = _solve_sparse(rows_of, pairs)
    seat_id = pairs.people[seat_col]
    ranked = np.lexsort((seat_id, -seat_score, seat_task))
    return [PlannedSeat(int(seat_task[i]), int(seat_id[i]), float(seat_score[i])) for i in ranked]


_Seats = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]  # (task, col, score) per filled seat


def _solve_sparse(rows_of: NDArray[np.intp], pairs: _Pairs) -> _Seats:
    """The filled seats of an optimal plan by LAPJVsp on the (rows, people + rows) cost graph."""
    n_rows, n_people = int(rows_of.sum()), len(pairs.people)
    bounds = np.searchsorted(pairs.task, np.arange(len(rows_of) + 1))
    first_row = np.cumsum(rows_of) - rows_of
    # Row r of task t: t's candidates, then its private empty column n_people + r. The seats of
    # a task are alike, so each task's rows are one (seats, k + 1) block.
    indices, costs = [], []
    for t in np.flatnonzero(rows_of):
        lo, hi, s = bounds[t], bounds[t + 1], int(rows_of[t])
        block_cols = np.empty((s, hi - lo + 1), dtype=np.int64)
        block_cost = np.empty((s, hi - lo + 1))
        block_cols[:, :-1] = pairs.col[lo:hi]
        block_cols[:, -1] = n_people + first_row[t] + np.arange(s)
        block_cost[:, :-1] = _PAIR_COST - pairs.score[lo:hi]
        block_cost[:, -1] = _EMPTY_COST
        indices.append(block_cols.ravel())
        costs.append(block_cost.ravel())
    row_task = np.repeat(np.arange(len(rows_of), dtype=np.intp), rows_of)
    indptr = np.concatenate([[0], np.cumsum(bounds[row_task + 1] - bounds[row_task] + 1)])
    graph = sparse.csr_array((np.concatenate(costs), np.concatenate(indices), indptr),
                             shape=(n_rows, n_people + n_rows))
    rows, cols = min_weight_full_bipartite_matching(graph)

    real = cols < n_people
    seat_task, seat_col = row_task[rows[real]], cols[real].astype(np.intp)
    # Read each score back from the input, not as 2 - cost, so it is exactly the input's value.
    keys = pairs.task.astype(np.int64) * n_people + pairs.col
    seat_keys = seat_task.astype(np.int64) * n_people + seat_col
    hit = np.isin(keys, seat_keys)
    score_of = dict(zip(keys[hit].tolist(), pairs.score[hit].tolist()))
    return seat_task, seat_col, np.array([score_of[k] for k in seat_keys.tolist()], dtype=np.float64)


def _solve_dense(rows_of: NDArray[np.intp], pairs: _Pairs) -> _Seats:
    """The filled seats of an optimal plan by `linear_sum_assignment` on the (rows, people) scores.

    An unlisted pair scores 0 like an empty seat, so a full assignment of the dense matrix
    is as good as the best plan, which is it without its unlisted pairs.
    """
    n_rows, n_people = int(rows_of.sum()), len(pairs.people)
    bounds = np.searchsorted(pairs.task, np.arange(len(rows_of) + 1))
    first_row = np.cumsum(rows_of) - rows_of
    scores = np.zeros((n_rows, n_people))
    listed = np.zeros((n_rows, n_people), dtype=bool)
    for t in np.flatnonzero(rows_of):
        lo, hi, s = bounds[t], bounds[t + 1], int(rows_of[t])
        block = slice(first_row[t], first_row[t] + s)
        scores[block, pairs.col[lo:hi]] = pairs.score[lo:hi]
        listed[block, pairs.col[lo:hi]] = True
    rows, cols = linear_sum_assignment(scores, maximize=True)
    real = listed[rows, cols]
    row_task = np.repeat(np.arange(len(rows_of), dtype=np.intp), rows_of)
    return row_task[rows[real]], cols[real].astype(np.intp), scores[rows[real], cols[real]]
