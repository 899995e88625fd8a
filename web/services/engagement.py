"""Assignments from invitation to recorded hours: the allowed transitions and the booking rules.

A person is never `accepted` on two tasks whose windows overlap (back-to-back is fine), and a
task never has more accepted people than its headcount. Both are checked under the booking
locks (see locking.py), so concurrent requests cannot both pass a check and then both write.
"""
from marshmallow import ValidationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from ..auth import policy
from ..common.text import msg
from ..errors import Conflict
from ..extensions import db
from ..models import LIVE, SEATED, Assignment, ServiceRecord, Task, Volunteer
from ..types import utcnow
from . import notifications, people
from .locking import lock_booking

LOADED = (joinedload(Assignment.volunteer), joinedload(Assignment.task), joinedload(Assignment.record))

# From each state, the states it may move to.
TRANSITIONS = {
    "invited": ("accepted", "declined", "cancelled"),
    "accepted": ("cancelled", "completed", "no_show"),
}


def _window_hours(task):
    return (task.ends_at - task.starts_at).total_seconds() / 3600


def overlapping_booking(volunteer_id, starts_at, ends_at, exclude_task_id=None):
    """The task this person is accepted on (or served) that overlaps the window, or None (touching ends do not)."""
    stmt = (select(Task).join(Assignment, Assignment.task_id == Task.id)
            .where(Assignment.volunteer_id == volunteer_id, Assignment.status.in_(SEATED),
                   Task.starts_at < ends_at, Task.ends_at > starts_at))
    if exclude_task_id is not None:
        stmt = stmt.where(Task.id != exclude_task_id)
    return db.session.scalars(stmt.order_by(Task.starts_at).limit(1)).first()


# Built once (read before every match): people seated on a task overlapping [starts, ends), and those asked for a task.
_BOOKED = (select(Assignment.volunteer_id).join(Task, Assignment.task_id == Task.id)
           .where(Assignment.status.in_(SEATED), Task.starts_at < bindparam("ends"), Task.ends_at > bindparam("starts")))
_BOOKED_OR_ASKED = _BOOKED.union(select(Assignment.volunteer_id).where(Assignment.task_id == bindparam("task_id")))


def booked_people(starts_at, ends_at, task_id=None):
    """Ids of people who cannot be matched to this window: accepted on (or served) an overlapping task,
    or already asked (in any state) for this very task."""
    statement, params = (_BOOKED, {"starts": starts_at, "ends": ends_at}) if task_id is None else \
        (_BOOKED_OR_ASKED, {"starts": starts_at, "ends": ends_at, "task_id": task_id})
    return frozenset(db.session.connection().execute(statement, params).scalars())


def seats_taken(task_id):
    """People holding a seat of the task: accepted, or already served (a completion frees no seat)."""
    return db.session.scalar(select(func.count()).where(Assignment.task_id == task_id, Assignment.status.in_(SEATED)))


def check_invitable(task, person):
    """Refuse (409) an invitation that could never be accepted."""
    if task.status != "open":
        raise Conflict("task", msg("task {task_id} is {task_status}: it takes no more invitations",
                                   task_id=task.id, task_status=task.status))
    if not person.active:
        raise Conflict("volunteer_id", msg("person {person_id} is not active", person_id=person.id))
    if task.role != "any" and person.role != task.role:
        raise Conflict("volunteer_id", msg("task {task_id} needs a {task_role}; person {person_id} is a {person_role}",
                                           task_id=task.id, task_role=task.role, person_id=person.id, person_role=person.role))
    clash = overlapping_booking(person.id, task.starts_at, task.ends_at, exclude_task_id=task.id)
    if clash is not None:
        raise Conflict("volunteer_id", msg("person {person_id} is already booked at that time (task {clash_id}, {clash_title})",
                                           person_id=person.id, clash_id=clash.id, clash_title=clash.title))


