"""Writes of tasks: posted inside the station's service area before they start, changed under the
booking lock, repeated on other dates; the list with its seat counts."""
import datetime as dt

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from ..auth import policy
from ..common.schemas import LOCAL_TZ, check_window
from ..common.text import msg
from ..errors import Conflict
from ..extensions import db
from ..models import SEATED, Assignment, Station, Task
from ..types import utcnow
from . import engagement, notifications
from .locking import lock_booking
from .stations import check_in_area, place_field

# What people asked to serve were told about a task: a change to any of these is sent to them.
TOLD = ("title", "starts_at", "ends_at", "address", "lat", "lon")
# What a repeated task copies from the one it repeats (the times are moved to each date).
COPIED = ("station_id", "title", "description", "skills", "required_skills", "role", "address", "district", "lat", "lon",
          "headcount", "target_group")


def _in_the_past():
    """Why a task may not start before now (one sentence for posting, moving and repeating)."""
    return msg("is in the past: a task is posted before it starts")


def check_not_past(starts_at, now=None):
    """A task is posted (or moved) before it starts: a 422 on `starts_at` otherwise."""
    if starts_at < (now or utcnow()):
        raise ValidationError({"starts_at": [_in_the_past()]})


def _station(station_id):
    """The referenced station, or a 422 on `station_id`."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise ValidationError({"station_id": [msg("no station with id {station_id}", station_id=station_id)]})
    return station


def listing(actor, filters, now=None):
    """The tasks the actor may list, by station, statuses, and a time range they overlap (a query).

    Without a `status` filter, cancelled tasks and tasks that have ended are left out unless
    `include_past` is true; with one, exactly those statuses are listed (past ones too, unless
    `include_past` is false). A `from`/`to` range lists the ended tasks in it too (not cancelled ones).
    """
    policy.require(actor, *policy.EVERYONE)
    stmt = select(Task).order_by(Task.starts_at, Task.id)
    scope = policy.coordinator_scope(actor)
    if scope is not None:
        stmt = stmt.where(Task.station_id.in_(scope))
    if "station_id" in filters:
        stmt = stmt.where(Task.station_id == filters["station_id"])
    statuses, include_past = filters.get("status"), filters.get("include_past")
    ranged = "from_" in filters or "to" in filters
    if statuses:
        stmt = stmt.where(Task.status.in_(statuses))
    elif not include_past:
        stmt = stmt.where(Task.status != "cancelled")
    if include_past is False or (include_past is None and not statuses and not ranged):
        stmt = stmt.where(Task.ends_at > (now or utcnow()))
    if "from_" in filters:
        stmt = stmt.where(Task.ends_at > filters["from_"])
    if "to" in filters:
        stmt = stmt.where(Task.starts_at < filters["to"])
    return stmt


def with_counts(tasks):
    """Give each task its `accepted` (seats taken: accepted or served) and `invited` (not yet answered)
    counts, from one grouped query over all of them; return the tasks."""
    tasks = list(tasks)
    counts = {}
    if tasks:
        rows = db.session.execute(
            select(Assignment.task_id, Assignment.status, func.count())
            .where(Assignment.task_id.in_(sorted({t.id for t in tasks})), Assignment.status.in_((*SEATED, "invited")))
            .group_by(Assignment.task_id, Assignment.status))
        for task_id, status, count in rows:
            key = "invited" if status == "invited" else "accepted"
            counts[task_id, key] = counts.get((task_id, key), 0) + count
    for task in tasks:
        task.accepted, task.invited = counts.get((task.id, "accepted"), 0), counts.get((task.id, "invited"), 0)
    return tasks


def read(actor, task_id):
    """One task the actor may see, with its counts."""
    return with_counts([policy.visible_task(actor, task_id)])[0]


def create(actor, data):
    """Store a new open task of a station the actor acts for, before it starts; without a place it
    happens at its station."""
    task = add(actor, data)
    db.session.commit()
    return with_counts([task])[0]


def add(actor, data):
    """`create`'s checks and the new task, added and flushed but not committed (a resident's request
    turned into a task commits it with the request's own change)."""
    policy.require_station(actor, data["station_id"])
    station = _station(data["station_id"])
    check_not_past(data["starts_at"])
    if "lat" not in data:
        data.update(lat=station.lat, lon=station.lon, district=data.get("district") or station.district)
    else:
        check_in_area([station], data["lat"], data["lon"], place_field(data))
    task = Task(status="open", **data)
    db.session.add(task)
    db.session.flush()
    return task


