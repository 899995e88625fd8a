"""Writes of tasks."""
from marshmallow import ValidationError

from ..common.schemas import check_window
from ..errors import Conflict
from ..extensions import db
from ..models import Station, Task


def _station(station_id):
    """The referenced station, or a 422 on `station_id`."""
    station = db.session.get(Station, station_id)
    if station is None:
        raise ValidationError({"station_id": [f"no station with id {station_id}"]})
    return station


def create_task(data):
    """Store a new open task; without a place it happens at its station."""
    station = _station(data["station_id"])
    if "lat" not in data:
        data.update(lat=station.lat, lon=station.lon, district=data.get("district") or station.district)
    task = Task(status="open", **data)
    db.session.add(task)
    db.session.commit()
    return task


def update_task(task, data):
    """Apply a partial update; the window must stay ordered and only cancelling changes status.

    Under the booking lock: the headcount cannot drop below the people already accepted, the
    window cannot move under them, and cancelling releases everyone asked.
    """
    from ..engagement import service as engagement
    from ..engagement.locking import lock_booking

    if "station_id" in data:
        _station(data["station_id"])
    tasks, _ = lock_booking([task.id], [])
    task = tasks[task.id]
    starts, ends = data.get("starts_at", task.starts_at), data.get("ends_at", task.ends_at)
    check_window(starts, ends)
    if data.get("status") == "cancelled" and task.status == "done":
        raise Conflict("status", "task is done and cannot be cancelled")
    accepted = engagement.seats_taken(task.id)
    if data.get("headcount", task.headcount) < accepted:
        raise Conflict("headcount", f"{accepted} people have accepted or served already; cancel some first")
    if accepted and (starts != task.starts_at or ends != task.ends_at) and data.get("status") != "cancelled":
        raise Conflict("starts_at", f"{accepted} people have accepted this time; cancel them first, or the task")
    for key, value in data.items():
        setattr(task, key, value)
    if task.status == "cancelled":
        engagement.cancel_task_assignments(task)
    elif "headcount" in data:
        engagement.refresh_task_status(task)
    db.session.commit()
    return task