def invite(actor, task_id, volunteer_id, could_serve):
    """The station invites a person to a task; return the assignment.

    Coordinators may invite people they may know of, or anyone who passes the task's hard
    filters (`could_serve(task, person_id)`), so an invitation is no way to reach a stranger.
    """
    task = policy.station_task(actor, task_id)
    policy.check_invitee(actor, task, volunteer_id, db.session.get(Volunteer, volunteer_id), could_serve)
    assignment = invite_person(task, volunteer_id)
    db.session.commit()
    return assignment


def invite_person(task, volunteer_id, plan_id=None):
    """Invite a person to a task in the current transaction; an earlier declined or cancelled invitation is renewed."""
    tasks, persons = lock_booking([task.id], [volunteer_id])  # a cancel or a booking may be racing this
    task, person = tasks[task.id], persons.get(volunteer_id)
    if person is None:
        raise ValidationError({"volunteer_id": [msg("no person with id {volunteer_id}", volunteer_id=volunteer_id)]})
    check_invitable(task, person)
    assignment = db.session.scalar(select(Assignment).where(Assignment.task_id == task.id,
                                                            Assignment.volunteer_id == volunteer_id))
    if assignment is None:
        assignment = Assignment(task=task, volunteer=person, status="invited", plan_id=plan_id)
        db.session.add(assignment)
    elif assignment.status in ("declined", "cancelled", "expired"):
        assignment.status, assignment.invited_at, assignment.plan_id = "invited", utcnow(), plan_id
        assignment.responded_at = assignment.finished_at = None
        assignment.dropped = False
    else:
        raise Conflict("volunteer_id", msg("person {volunteer_id} already has an assignment on task {task_id} "
                                           "(assignment {assignment_id}, {assignment_status})", volunteer_id=volunteer_id,
                                           task_id=task.id, assignment_id=assignment.id, assignment_status=assignment.status))
    notifications.invited(assignment)
    return assignment


def refresh_task_status(task):
    """open <-> filled by the accepted count; done once nobody is left to serve after someone served."""
    if task.status in ("cancelled", "done", "expired"):
        return
    counts = dict(db.session.execute(select(Assignment.status, func.count()).where(Assignment.task_id == task.id)
                                     .group_by(Assignment.status)).all())
    taken, live = (sum(counts.get(s, 0) for s in group) for group in (SEATED, LIVE))
    if live == 0 and counts.get("completed", 0) > 0:
        task.status = "done"
    else:
        task.status = "filled" if taken >= task.headcount else "open"


def change(actor, assignment_id, data):
    """Apply a PATCH: a status change (with hours when completing), and/or feedback.

    The person asked reports hours as self-reported (they count once the station confirms them);
    the station's (a coordinator's or an admin's) are verified.
    """
    assignment = policy.visible_assignment(actor, assignment_id, LOADED)
    policy.check_assignment_change(actor, data)
    by_station = policy.is_staff(actor)  # the station speaks: verified hours, no-shows, ratings
    target = data.get("status")
    if target is not None:
        _transition(actor, assignment, target, data, by_station)
    if "rating" in data or "comment" in data:
        if assignment.status != "completed":
            raise Conflict("status", msg("assignment {assignment_id} is {assignment_status}: only a completed one is rated",
                                         assignment_id=assignment.id, assignment_status=assignment.status))
        assignment.rating = data.get("rating", assignment.rating)
        assignment.comment = data.get("comment", assignment.comment)
    db.session.commit()
    return assignment


