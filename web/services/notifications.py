"""The notification outbox: what people should hear about, written in the event's own transaction,
and the bookkeeping of its deliveries. Flask-free; web/workers/delivery.py does the sending.

Every event that a person should hear about adds a `Notification` (the facts: task, place, times)
with one `Delivery` per channel: the inbox (the row itself, sent at once), SMS when the person has
a phone, e-mail when they have an address; a station's group robot gets task changes. Because the
rows join the event's transaction, a message is never sent for something that rolled back and
never lost for something that committed.

A delivery is claimed by one worker at a time (a conditional UPDATE: only one of two racing workers
changes the row), sent, then marked sent; a temporary failure waits 30 s, 60 s, 120 s… (at most an
hour) and the delivery is parked as `failed` after NOTIFY_MAX_TRIES, with the reason. A claim that
its worker never finished (it died) is taken again once its lease has passed.
"""
import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import and_, func, or_, select, update

from ..common.schemas import LOCAL_TZ
from ..common.text import msg
from ..extensions import db
from ..models import Assignment, Delivery, Notification, Task, Volunteer
from ..types import utcnow

LEASE = dt.timedelta(minutes=2)  # a claimed delivery not finished by then is taken again
MAX_BACKOFF = dt.timedelta(hours=1)
URGENT = dt.timedelta(hours=2)  # an SMS about a service this close is sent even in quiet hours


def _task_params(task):
    return {"title": task.title, "station": task.station.name if task.station else "",
            "place": task.address or task.district or "", "starts_at": task.starts_at.isoformat(),
            "ends_at": task.ends_at.isoformat()}


def to_person(kind, person, task=None, assignment=None, due_at=None, **extra):
    """Add a notification for a person to the current transaction: inbox, and SMS/e-mail where they
    have a phone/address (the person's switches are read when it is sent)."""
    now = utcnow()
    note = Notification(kind=kind, volunteer_id=person.id, task_id=task.id if task else None,
                        assignment=assignment, language=person.language or "zh",
                        params={**(_task_params(task) if task else {}), **extra}, due_at=due_at or now)
    note.deliveries.append(Delivery(channel="inbox", status="sent", sent_at=now, next_try_at=note.due_at))
    for channel, address in (("sms", person.phone), ("email", person.email)):
        if address:
            note.deliveries.append(Delivery(channel=channel, next_try_at=note.due_at))
    return _queued(note)


def to_group(kind, task):
    """Add a broadcast of a task change to its station's group robot, if the station has one."""
    if task.station is None or not task.station.group_webhook:
        return None
    note = Notification(kind=kind, station_id=task.station_id, task_id=task.id, params=_task_params(task))
    note.deliveries.append(Delivery(channel="group"))
    return _queued(note)


def to_phone(kind, phone, person, params, now):
    """Add an SMS to a phone that may belong to nobody yet (a sign-in code): no inbox, no other channel."""
    note = Notification(kind=kind, volunteer_id=person.id if person else None,
                        language=person.language if person else "zh", params={"phone": phone, **params}, due_at=now)
    note.deliveries.append(Delivery(channel="sms", next_try_at=now))
    return _queued(note)


def _queued(note):
    """Add a notification to the current transaction; the queue is told after the commit (web/workers/delivery.py)."""
    db.session.add(note)
    db.session.info["outbox"] = True
    return note


# ------------------------------------------------------------------ events


def invited(assignment):
    """An invitation (direct or from a plan)."""
    return to_person("invitation", assignment.volunteer, assignment.task, assignment)


def accepted(assignment):
    """Reminders before an accepted service, at the station's hours before it (24 h and 2 h by default)."""
    task, now = assignment.task, utcnow()
    for hours in sorted(set(task.station.reminder_hours or []), reverse=True):
        due = task.starts_at - dt.timedelta(hours=hours)
        if due > now:
            to_person("reminder", assignment.volunteer, task, assignment, due_at=due)


def withdrawn(assignment):
    """The station withdrew an invitation (or an acceptance)."""
    return to_person("invitation_withdrawn", assignment.volunteer, assignment.task, assignment)


def task_changed(task, people, kind):
    """A task's time or place changed (`task_changed`) or it was cancelled (`task_cancelled`):
    everyone still on it hears, and the station's group."""
    for assignment in people:
        to_person(kind, assignment.volunteer, task, assignment)
    to_group(kind, task)


def hours_reviewed(record, person, task):
    """The station verified (or rejected) a person's hours."""
    kind = "hours_verified" if record.status == "confirmed" else "hours_rejected"
    return to_person(kind, person, task, record.assignment, hours=record.hours)


# ------------------------------------------------------------------ delivery bookkeeping


