"""Residents' requests for help (issue 17): submitted without an account, queued for the stations whose
service area covers their place, taken by one of them, turned into a task, served, rated by the
resident. Every step is a `NeedEvent`; the resident hears of the main ones by SMS (the outbox).

The resident follows the request with its public reference and a secret token (only its SHA-256 is
stored, as for API tokens): a wrong token is answered exactly as an unknown reference.
"""
import datetime as dt
import hmac
import secrets

import numpy as np
from marshmallow import ValidationError
from sqlalchemy import case, delete, insert, select, update

from matcher.categories import CATEGORIES
from matcher.geo import coarse_point, haversine_km

from ..auth import policy
from ..auth.principal import hash_token
from ..common.schemas import LOCAL_TZ, check_window
from ..common.text import msg
from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import NeedEvent, NeedRequest, Station, need_station
from ..types import utcnow
from . import notifications, tasks
from .stations import check_in_area, covering, place_field

TARGET_GROUP_LABELS = {"left_behind_children": "留守儿童", "women": "妇女", "elderly": "老年人",
                       "migrant_workers": "外出务工人员", "disabled": "残疾人", "others": "其他"}
# The steps a resident sees in their own request's history (never who did them).
PUBLIC_EVENTS = ("submitted", "taken", "task_created", "task_attached", "served", "closed", "rated")
# Closed for these reasons, the phone is not sent an SMS: spam may carry anyone's number, and a duplicate's
# resident hears about the request that goes on.
UNTOLD = ("spam", "duplicate")
# From which states a request may be marked served.
SERVABLE = ("taken", "task_created", "referred")
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
REFERENCE_LENGTH = 9  # "N" and 8 characters: never all digits, so it never reads as a request's id
TASK_HOURS = 2  # a task made from a request lasts this long unless the body says otherwise
TASK_START_HOUR = 9


def _reference():
    """A new public reference: N and 8 characters of an alphabet without look-alikes (32**8 of them)."""
    while True:
        reference = "N" + "".join(secrets.choice(_ALPHABET) for _ in range(REFERENCE_LENGTH - 1))
        if db.session.scalar(select(NeedRequest.id).where(NeedRequest.reference == reference)) is None:
            return reference


def _actor_label(actor):
    """Who did a step, for the history: a staff token's label, else the resident."""
    return actor.label if policy.is_staff(actor) else "resident"


def _event(need, actor, what, **details):
    need.events.append(NeedEvent(what=what, actor=_actor_label(actor), token_id=actor.token_id, at=utcnow(),
                                 details=details))


def _tell(need, kind, **params):
    """An SMS to the resident about their request (the outbox; sent after the commit)."""
    note = notifications.to_phone(kind, need.phone, None, {"reference": need.reference, **params}, utcnow())
    note.language = need.language


def _station_name(need):
    return need.station.name if need.station is not None else ""


# ------------------------------------------------------------------ the resident


def submit(actor, data, public_url):
    """Store a request (anyone; a coordinator's lies in one of their stations' areas) and queue it for
    every station whose area covers its place (422 on the place field when none does). Returns the
    receipt: the reference and, once, the secret token and the follow-up link."""
    field = place_field(data)
    check_in_area(policy.area_stations(actor), data["lat"], data["lon"], field)
    stations = db.session.scalars(select(Station).order_by(Station.id)).all()
    queues = covering(stations, data["lat"], data["lon"])
    if stations and not queues:
        check_in_area(stations, data["lat"], data["lon"], field)  # says how far the nearest station is
    token = secrets.token_urlsafe(24)
    need = NeedRequest(reference=_reference(), token_hash=hash_token(token), status="new", **data)
    _event(need, actor, "submitted", source="coordinator" if policy.is_staff(actor) else "resident")
    db.session.add(need)
    db.session.flush()
    if queues:
        db.session.execute(insert(need_station), [{"need_id": need.id, "station_id": s.id} for s in queues])
    db.session.commit()
    return {"reference": need.reference, "token": token, "status": need.status, "created_at": need.created_at,
            "follow_up_url": f"{public_url.rstrip('/')}/need/{need.reference}?t={token}"}


def _own(reference, token):
    """The request this reference and token stand for; 404 for a wrong token as for an unknown reference."""
    need = db.session.scalar(select(NeedRequest).where(NeedRequest.reference == reference.upper()))
    if need is None or not token or not hmac.compare_digest(need.token_hash, hash_token(token)):
        raise NotFound(msg("no request with reference {reference}", reference=reference))
    return need


