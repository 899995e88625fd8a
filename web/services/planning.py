"""Propose a batch plan for a station's open tasks, and commit it as invitations.

Each task's open seats (headcount less the people accepted or invited) are filled from the
matcher's candidates for it, so nobody outside its hard filters, nobody booked at that time,
and nobody already asked is proposed. The seats are then assigned exactly (matcher.planning):
each person at most one seat in the plan, the summed score maximal.
"""
from collections import defaultdict

import numpy as np
from marshmallow import ValidationError
from sqlalchemy import func, select

from ..auth import audit, policy
from ..common.text import msg
from ..errors import Conflict
from ..extensions import db
from ..models import SEATED, Assignment, Plan, Task
from . import engagement
from .locking import lock_booking
from .matching import WEIGHTS, match_request, task_fields

MAX_TASKS = 500  # tasks in one plan
MAX_SEATS = 3000  # open seats in one plan: the exact solver's memory grows with seats x candidates


def _tasks(station, data):
    """The tasks to plan, in time order: the given ids (all open, all the station's) or the open ones in a range."""
    if "task_ids" in data:
        tasks = db.session.scalars(select(Task).where(Task.id.in_(data["task_ids"]))).all()
        found = {t.id: t for t in tasks}
        missing = [i for i in data["task_ids"] if i not in found or found[i].station_id != station.id]
        if missing:
            raise ValidationError({"task_ids": [msg("no task of station {station_id} with id {ids}",
                                                    station_id=station.id, ids=', '.join(map(str, missing)))]})
        closed = [t for t in tasks if t.status != "open"]
        if closed:
            which = [msg("task {task_id} is {status}", task_id=t.id, status=t.status) for t in closed]
            raise Conflict("task_ids", msg("not open: {tasks}", tasks=which))
    else:
        tasks = db.session.scalars(
            select(Task).where(Task.station_id == station.id, Task.status == "open",
                               Task.ends_at > data["from_"], Task.starts_at < data["to"])
            .order_by(Task.starts_at, Task.id).limit(MAX_TASKS + 1)).all()
        if len(tasks) > MAX_TASKS:
            raise ValidationError({"to": [msg("more than {max_tasks} open tasks in this range: plan a shorter one",
                                              max_tasks=MAX_TASKS)]})
    return sorted(tasks, key=lambda t: (t.starts_at, t.id))


def _taken(task_ids):
    """Task id -> people invited, accepted or served (their seats are spoken for)."""
    rows = db.session.execute(
        select(Assignment.task_id, func.count())
        .where(Assignment.task_id.in_(task_ids), Assignment.status.in_(("invited", *SEATED)))
        .group_by(Assignment.task_id))
    return dict(rows.all())


def _unavailable(tasks):
    """Task id -> people who cannot be proposed: booked on an overlapping task, or already asked for it."""
    first, last = min(t.starts_at for t in tasks), max(t.ends_at for t in tasks)
    booked = db.session.execute(
        select(Assignment.volunteer_id, Task.starts_at, Task.ends_at).join(Task, Assignment.task_id == Task.id)
        .where(Assignment.status.in_(SEATED), Task.starts_at < last, Task.ends_at > first)).all()
    asked = defaultdict(set)
    for task_id, volunteer_id in db.session.execute(
            select(Assignment.task_id, Assignment.volunteer_id).where(Assignment.task_id.in_([t.id for t in tasks]))):
        asked[task_id].add(volunteer_id)
    out = {}
    for task in tasks:
        clashing = {v for v, starts, ends in booked if starts < task.ends_at and ends > task.starts_at}
        out[task.id] = frozenset(clashing | asked[task.id])
    return out


OPTIONS = ("max_distance_km", "partial", *WEIGHTS)  # the match options a plan keeps, to be solved later


def _plannable(actor, station_id, data):
    """The station's tasks to plan and their open seats, after every check (403, 404, 409, 422)."""
    policy.require_station(actor, station_id)
    station = policy.station_or_404(station_id)
    tasks = _tasks(station, data)
    if not tasks:
        raise ValidationError({"from": [msg("no open tasks of this station in that range")]})
    seats = _open_seats(tasks)
    if sum(seats) > MAX_SEATS:  # the solver's memory grows with seats x candidates
        raise ValidationError({"task_ids" if "task_ids" in data else "to": [
            msg("{seats} open seats: plan at most {max_seats} at once", seats=sum(seats), max_seats=MAX_SEATS)]})
    return station, tasks, seats


def _open_seats(tasks):
    taken = _taken([t.id for t in tasks])
    return [max(t.headcount - taken.get(t.id, 0), 0) for t in tasks]


def _solve(plan, index, tasks, seats, options):
    """Rank candidates for every task and fill `plan` with the exact solution."""
    from matcher.planning import plan_assignments
    from matcher.scoring import rank_candidates

    # A task's candidates beyond the plan's total seats can never be needed (matcher.planning).
    depth = max(sum(seats), 1)
    unavailable = _unavailable(tasks)
    candidates, eligible, places = [], [], {}
    for task, open_seats in zip(tasks, seats):
        if open_seats == 0:
            candidates.append((np.empty(0, dtype=np.int64), np.empty(0)))
            eligible.append(0)
            continue
        request = match_request(task_fields(task), options, exclude_ids=unavailable[task.id], limit=depth)
        ranked = rank_candidates(index, request, places=places)
        candidates.append((ranked.ids[ranked.order], np.round(ranked.scores[ranked.order], 4)))
        eligible.append(len(ranked.ids))
    solved = plan_assignments(seats, candidates)

    planned = []
    for seat in solved.seats:
        task, person = tasks[seat.task], index.person(seat.person_id)
        planned.append({"task_id": task.id, "task_title": task.title, "volunteer_id": person.id, "name": person.name,
                        "district": person.district, "score": round(seat.score, 4)})
    plan.seats = planned
    # The reason is kept in English and as its numbers: it is said in the reader's language when shown.
    plan.unfilled = [{"task_id": task.id, "task_title": task.title, "seats": int(empty), "eligible": eligible[i],
                      "open_seats": seats[i], "reason": why_unfilled(eligible[i], seats[i])}
                     for i, (task, empty) in enumerate(zip(tasks, solved.unfilled)) if empty]
    plan.total, plan.greedy_total = round(solved.total, 4), round(solved.greedy_total, 4)
    plan.task_ids = [t.id for t in tasks]
    plan.status = "proposed"