def _transition(actor, assignment, target, data, by_station):
    """Move an assignment to `target` under the booking locks, or raise Conflict with its state."""
    tasks, persons = lock_booking([assignment.task_id], [assignment.volunteer_id],
                                 changes_people=target in ("cancelled", "completed", "no_show"))
    task, person = tasks[assignment.task_id], persons[assignment.volunteer_id]
    db.session.refresh(assignment)  # the state as of now, under the lock
    if target not in TRANSITIONS.get(assignment.status, ()):
        raise Conflict("status", msg("assignment {assignment_id} is {assignment_status}; it cannot become {target}",
                                     assignment_id=assignment.id, assignment_status=assignment.status, target=target))
    now = utcnow()
    if target == "accepted":
        if task.status in ("cancelled", "done"):
            raise Conflict("status", msg("task {task_id} is {task_status}", task_id=task.id, task_status=task.status))
        if not by_station and now >= task.ends_at:  # the station may record the past; a person may not
            raise Conflict("status", msg("task {task_id} has ended: ask the station to record your service", task_id=task.id))
        taken = seats_taken(task.id)
        if taken >= task.headcount:
            raise Conflict("status", msg("task {task_id} is full: {taken} of {task_headcount} places taken",
                                         task_id=task.id, taken=taken, task_headcount=task.headcount))
        clash = overlapping_booking(person.id, task.starts_at, task.ends_at, exclude_task_id=task.id)
        if clash is not None:
            raise Conflict("status", msg("person {person_id} is already booked at that time (task {clash_id}, {clash_title})",
                                         person_id=person.id, clash_id=clash.id, clash_title=clash.title))
        assignment.responded_at = now
    elif target == "declined":
        assignment.responded_at = now
    elif target == "cancelled":
        # Withdrawing after accepting lets the station down; the station cancelling does not count.
        assignment.dropped = assignment.status == "accepted" and not by_station
    elif target == "no_show":
        assignment.dropped = True
    elif target == "completed":
        _record_hours(actor, assignment, task, person, data, by_station, now)
    if target in ("cancelled", "completed", "no_show"):
        assignment.finished_at = now
    if assignment.dropped:
        people.count_drop(person)
    assignment.status = target
    db.session.flush()
    refresh_task_status(task)
    if target == "accepted":
        notifications.accepted(assignment)
    elif target == "cancelled" and by_station:
        notifications.withdrawn(assignment)
    elif target == "completed" and by_station:
        notifications.hours_reviewed(assignment.record, person, task)


def _record_hours(actor, assignment, task, person, data, by_station, now):
    """Store the service record of a completion; verified hours count for the person's engagement at
    once, self-reported ones when the station confirms them."""
    hours = data.get("hours")
    if hours is None:
        raise ValidationError({"hours": [msg("give the hours served when completing")]})
    if now < task.starts_at:
        raise Conflict("status", msg("task {task_id} has not started yet: it cannot be completed", task_id=task.id))
    window = _window_hours(task)
    reason = data.get("reason")
    if hours > window + 1e-9:
        if not by_station:
            raise ValidationError({"hours": [msg("more than the task's {window:g} h window; ask the station to record it",
                                                 window=window)]})
        if not reason:
            raise ValidationError({"reason": [msg("{hours:g} h is more than the task's {window:g} h window: say why",
                                                  hours=hours, window=window)]})
    db.session.add(ServiceRecord(
        assignment=assignment, volunteer_id=person.id, task_id=task.id, station_id=task.station_id,
        served_at=task.starts_at, hours=hours, note=reason if hours > window + 1e-9 else None,
        source="verified" if by_station else "self_reported", status="confirmed" if by_station else "pending",
        recorded_by=actor.label, confirmed_by=actor.label if by_station else None,
    ))
    if by_station:
        people.count_service(person, hours, task.starts_at)


def review_record(actor, record_id, data):
    """The station confirms a self-reported record (correcting the hours if need be), or rejects it.

    Confirmed, the completion and its hours count for the person's engagement. A rejected record
    means the person did not serve: the assignment becomes a no-show (dropped).
    """
    record = policy.station_record(actor, record_id)
    tasks, persons = lock_booking([record.task_id], [record.volunteer_id], changes_people=True)
    db.session.refresh(record)
    if record.status != "pending":
        raise Conflict("status", msg("service record {record_id} is already {record_status}",
                                     record_id=record.id, record_status=record.status))
    task, person = tasks[record.task_id], persons[record.volunteer_id]
    reviewer = actor.label
    if data["status"] == "rejected":
        people.count_drop(person)
        assignment = db.session.get(Assignment, record.assignment_id)
        assignment.status, assignment.dropped = "no_show", True
        record.status, record.confirmed_by = "rejected", reviewer
        if data.get("reason"):
            record.note = data["reason"]
        db.session.flush()
        refresh_task_status(task)
        notifications.hours_reviewed(record, person, task)
        db.session.commit()
        return record
    hours = data.get("hours", record.hours)
    window = _window_hours(task)
    if hours > window + 1e-9 and not (data.get("reason") or record.note):
        raise ValidationError({"reason": [msg("{hours:g} h is more than the task's {window:g} h window: say why",
                                              hours=hours, window=window)]})
    record.hours = hours
    people.count_service(person, hours, task.starts_at)
    if data.get("reason"):
        record.note = data["reason"]
    record.status, record.confirmed_by = "confirmed", reviewer
    notifications.hours_reviewed(record, person, task)
    db.session.commit()
    return record