@dataclass(frozen=True)
class Rules:
    """When SMS may go out: quiet hours (local, start and end hour) and a per-person daily cap."""

    quiet_from: int = 22
    quiet_to: int = 8
    sms_per_day: int = 10
    max_tries: int = 6
    retry_seconds: int = 30

    @classmethod
    def from_config(cls, config):
        start, _, end = config["NOTIFY_QUIET_HOURS"].partition("-")
        return cls(int(start), int(end), config["NOTIFY_SMS_PER_DAY"], config["NOTIFY_MAX_TRIES"],
                   config["NOTIFY_RETRY_SECONDS"])

    def for_person(self, person):
        """These rules with the person's own quiet hours, if they set some."""
        if person is None or not person.quiet_hours:
            return self
        start, _, end = person.quiet_hours.partition("-")
        return replace(self, quiet_from=int(start), quiet_to=int(end))

    def in_quiet_hours(self, local):
        if self.quiet_from == self.quiet_to:
            return False
        if self.quiet_from < self.quiet_to:
            return self.quiet_from <= local.hour < self.quiet_to
        return local.hour >= self.quiet_from or local.hour < self.quiet_to

    def quiet_ends(self, local):
        """The first local time at or after `local` outside the quiet hours."""
        end = local.replace(hour=self.quiet_to, minute=0, second=0, microsecond=0)
        return end if end > local else end + dt.timedelta(days=1)


def _takeable(now):
    """A delivery a worker may take now: queued and due, or claimed by a worker whose lease ran out."""
    return or_(and_(Delivery.status == "queued", Delivery.next_try_at <= now),
               and_(Delivery.status == "sending", Delivery.claimed_until < now))


def due(now, limit):
    """Ids of deliveries to try now, oldest due first."""
    stmt = select(Delivery.id).where(_takeable(now)).order_by(Delivery.next_try_at, Delivery.id).limit(limit)
    return list(db.session.scalars(stmt))


def claim(delivery_id, now):
    """Take a delivery for this worker (committed); None if another worker has it or it is done.

    Returns the attempt number, which `finish` checks: a worker whose lease ran out cannot overwrite
    what the worker that took over recorded.
    """
    attempt = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, _takeable(now))
        .values(status="sending", attempts=Delivery.attempts + 1, claimed_until=now + LEASE)
        .returning(Delivery.attempts)).scalar_one_or_none()
    db.session.commit()
    return attempt


def _finish(delivery_id, attempt, **values):
    db.session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "sending",
                                              Delivery.attempts == attempt).values(claimed_until=None, **values))
    db.session.commit()


def sent(delivery_id, attempt, now):
    _finish(delivery_id, attempt, status="sent", sent_at=now, error=None)


def forget_secret(notification_id):
    """A sign-in code's message has gone (or failed for good): the code is not kept in the outbox."""
    note = db.session.get(Notification, notification_id)
    if note is not None and "code" in note.params:
        note.params = {k: v for k, v in note.params.items() if k != "code"}
        db.session.commit()


def skipped(delivery_id, attempt, reason):
    """Not sent, on purpose (the person switched the channel off, the invitation was answered…)."""
    _finish(delivery_id, attempt, status="skipped", error=reason[:500])


def later(delivery_id, attempt, when, reason):
    """Not now (quiet hours, the daily cap): queued again for `when`, this try not counted."""
    _finish(delivery_id, attempt, status="queued", next_try_at=when, attempts=attempt - 1, error=reason[:500])


def failed(delivery_id, attempt, now, reason, rules, temporary):
    """A failed try: retried with exponential backoff while tries remain, else parked as failed."""
    if temporary and attempt < rules.max_tries:
        wait = min(dt.timedelta(seconds=rules.retry_seconds * 2 ** (attempt - 1)), MAX_BACKOFF)
        _finish(delivery_id, attempt, status="queued", next_try_at=now + wait, error=reason[:500])
    else:
        _finish(delivery_id, attempt, status="failed", error=reason[:500])


def load(delivery_id):
    """The delivery with its notification, person, task and assignment (for the rules and the address):
    one query."""
    row = db.session.execute(
        select(Delivery, Notification, Volunteer, Task, Assignment)
        .join(Notification, Delivery.notification_id == Notification.id)
        .outerjoin(Volunteer, Notification.volunteer_id == Volunteer.id)
        .outerjoin(Task, Notification.task_id == Task.id)
        .outerjoin(Assignment, Notification.assignment_id == Assignment.id)
        .where(Delivery.id == delivery_id)).one()
    return tuple(row)


def params_now(note, task):
    """What a message says when it goes out: an invitation or a reminder (sent later than written,
    after quiet hours or a day ahead) tells the task as it is now; other messages, as of their event."""
    if note.kind in STILL_MEANT and task is not None:
        return {**note.params, **_task_params(task)}
    return note.params


# Which assignment states a notification still makes sense in, when it is sent.
STILL_MEANT = {"invitation": ("invited",), "reminder": ("accepted",)}


