"""Plan many tasks at once: give each person at most one seat so the summed score is maximal.

Task ``t`` has ``seats[t]`` open seats and a list of eligible candidates with scores in [0, 1].
The plan is a set of (task, person) pairs, each listed for its task, with no person twice and
no task over its seats, whose summed score is the true maximum; seats may stay empty. The
*greedy* pass, which a coordinator working one task at a time would get, is computed alongside
so the two can be compared.

How the optimum is found
------------------------
Each task is expanded into one row per seat, and every seat row gets a private "empty" column,
so a full matching of the rows always exists and a seat left empty costs nothing. The rows are
matched to the people's columns by ``scipy.sparse.csgraph.min_weight_full_bipartite_matching``
(LAPJVsp) with cost ``2 - score`` for a real pair and ``2`` for the empty option: all costs are
strictly positive, because the solver (like every scipy sparse routine) cannot tell a stored zero
from a missing edge. Minimising the summed cost of a full matching of the ``S`` rows is the same
as maximising the summed score, since the cost is ``2 S - score``.

Before building the graph, each task's list is cut to the candidates that can matter (see
`_prune`): first to its top ``S`` (``S`` = all seats in the plan), then, repeatedly, to its top
``seats[t] +`` the seats of the tasks it still shares someone with. Every cut is lossless: some
optimal plan only uses pairs that survive it.

Why the sparse solver and not ``linear_sum_assignment``
--------------------------------------------------------
Both were measured on 300 tasks with 1-5 seats (~900 seats), a few hundred to ~3,000 candidates
each from 100,000 people, nearby tasks sharing most of their candidates. After pruning, the
tasks mostly form one connected component of ~900 seat rows and a few thousand people, each row
with ~100-300 edges. ``linear_sum_assignment`` then needs the dense ~900 x ~5,000 matrix of that
component, mostly forbidden pairs, and took several times longer than LAPJVsp on the sparse
graph (~1-3 % dense), which only ever looks at real edges. Splitting into components buys the
sparse solver nothing (it works on each component's rows anyway), so the whole plan is one call.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

Candidates = tuple[NDArray[np.int64], NDArray[np.float64]]

_PAIR_COST = 2.0  # cost of a real pair is _PAIR_COST - score: in [1, 2], never zero
_EMPTY_COST = 2.0  # an empty seat is worth a score of 0
_PRUNE_ROUNDS = 4  # rounds of the neighbour cut; later rounds rarely remove much


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


def plan_assignments(seats: Sequence[int], candidates: Sequence[Candidates]) -> Plan:
    """The assignment of people to seats with the largest summed score.

    Parameters
    ----------
    seats : sequence of int, length T
        Open seats of each task (0 allowed).
    candidates : sequence of (ids, scores), length T
        For each task, its eligible people: ``ids`` an int64 array of shape (n_t,), unique within
        the task, and ``scores`` a float64 array of shape (n_t,) in [0, 1]. ``n_t`` may be 0.

    Returns
    -------
    Plan
        The optimal assignments and the greedy pass's result. Among several optimal plans, which
        one is returned is unspecified.

    Raises
    ------
    ValueError
        If the lengths differ, a seat count is negative, a score is outside [0, 1] (or NaN), or
        an id repeats within a task.
    """
    need, lists = _validate(seats, candidates)
    greedy, greedy_total = _greedy(need, lists)
    chosen = _solve(need, lists)
    return Plan(
        seats=chosen,
        total=math.fsum(s.score for s in chosen),
        unfilled=need - _filled(chosen, len(need)),
        greedy_total=greedy_total,
        greedy_unfilled=need - _filled(greedy, len(need)),
    )


def greedy_assignments(seats: Sequence[int], candidates: Sequence[Candidates]) -> tuple[list[PlannedSeat], float]:
    """What filling one task at a time gives: each takes its best people nobody took before.

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
    return _greedy(need, lists)


def _validate(seats: Sequence[int], candidates: Sequence[Candidates]) -> tuple[NDArray[np.intp], list[Candidates]]:
    """Seats as an (T,) array and each task's (ids, scores) as 1-D arrays, or ValueError."""
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
        if not np.all((scores >= 0.0) & (scores <= 1.0)):  # also catches NaN
            raise ValueError(f"task {t}: scores must be in [0, 1]")
        if len(ids) > 1:
            ordered = np.sort(ids)
            if (ordered[1:] == ordered[:-1]).any():
                raise ValueError(f"task {t}: person ids repeat")
        lists.append((ids, scores))
    return need, lists