def live_assignments(task):
    """The people still asked to serve on a task (invited or accepted), with the person loaded."""
    return db.session.scalars(select(Assignment).options(joinedload(Assignment.volunteer))
                              .where(Assignment.task_id == task.id, Assignment.status.in_(LIVE))).all()


def cancel_task_assignments(task):
    """A cancelled task releases everyone on it (the station cancelled: nobody dropped out)."""
    now = utcnow()
    for assignment in db.session.scalars(select(Assignment).where(Assignment.task_id == task.id,
                                                                  Assignment.status.in_(LIVE))):
        assignment.status, assignment.finished_at = "cancelled", now


def task_assignments(actor, task_id, filters):
    """The people asked to serve on a task (admins, or the station's coordinators): a query."""
    task = policy.station_task(actor, task_id)
    stmt = select(Assignment).options(*LOADED).where(Assignment.task_id == task.id).order_by(Assignment.id)
    if "status" in filters:
        stmt = stmt.where(Assignment.status == filters["status"])
    return stmt


def person_assignments(actor, volunteer_id, filters):
    """A person's assignments, newest task first (coordinators see their stations' only): a query."""
    person = policy.visible_person(actor, volunteer_id)
    stmt = (select(Assignment).options(*LOADED).join(Task, Assignment.task_id == Task.id)
            .where(Assignment.volunteer_id == person.id).order_by(Task.starts_at.desc(), Assignment.id))
    scope = policy.coordinator_scope(actor)
    if scope is not None:
        stmt = stmt.where(Task.station_id.in_(scope))
    if "status" in filters:
        stmt = stmt.where(Assignment.status == filters["status"])
    return stmt


def history(actor, volunteer_id, filters):
    """The person's service records (oldest first) and totals: confirmed hours count, pending ones wait."""
    person = policy.visible_person(actor, volunteer_id)
    stmt = (select(ServiceRecord).options(joinedload(ServiceRecord.task), joinedload(ServiceRecord.station),
                                          joinedload(ServiceRecord.assignment))
            .where(ServiceRecord.volunteer_id == person.id).order_by(ServiceRecord.served_at, ServiceRecord.id))
    if "from_" in filters:
        stmt = stmt.where(ServiceRecord.served_at >= filters["from_"])
    if "to" in filters:
        stmt = stmt.where(ServiceRecord.served_at < filters["to"])
    scope = policy.history_scope(actor, person)
    if scope is not None:  # another station's volunteer: only what they did for this coordinator's stations
        stmt = stmt.where(ServiceRecord.station_id.in_(scope))
    records = db.session.scalars(stmt).all()
    totals = {"verified": 0.0, "self_reported": 0.0, "pending": 0.0}
    for record in records:
        if record.status != "rejected":
            totals["pending" if record.status == "pending" else record.source] += record.hours
    totals = {k: round(v, 2) for k, v in totals.items()}
    return {"volunteer_id": person.id, "name": person.name, "volunteer_number": person.volunteer_number,
            "records": records, "totals": totals, "total_hours": round(totals["verified"] + totals["self_reported"], 2)}


def expire_unanswered(now):
    """Invitations still unanswered when their task starts expire (a scheduled job); return how many."""
    started = select(Task.id).where(Task.starts_at <= now)
    done = db.session.execute(update(Assignment).where(Assignment.status == "invited", Assignment.task_id.in_(started))
                              .values(status="expired", finished_at=now, updated_at=now))
    db.session.commit()
    return done.rowcount