def update(actor, task_id, data):
    """Apply a partial update; the window must stay ordered and only cancelling changes status.

    Under the booking lock: the headcount cannot drop below the people already accepted, the
    window cannot move under them, and cancelling releases everyone asked. The place stays inside
    the (new) station's service area. A new start may not be in the past.
    """
    task = policy.station_task(actor, task_id)
    if "starts_at" in data and data["starts_at"] != task.starts_at:
        check_not_past(data["starts_at"])
    if "station_id" in data:
        policy.require_station(actor, data["station_id"])
        _station(data["station_id"])
    tasks, _ = lock_booking([task.id], [])
    task = tasks[task.id]
    starts, ends = data.get("starts_at", task.starts_at), data.get("ends_at", task.ends_at)
    check_window(starts, ends)
    if "lat" in data or "station_id" in data:
        station = db.session.get(Station, data.get("station_id", task.station_id))
        check_in_area([station], data.get("lat", task.lat), data.get("lon", task.lon), place_field(data))
    if data.get("status") == "cancelled" and task.status == "done":
        raise Conflict("status", msg("task is done and cannot be cancelled"))
    accepted = engagement.seats_taken(task.id)
    if data.get("headcount", task.headcount) < accepted:
        raise Conflict("headcount", msg("{accepted} people have accepted or served already; cancel some first",
                                        accepted=accepted))
    if accepted and (starts != task.starts_at or ends != task.ends_at) and data.get("status") != "cancelled":
        raise Conflict("starts_at", msg("{accepted} people have accepted this time; cancel them first, or the task",
                                        accepted=accepted))
    was_cancelled = task.status == "cancelled"
    told = {key: getattr(task, key) for key in TOLD}  # the time and place people on it were told
    for key, value in data.items():
        setattr(task, key, value)
    if task.status == "cancelled" and not was_cancelled:
        notifications.task_changed(task, engagement.live_assignments(task), "task_cancelled")
        engagement.cancel_task_assignments(task)
    elif task.status != "cancelled" and any(getattr(task, key) != value for key, value in told.items()):
        notifications.task_changed(task, engagement.live_assignments(task), "task_changed")
    elif "headcount" in data:
        engagement.refresh_task_status(task)
    db.session.commit()
    return with_counts([task])[0]


def _copy(value):
    """A field's value for a copy: its own list (skills), not the original's."""
    return list(value) if isinstance(value, list) else value


def repeat(actor, task_id, dates, now=None):
    """Copy a task onto other dates (admins, or the station's coordinators): each copy starts at the
    same local time of day, lasts as long, and is open with nobody asked. All or nothing: a date on
    which the copy would start in the past is a 422 on `dates` (by its index in the list)."""
    task = policy.station_task(actor, task_id)
    now = now or utcnow()
    local_start = task.starts_at.astimezone(LOCAL_TZ)
    length = task.ends_at - task.starts_at
    starts = [dt.datetime.combine(day, local_start.time(), tzinfo=LOCAL_TZ) for day in dates]
    past = {i: [_in_the_past()] for i, start in enumerate(starts) if start < now}
    if past:
        raise ValidationError({"dates": past})
    station = db.session.get(Station, task.station_id)  # its service area may have changed since
    check_in_area([station], task.lat, task.lon, "address" if task.address else "location")
    copies = [Task(status="open", starts_at=start.astimezone(dt.UTC), ends_at=(start + length).astimezone(dt.UTC),
                   **{key: _copy(getattr(task, key)) for key in COPIED}) for start in starts]
    db.session.add_all(copies)
    db.session.commit()
    return with_counts(copies)


def close_past(now):
    """Open or filled tasks whose window has passed end (a scheduled job): `done` when someone accepted
    or served, `expired` when nobody did. Return how many of each."""
    ended = select(Task.id).where(Task.status.in_(("open", "filled")), Task.ends_at <= now)
    served = select(Assignment.task_id).where(Assignment.status.in_(SEATED))
    counts = {}
    for status, which in (("done", Task.id.in_(served)), ("expired", Task.id.not_in(served))):
        result = db.session.execute(sql_update(Task).where(Task.id.in_(ended), which).values(status=status, updated_at=now))
        counts[f"tasks_{status}"] = result.rowcount
    db.session.commit()
    return counts