def _ranked_top(ids: NDArray[np.int64], scores: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """Positions of the best `k` of (n,) candidates in rank order: score down, then id up.

    Partitions before sorting, so the cost grows with n plus k log k, not n log n.
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


def _greedy(need: NDArray[np.intp], lists: list[Candidates]) -> tuple[list[PlannedSeat], float]:
    """The one-task-at-a-time pass on validated input."""
    chosen: list[PlannedSeat] = []
    taken = np.empty(0, dtype=np.int64)
    for t, (ids, scores) in enumerate(lists):
        want = int(need[t])
        if want == 0 or len(ids) == 0:
            continue
        # At most len(taken) of the task's best are gone, so its best want + len(taken) hold
        # every one it can take: no need to rank the whole list.
        top = _ranked_top(ids, scores, want + len(taken))
        top = top[~np.isin(ids[top], taken)][:want]
        chosen.extend(PlannedSeat(t, int(i), float(s)) for i, s in zip(ids[top], scores[top]))
        taken = np.concatenate([taken, ids[top]])
    return chosen, math.fsum(s.score for s in chosen)


def _filled(chosen: list[PlannedSeat], n_tasks: int) -> NDArray[np.intp]:
    """(T,) number of seats taken per task."""
    counts: NDArray[np.intp] = np.bincount(np.array([s.task for s in chosen], dtype=np.intp),
                                           minlength=n_tasks).astype(np.intp)
    return counts


def _prune(need: NDArray[np.intp], lists: list[Candidates]) -> tuple[
        NDArray[np.intp], NDArray[np.intp], NDArray[np.float64], NDArray[np.int64]]:
    """Each task's candidates that can matter, as flat (E,) arrays in rank order within a task.

    Returns ``task``, ``col`` (index into ``people``), ``score`` for the E surviving pairs,
    and ``people`` (P,), the sorted ids of everyone still listed.

    Why the cuts lose nothing (the swap argument). Suppose an optimal plan gives task t a
    candidate c ranked K-th or lower in t's list, where K = seats[t] + the seats of every other
    task that lists any of t's top K. Besides c, t holds at most seats[t] - 1 of its top K, and
    the other tasks hold at most their seats of them, since only tasks listing them can hold
    them: at most K - 1 in all, so one of the top K is free. It scores at least as much as c
    (it ranks above), so giving it c's seat keeps the plan optimal and feasible and has one
    pair fewer outside the cut lists; repeating ends in an optimal plan inside them. The
    first cut takes K = S, the plan's total seats, which needs no neighbours at all (the others
    hold at most S - seats[t]). Then neighbours are counted on the cut lists and the cut
    repeated: each round's lists still hold an optimal plan, so the argument applies to them
    as an instance of their own, and fewer shared people mean fewer neighbours, a smaller K.
    """
    total_seats = int(need.sum())
    tops = [_ranked_top(ids, scores, total_seats if need[t] else 0) for t, (ids, scores) in enumerate(lists)]
    lengths = np.array([len(top) for top in tops], dtype=np.intp)
    task = np.repeat(np.arange(len(lists), dtype=np.intp), lengths)
    if len(task) == 0:
        return task, task.copy(), np.empty(0), np.empty(0, dtype=np.int64)
    flat_ids = np.concatenate([ids[top] for (ids, _), top in zip(lists, tops)])
    score = np.concatenate([scores[top] for (_, scores), top in zip(lists, tops)])
    rank = np.arange(len(task)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    people, col = np.unique(flat_ids, return_inverse=True)

    keep_k = lengths
    for _ in range(_PRUNE_ROUNDS):
        keep = rank < keep_k[task]
        listed = sparse.csr_array((np.ones(int(keep.sum()), dtype=np.int32), (task[keep], col[keep])),
                                  shape=(len(lists), len(people)))
        shares = (listed @ listed.T).tocsr()  # (T, T): > 0 where two tasks list someone in common
        shares.data[:] = 1
        # Seats of neighbours and of the task itself (its diagonal entry, present when it lists
        # anyone) are both part of K; a task listing nobody keeps nothing either way.
        bound = np.minimum(keep_k, shares @ need)
        if np.array_equal(bound, keep_k):
            break
        keep_k = bound
    keep = rank < keep_k[task]
    people_kept, col_kept = np.unique(col[keep], return_inverse=True)
    return task[keep], col_kept.astype(np.intp), score[keep], people[people_kept]


def _solve(need: NDArray[np.intp], lists: list[Candidates]) -> list[PlannedSeat]:
    """The optimal assignments, sorted by (task, -score, person_id)."""
    task, col, score, people = _prune(need, lists)
    if len(task) == 0:
        return []
    n_people = len(people)
    # Only tasks that list someone get seat rows: the others' seats stay empty anyway.
    per_task = np.bincount(task, minlength=len(need))
    rows_of = np.where(per_task > 0, need, 0)
    n_rows = int(rows_of.sum())
    row_task = np.repeat(np.arange(len(need), dtype=np.intp), rows_of)

    # Row r of task t: t's pruned candidates, then its own empty column n_people + r.
    starts = np.concatenate([[0], np.cumsum(per_task)])
    indices, data = [], []
    row = 0
    for t in np.flatnonzero(rows_of):
        k, s = int(per_task[t]), int(rows_of[t])
        block_cols = np.empty((s, k + 1), dtype=np.int32)
        block_cost = np.empty((s, k + 1))
        block_cols[:, :k] = col[starts[t]:starts[t + 1]]
        block_cols[:, k] = n_people + row + np.arange(s)
        block_cost[:, :k] = _PAIR_COST - score[starts[t]:starts[t + 1]]
        block_cost[:, k] = _EMPTY_COST
        indices.append(block_cols.ravel())
        data.append(block_cost.ravel())
        row += s
    indptr = np.concatenate([[0], np.cumsum(per_task[row_task] + 1)])
    graph = sparse.csr_array((np.concatenate(data), np.concatenate(indices), indptr),
                             shape=(n_rows, n_people + n_rows))
    rows, cols = min_weight_full_bipartite_matching(graph)

    real = cols < n_people
    seat_task, seat_col = row_task[rows[real]], cols[real].astype(np.intp)
    # Read each score back from the input rather than as 2 - cost, so it is exactly the input's.
    keys = task.astype(np.int64) * n_people + col
    order = np.argsort(keys)
    where = order[np.searchsorted(keys, seat_task.astype(np.int64) * n_people + seat_col, sorter=order)]
    seat_score, seat_id = score[where], people[seat_col]
    ranked = np.lexsort((seat_id, -seat_score, seat_task))
    return [PlannedSeat(int(seat_task[i]), int(seat_id[i]), float(seat_score[i])) for i in ranked]
