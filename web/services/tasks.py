"""Writes of tasks: posted inside the station's service area, changed under the booking lock."""
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy import update as sql_update

from ..auth import policy
from ..common.schemas import check_window
from ..errors import Conflict
from ..extensions import db
from ..models import SEATED, Assignment, Station, Task
from . import engagement, notifications
from .locking import lock_booking
from .stations import check_in_area, place_field

# What people asked to serve were told about a task: a change to any of these is sent to them.
TOLD = ("title", "starts_at", "ends_at", "address", "lat", "lon")


def _station(station_id):
    """The referenced station, or a 422 on `station_id`."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise ValidationError({"station_id": [f"no station with id {station_id}"]})
    return station


def listing(actor, filters):
    """The tasks the actor may list, by station, status, and a time range they overlap (a query)."""
    policy.require(actor, *policy.EVERYONE)
    stmt = select(Task).order_by(Task.starts_at, Task.id)
    scope = policy.coordinator_scope(actor)
    if scope is not None:
        stmt = stmt.where(Task.station_id.in_(scope))
    if "station_id" in filters:
        stmt = stmt.where(Task.station_id == filters["station_id"])
    if "status" in filters:
        stmt = stmt.where(Task.status == filters["status"])
    if "from_" in filters:
        stmt = stmt.where(Task.ends_at > filters["from_"])
    if "to" in filters:
        stmt = stmt.where(Task.starts_at < filters["to"])
    return stmt


def create(actor, data):
    """Store a new open task of a station the actor acts for; without a place it happens at its station."""
    policy.require_station(actor, data["station_id"])
    station = _station(data["station_id"])
    if "lat" not in data:
        data.update(lat=station.lat, lon=station.lon, district=data.get("district") or station.district)
    else:
        check_in_area([station], data["lat"], data["lon"], place_field(data))
    task = Task(status="open", **data)
    db.session.add(task)
    db.session.commit()
    return task


def update(actor, task_id, data):
    """Apply a partial update; the window must stay ordered and only cancelling changes status.

    Under the booking lock: the headcount cannot drop below the people already accepted, the
    window cannot move under them, and cancelling releases everyone asked. The place stays inside
    the (new) station's service area.
    """
    task = policy.station_task(actor, task_id)
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
        raise Conflict("status", "task is done and cannot be cancelled")
    accepted = engagement.seats_taken(task.id)
    if data.get("headcount", task.headcount) < accepted:
        raise Conflict("headcount", f"{accepted} people have accepted or served already; cancel some first")
    if accepted and (starts != task.starts_at or ends != task.ends_at) and data.get("status") != "cancelled":
        raise Conflict("starts_at", f"{accepted} people have accepted this time; cancel them first, or the task")
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
    return task


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