def hold_reason(delivery, note, person, task, assignment, now, rules):
    """Why this delivery must not go out now: ('skip', reason), ('later', when, reason), or None."""
    if note.kind == "sign_in_code":
        return None  # asked for by the person a moment ago: no quiet hours, cap or switch holds it
    wanted = STILL_MEANT.get(note.kind)
    if wanted and (assignment is None or assignment.status not in wanted):
        return ("skip", f"the assignment is {assignment.status if assignment else 'gone'}: no longer meant")
    if note.kind == "reminder" and task is not None and task.status == "cancelled":
        return ("skip", "the task is cancelled")
    if wanted and task is not None and now >= task.starts_at:
        return ("skip", "the task has started")
    if person is not None and delivery.channel in (person.channels_off or []):
        return ("skip", f"the person switched {delivery.channel} off")
    local = now.astimezone(LOCAL_TZ)
    if delivery.channel == "sms" and person is None and note.kind.startswith("need_") and rules.in_quiet_hours(local):
        return ("later", rules.quiet_ends(local).astimezone(dt.UTC), "quiet hours")  # a resident's request: no cap
    if delivery.channel != "sms" or person is None:
        return None
    rules = rules.for_person(person)
    urgent = task is not None and note.kind != "hours_verified" and now <= task.starts_at <= now + URGENT
    if rules.in_quiet_hours(local) and not urgent:
        return ("later", rules.quiet_ends(local).astimezone(dt.UTC), "quiet hours")
    if sms_sent_today(person.id, local) >= rules.sms_per_day and not urgent:
        tomorrow = (local + dt.timedelta(days=1)).replace(hour=rules.quiet_to, minute=0, second=0, microsecond=0)
        return ("later", tomorrow.astimezone(dt.UTC), f"daily cap of {rules.sms_per_day} SMS reached")
    return None


def sms_sent_today(volunteer_id, local_now):
    """SMS sent to this person since local midnight."""
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    return db.session.scalar(select(func.count()).select_from(Delivery).join(Notification)
                             .where(Notification.volunteer_id == volunteer_id, Delivery.channel == "sms",
                                    Delivery.status == "sent", Delivery.sent_at >= midnight))


def address(delivery, person, task):
    """Where this delivery goes now: the person's current phone or e-mail, the station's webhook."""
    if delivery.channel == "sms":
        return person.phone if person else delivery.notification.params.get("phone")
    if delivery.channel == "email":
        return person.email if person else None
    if delivery.channel == "group":
        return task.station.group_webhook if task is not None and task.station else None
    return None


def sms_reply(phone, text):
    """An SMS a person sent back (forwarded by the gateway): a stop word switches their SMS off.
    Return whether it did (false for other replies and unknown numbers)."""
    from ..common.personal import normalize_phone
    from ..notify.messages import STOP_WORDS

    try:
        phone = normalize_phone(phone)
    except ValueError:
        return False
    person = db.session.scalar(select(Volunteer).where(Volunteer.phone == phone))
    if person is None or text.strip().upper() not in STOP_WORDS:
        return False
    if "sms" not in (person.channels_off or []):
        person.channels_off = [*(person.channels_off or []), "sms"]
    db.session.commit()
    return True


# ------------------------------------------------------------------ reading


def inbox(actor, volunteer_id):
    """A person's messages, newest first (the person, or admins): a query of notifications."""
    from ..auth import policy

    person = policy.own_person(actor, volunteer_id, msg("a person's messages are theirs: ask them, or an admin"))
    now = utcnow()
    return (select(Notification).where(Notification.volunteer_id == person.id, Notification.due_at <= now,
                                       Notification.kind != "sign_in_code")
            .order_by(Notification.due_at.desc(), Notification.id.desc()))


def task_deliveries(actor, task_id):
    """Per person asked to serve on a task: their invitation's deliveries, and whether any reached them
    (admins, or the station's coordinators)."""
    from ..auth import policy

    task = policy.station_task(actor, task_id)
    from .engagement import LOADED

    assignments = db.session.scalars(select(Assignment).options(*LOADED).where(Assignment.task_id == task.id)
                                     .order_by(Assignment.id)).all()
    latest = (select(func.max(Notification.id)).where(Notification.task_id == task.id,
                                                      Notification.kind == "invitation")
              .group_by(Notification.assignment_id))
    deliveries = {}
    for delivery, assignment_id in db.session.execute(
            select(Delivery, Notification.assignment_id).join(Notification)
            .where(Notification.id.in_(latest), Delivery.channel != "inbox").order_by(Delivery.id)):
        deliveries.setdefault(assignment_id, []).append(delivery)
    return [{"assignment": a, "deliveries": deliveries.get(a.id, []),
             "reached": any(d.status == "sent" for d in deliveries.get(a.id, []))} for a in assignments]


def call_list(actor, task_id):
    """People invited to a task whom no message reached (still invited): the station calls them."""
    return [row for row in task_deliveries(actor, task_id)
            if not row["reached"] and row["assignment"].status == "invited"
            and all(d.status in ("failed", "skipped") for d in row["deliveries"])]