def propose(actor, index_cache, station_id, data):
    """Rank candidates for every task, solve the plan exactly, store and return it (audited)."""
    station, tasks, seats = _plannable(actor, station_id, data)
    plan = Plan(station_id=station.id, token_id=actor.token_id, total=0, greedy_total=0)
    _solve(plan, index_cache.fresh_index(), tasks, seats, data)
    db.session.add(plan)
    db.session.flush()
    audit.log(actor, "plan", detail={"plan_id": plan.id, "station_id": station.id, "task_ids": plan.task_ids,
                                     "results": len(plan.seats)})
    db.session.commit()
    return plan


def start_proposal(actor, station_id, data):
    """Check the request as `propose` does and store the plan as `proposing`, to be solved on the queue."""
    station, tasks, _ = _plannable(actor, station_id, data)
    plan = Plan(station_id=station.id, status="proposing", token_id=actor.token_id, total=0, greedy_total=0,
                task_ids=[t.id for t in tasks], options={k: data[k] for k in OPTIONS if k in data})
    db.session.add(plan)
    db.session.flush()
    audit.log(actor, "plan", detail={"plan_id": plan.id, "station_id": station.id, "task_ids": plan.task_ids,
                                     "queued": True})
    db.session.commit()
    return plan


def finish_proposal(index_cache, plan_id):
    """The queue task: solve a `proposing` plan over its tasks as they are now (those still open)."""
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.status != "proposing":
        return  # delivered twice, or the station is gone
    tasks = db.session.scalars(select(Task).where(Task.id.in_(plan.task_ids), Task.status == "open")).all()
    tasks = sorted(tasks, key=lambda t: (t.starts_at, t.id))
    if not tasks:
        plan.status, plan.message = "failed", "none of the plan's tasks is open any more"
    else:
        _solve(plan, index_cache.fresh_index(), tasks, _open_seats(tasks), plan.options or {})
    db.session.commit()


def fail_proposal(plan_id, message):
    """A proposal the queue could not run (or finish): failed, saying why."""
    plan = db.session.get(Plan, plan_id)
    if plan is not None and plan.status == "proposing":
        plan.status, plan.message = "failed", message[:500]
        db.session.commit()


def why_unfilled(eligible, seats):
    """Why a task keeps empty seats in a plan, from how many people could serve it and how many seats it had."""
    if eligible == 0:
        return msg("nobody passes the hard filters (place, time, role, required skills) who is not booked or asked already")
    if eligible < seats:
        return msg("only {eligible} eligible people for {seats} open seats", eligible=eligible, seats=seats)
    return msg("the eligible people serve other tasks of this plan better")


def commit(actor, plan_id):
    """Invite everyone the plan proposes, or nobody: 409 naming each seat whose person is no longer available."""
    plan = policy.station_plan(actor, plan_id)
    if plan.status != "proposed":
        raise Conflict("status", msg("plan {plan_id} is {plan_status} already", plan_id=plan.id, plan_status=plan.status))
    task_ids = [s["task_id"] for s in plan.seats]
    tasks, people = lock_booking(task_ids, [s["volunteer_id"] for s in plan.seats])
    taken = _taken(task_ids)
    per_task = defaultdict(int)
    problems = []
    for seat in plan.seats:
        task, person = tasks.get(seat["task_id"]), people.get(seat["volunteer_id"])
        per_task[seat["task_id"]] += 1
        seat_of = {"task": seat["task_id"], "person": seat["volunteer_id"]}
        if task is None or person is None:
            problems.append(msg("task {task} / person {person}: no longer exists", **seat_of))
            continue
        if taken.get(task.id, 0) + per_task[task.id] > task.headcount:
            problems.append(msg("task {task} / person {person}: the task has no open seat left", **seat_of))
            continue
        try:
            engagement.check_invitable(task, person)
        except Conflict as clash:
            problems.append(msg("task {task} / person {person}: {why}", why=clash.message, **seat_of))
            continue
        if db.session.scalar(select(Assignment.id).where(Assignment.task_id == task.id,
                                                         Assignment.volunteer_id == person.id)) is not None:
            problems.append(msg("task {task} / person {person}: already asked meanwhile", **seat_of))
    if problems:
        db.session.rollback()
        raise Conflict("seats", msg("not committed, re-plan: {problems}", problems=problems))
    for seat in plan.seats:
        engagement.invite_person(tasks[seat["task_id"]], seat["volunteer_id"], plan_id=plan.id)
    plan.status = "committed"
    db.session.commit()
    return plan


def assignment_ids(plan):
    """The invitations a committed plan made."""
    return list(db.session.scalars(select(Assignment.id).where(Assignment.plan_id == plan.id).order_by(Assignment.id)))