def resident_view(need):
    """What the resident sees of their request: its state and public history, no staff names or ids,
    and none of their contact details (the link may be forwarded)."""
    history = [{"what": e.what, "at": e.at, "station": e.details.get("station"), "reason": e.details.get("reason")}
               for e in need.events if e.what in PUBLIC_EVENTS]
    return {"reference": need.reference, "status": need.status, "category": need.category, "text": need.text,
            "target_group": need.target_group, "district": need.district, "from_date": need.from_date,
            "to_date": need.to_date, "asap": need.asap, "urgency": need.urgency, "created_at": need.created_at,
            "station": _station_name(need) or None, "task_starts_at": need.task.starts_at if need.task else None,
            "close_reason": need.close_reason, "rating": need.rating, "comment": need.comment, "history": history}


def follow_up(reference, token):
    """The resident's view of their request."""
    return resident_view(_own(reference, token))


def rate(actor, reference, token, rating, comment=None):
    """The resident rates the service once it was served (409 before, and once rated)."""
    need = _own(reference, token)
    if need.served_at is None:
        raise Conflict("rating", msg("a request is rated once it has been served"))
    if need.rating is not None:
        raise Conflict("rating", msg("this request has been rated already"))
    need.rating, need.comment, need.rated_at = rating, comment, utcnow()
    _event(need, actor, "rated", rating=rating)
    db.session.commit()
    return resident_view(need)


# ------------------------------------------------------------------ staff


def listing(actor, filters):
    """The requests the actor sees (a query), most urgent first, then oldest; without a `status`
    filter closed ones are left out."""
    stmt = select(NeedRequest)
    clause = policy.need_clause(actor)
    if clause is not None:
        stmt = stmt.where(clause)
    if filters.get("status"):
        stmt = stmt.where(NeedRequest.status.in_(filters["status"]))
    else:
        stmt = stmt.where(NeedRequest.status != "closed")
    for name in ("category", "urgency", "district"):
        if name in filters:
            stmt = stmt.where(getattr(NeedRequest, name) == filters[name])
    if "reference" in filters:
        stmt = stmt.where(NeedRequest.reference == filters["reference"].upper())
    rank = case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=NeedRequest.urgency, else_=4)
    return stmt.order_by(rank, NeedRequest.created_at, NeedRequest.id)


def read(actor, need_id):
    """One request the actor sees, with its history."""
    return policy.visible_need(actor, need_id)


def change(actor, need_id, data):
    """Set the category or urgency, and/or move the request on: `taken` (for one of the actor's stations
    whose area covers it; then only that station acts on it), `served`, `closed` (with a reason)."""
    need = policy.visible_need(actor, need_id)
    status = data.get("status")
    if need.status == "closed":
        raise Conflict("status", msg("this request is closed"))
    for name in ("category", "urgency"):
        if name in data and data[name] != getattr(need, name):
            _event(need, actor, name, **{"from": getattr(need, name), "to": data[name]})
            setattr(need, name, data[name])
    if status == "taken":
        _take(actor, need, data["station_id"])
    elif status == "served":
        if need.status not in SERVABLE:
            raise Conflict("status", msg("take this request first"))
        need.status, need.served_at = "served", utcnow()
        _event(need, actor, "served")
        _tell(need, "need_served", station=_station_name(need))
    elif status == "closed":
        need.status, need.closed_at, need.close_reason = "closed", utcnow(), data["reason"]
        _event(need, actor, "closed", reason=data["reason"], **({"note": data["note"]} if data.get("note") else {}))
        if data["reason"] not in UNTOLD:
            _tell(need, "need_closed", station=_station_name(need))
    db.session.commit()
    return need


def _take(actor, need, station_id):
    """One station takes the request: its coordinators alone act on it from now (a race is a 409)."""
    policy.check_need_station(actor, station_id)
    station = db.session.get(Station, station_id)
    if station is None:
        raise ValidationError({"station_id": [msg("no station with id {station_id}", station_id=station_id)]})
    check_in_area([station], need.lat, need.lon, "station_id")
    taken = db.session.execute(update(NeedRequest).where(NeedRequest.id == need.id, NeedRequest.status == "new")
                               .values(status="taken", station_id=station.id, updated_at=utcnow()))
    if taken.rowcount != 1:
        raise Conflict("status", msg("this request has been taken already"))
    need.station = station
    _event(need, actor, "taken", station_id=station.id, station=station.name)
    _tell(need, "need_taken", station=station.name)


def suggested_skills(category, text, most=5):
    """Wanted skills for a task made from a request: the skills the vocabulary finds in its text (and those
    their names are good evidence for: strength 0.5 or more), those of
    its category first; the category's first skill leads when the text names none of it (a task counts
    for the category of its first skill in the coverage report)."""
    from matcher.skills import default_vocabulary  # scikit-learn: loaded when a task is made

    vocab = default_vocabulary()
    found = sorted(vocab.resolve(text).alternatives.items(), key=lambda kv: -kv[1])
    skills = [vocab.skills_[key] for key, strength in found if key in vocab.skills_ and strength >= 0.5]
    if category:
        ours = [s for s in skills if s.category == category]
        lead = ours or [next(s for s in vocab.skills_.values() if s.category == category)]
        skills = lead + [s for s in skills if s not in lead]
    return list(dict.fromkeys(s.zh for s in skills))[:most]


def _title(need):
    """The request's category and the start of its text: 为老服务：帮独居老人买菜."""
    line = need.text.splitlines()[0]  # the text is trimmed, never empty
    snippet = line if len(line) <= 30 else line[:30] + "…"
    return CATEGORIES[need.category][0] + "：" + snippet if need.category else snippet


def task_draft(need, now=None):
    """The task a request becomes unless the body says otherwise. Tasks are seen by every volunteer, so
    it carries no contact detail: its place is the 500 m cell's centre of the request's place, and the
    station gives the address to the people who accept. It starts at 09:00 on the first day of the
    request's dates, or tomorrow (as soon as possible, or dates begun), for two hours."""
    today = (now or utcnow()).astimezone(LOCAL_TZ).date()
    day = max(need.from_date or today, today + dt.timedelta(days=1))
    starts = dt.datetime.combine(day, dt.time(TASK_START_HOUR), tzinfo=LOCAL_TZ).astimezone(dt.UTC)
    lat, lon = coarse_point(need.lat, need.lon)
    return {"station_id": need.station_id, "title": _title(need)[:200], "description": need.text,
            "skills": suggested_skills(need.category, need.text), "lat": lat, "lon": lon, "district": need.district,
            "starts_at": starts, "ends_at": starts + dt.timedelta(hours=TASK_HOURS),
            "target_group": TARGET_GROUP_LABELS.get(need.target_group)}


def to_task(actor, need_id, data):
    """Turn a taken request into a new task of its station (`task_draft`, with the body's fields over it),
    or attach it to an existing open task of that station (`{"task_id": …}`)."""
    need = policy.visible_need(actor, need_id)
    if need.status == "new":
        raise Conflict("status", msg("take this request first"))
    if need.status != "taken":
        raise Conflict("status", msg("this request has a task, or has moved on, already"))
    if "task_id" in data:
        task = policy.station_task(actor, data["task_id"])
        if task.station_id != need.station_id:
            raise ValidationError({"task_id": [msg("task {task_id} is not of the station that took this request",
                                                   task_id=task.id)]})
        if task.status not in ("open", "filled"):
            raise ValidationError({"task_id": [msg("task {task_id} is no longer open", task_id=task.id)]})
        what = "task_attached"
    else:
        body = {**task_draft(need), **data}
        check_window(body["starts_at"], body["ends_at"])
        task = tasks.add(actor, body)
        what = "task_created"
    need.task_id, need.status = task.id, "task_created"
    _event(need, actor, what, task_id=task.id)
    _tell(need, "need_task", station=_station_name(need), starts_at=task.starts_at.isoformat(),
          ends_at=task.ends_at.isoformat())
    db.session.commit()
    return need


def route_station(station):
    """Queue for a (new or changed) station the untaken requests inside its area, and take out of its
    queue those now outside. Not committed: the station's change commits it."""
    untaken = select(NeedRequest.id).where(NeedRequest.station_id.is_(None), NeedRequest.status != "closed")
    rows = db.session.execute(select(NeedRequest.id, NeedRequest.lat, NeedRequest.lon)
                              .where(NeedRequest.id.in_(untaken))).all()
    db.session.execute(delete(need_station).where(need_station.c.station_id == station.id,
                                                  need_station.c.need_id.in_(untaken)))
    if not rows:
        return
    km = haversine_km(station.lat, station.lon, np.array([r.lat for r in rows]), np.array([r.lon for r in rows]))
    inside = [{"need_id": r.id, "station_id": station.id} for r, d in zip(rows, km, strict=True)
              if d <= station.service_area_km]
    if inside:
        db.session.execute(insert(need_station), inside)
