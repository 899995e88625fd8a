"""Database models: people, stations and service tasks."""
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import true

from .extensions import db
from .types import JSONList, UTCDateTime, utcnow

if TYPE_CHECKING:
    # db.Model is Flask-SQLAlchemy's copy of extensions.Base (same metadata and registry, plus table naming
    # and binds), made at runtime where mypy cannot see its type: mypy checks the models against Base.
    from .extensions import Base as Model
else:
    Model = db.Model


class TimestampMixin:
    """created_at / updated_at, aware and set by callables (never at import time)."""

    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False, index=True)


class PlacedMixin:
    """Rows with a point: `location` is the {lat, lon} view that schemas show."""

    @property
    def location(self):
        return {"lat": self.lat, "lon": self.lon}


class Station(PlacedMixin, TimestampMixin, Model):
    """A grassroots service station (community, office building, industrial park, village...)."""

    __tablename__ = "station"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False, default="community")
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(100), index=True)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    # Radius around the station that its tasks and its match requests must lie in (set by admins).
    service_area_km: Mapped[float] = mapped_column(Float, nullable=False, default=30.0, server_default="30")
    # Notifications: a WeCom group robot the station broadcasts task changes to (no personal data goes
    # there), and how many hours before an accepted service its people are reminded.
    group_webhook: Mapped[str | None] = mapped_column(String(500))
    reminder_hours: Mapped[list] = mapped_column(JSONList, nullable=False, default=lambda: [24, 2],
                                                 server_default="[24, 2]")


class Volunteer(PlacedMixin, TimestampMixin, Model):
    """A volunteer or a professional social worker."""

    __tablename__ = "volunteer"
    __table_args__ = (
        CheckConstraint("max_distance_km > 0 AND max_distance_km <= 500", name="radius"),
        Index("ix_volunteer_active_role", "active", "role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="volunteer")
    # The public identifier used in lists and exports instead of the ID-card number.
    volunteer_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone: Mapped[str | None] = mapped_column(String(11), unique=True)
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    skills: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    certificates: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    languages: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(100), index=True)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    max_distance_km: Mapped[float] = mapped_column(Float, nullable=False, default=10.0)
    availability: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    max_hours_per_week: Mapped[float | None] = mapped_column(Float)
    # Membership of a station, set by staff; a person may only ask to join (`requested_station_id`).
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="SET NULL"), index=True)
    requested_station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="SET NULL"), index=True)
    tier: Mapped[str] = mapped_column(String(20), nullable=False, default="regular")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Whether staff (or an import) vouch for the identity keys (phone, ID number): false for people
    # who signed up themselves or changed them since. An import never merges into such a record.
    identity_verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, server_default=true())

    station = relationship(Station, foreign_keys=[station_id])
    # Set from the people version counter on every write; the matcher reads changes since its last look.
    change_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, index=True)
    # Hash of the import row this person was last written from; any other write clears it, so a
    # re-import of an unchanged row is recognised without validating it again.
    source_hash: Mapped[str | None] = mapped_column(String(32))
    # Engagement, kept up to date by every assignment transition (in the same transaction), so
    # the matcher's reliability and fairness factors read them from its index, not per request.
    services_completed: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    services_dropped: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    # Hours served, decayed exponentially (see matcher/engagement.py) to `recent_hours_at`.
    recent_hours: Mapped[float] = mapped_column(Float, nullable=False, default=0.0, server_default="0")
    recent_hours_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # Reaching the person: an e-mail address (contact data, shown like the phone), the language of
    # their messages, and the channels they switched off (by a switch on their page or an SMS reply).
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="zh", server_default="zh")
    channels_off: Mapped[list] = mapped_column(JSONList, nullable=False, default=list, server_default="[]")
    # Hours without SMS, local ("22-8"); none: the deployment's NOTIFY_QUIET_HOURS.
    quiet_hours: Mapped[str | None] = mapped_column(String(5))
    # When the person last proved the phone with a one-time code (a proven phone is a verified key).
    phone_verified_at: Mapped[object | None] = mapped_column(UTCDateTime)


class PeopleVersion(Model):
    """One row: a counter bumped by every transaction that changes people (the matcher's change marker)."""

    __tablename__ = "people_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class VolunteerTombstone(Model):
    """A deleted person, so other processes drop them from their in-memory index."""

    __tablename__ = "volunteer_tombstone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(Integer, nullable=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)


class Task(PlacedMixin, TimestampMixin, Model):
    """A service task posted by a station: what, where, when, how many, which skills."""

    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="window"),
        CheckConstraint("headcount >= 1", name="headcount"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="RESTRICT"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    skills: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    required_skills: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="any")
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(100))
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    starts_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False, index=True)
    ends_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    headcount: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    target_group: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open", index=True)

    station = relationship(Station)


token_station = db.Table(
    "token_station",
    db.Column("token_id", ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True),
    db.Column("station_id", ForeignKey("station.id", ondelete="CASCADE"), primary_key=True),
)


class ApiToken(TimestampMixin, Model):
    """A bearer token: only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str | None] = mapped_column(String(200))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"), index=True)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime)

    stations = relationship(Station, secondary=token_station)

    @property
    def station_ids(self):
        return {s.id for s in self.stations}


class AuditEntry(Model):
    """Who read or changed which person's personal data, or asked for matches or a plan, and when."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    token_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(60), nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    volunteer_id: Mapped[int | None] = mapped_column(Integer, index=True)  # none for a match or plan call
    fields: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    path: Mapped[str] = mapped_column(String(300), nullable=False)
    # For match and plan calls: which task or body, and how many people were shown.
    detail: Mapped[dict | None] = mapped_column(JSONList)


ASSIGNMENT_STATUSES = ("invited", "accepted", "declined", "cancelled", "completed", "no_show", "expired")
LIVE = ("invited", "accepted")  # asked and not yet answered for good: the station may need to reach them
SEATED = ("accepted", "completed")  # holding a seat of the task and the person's time: accepted, or served


class Plan(TimestampMixin, Model):
    """A proposed batch of invitations for a station's tasks, kept until committed."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="proposed")
    token_id: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float, nullable=False)
    greedy_total: Mapped[float] = mapped_column(Float, nullable=False)
    # [{"task_id", "volunteer_id", "score"}] and [{"task_id", "seats", "reason"}]
    seats: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    unfilled: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    task_ids: Mapped[list] = mapped_column(JSONList, nullable=False, default=list)
    # A plan proposed on the queue (status `proposing`): the match options to solve it with; why it failed.
    options: Mapped[dict | None] = mapped_column(JSONList)
    message: Mapped[str | None] = mapped_column(String(500))


class Assignment(TimestampMixin, Model):
    """A person asked to serve on a task: invited -> accepted/declined -> completed, no-show or cancelled."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("task_id", "volunteer_id", name="task_person"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        Index("ix_assignment_volunteer_status", "volunteer_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), nullable=False, index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="invited")
    invited_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    responded_at: Mapped[object | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # Accepted, then cancelled by the person or not shown up: counts against reliability.
    dropped: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))

    task = relationship(Task)
    volunteer = relationship(Volunteer)
    record = relationship("ServiceRecord", back_populates="assignment", uselist=False)


class ServiceRecord(TimestampMixin, Model):
    """Hours served on a completed assignment: verified by the station, or self-reported until confirmed."""

    __tablename__ = "service_record"
    __table_args__ = (CheckConstraint("hours > 0", name="hours"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False, unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"), nullable=False, index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), nullable=False)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"), nullable=False, index=True)
    served_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    hours: Mapped[float] = mapped_column(Float, nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # verified | self_reported
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # confirmed | pending
    note: Mapped[str | None] = mapped_column(String(500))  # why the hours exceed the task's window
    recorded_by: Mapped[str] = mapped_column(String(60), nullable=False)
    confirmed_by: Mapped[str | None] = mapped_column(String(60))

    assignment = relationship(Assignment, back_populates="record")
    task = relationship(Task)
    station = relationship(Station)


class ImportJob(TimestampMixin, Model):
    """A bulk import of an uploaded file, run in the background; its progress is polled."""

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="SET NULL"))
    token_id: Mapped[int | None] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300), nullable=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")  # queued|running|done|failed
    rows_estimated: Mapped[int | None] = mapped_column(Integer)
    rows_read: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    # The language of whoever started it: its report's header and reasons are written in it.
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="en", server_default="en")
    # Runs started on the queue: a run whose worker died is started again, up to a bound.
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")


class ImportFile(Model):
    """An import's uploaded file, or its rejected-rows report, kept in the database so every host and
    worker can read it. The upload is deleted once the job has ended; reports after REPORT_DAYS."""

    __tablename__ = "import_file"

    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # upload | report
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


class ImportedPerson(Model):
    """A person an import job created or updated (written with the batch): the imports that touched them.

    Imports run from the command line have no job and leave no row (the audit log names their file)."""

    __tablename__ = "imported_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"), nullable=False)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(10), nullable=False)  # created | updated
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    job = relationship(ImportJob)


class ReportPicture(TimestampMixin, Model):
    """A coverage picture drawn on the queue: its filters, then the PNG (kept REPORT_DAYS, for any host to serve)."""

    __tablename__ = "report_picture"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")  # queued | done | failed
    filters: Mapped[dict] = mapped_column(JSONList, nullable=False, default=dict)
    lang: Mapped[str] = mapped_column(String(5), nullable=False, default="zh")
    message: Mapped[str | None] = mapped_column(String(500))
    png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


NOTIFICATION_KINDS = ("invitation", "reminder", "task_changed", "task_cancelled", "invitation_withdrawn",
                      "hours_verified", "hours_rejected", "sign_in_code",
                      "need_taken", "need_task", "need_served", "need_closed")
CHANNELS = ("inbox", "sms", "email", "group")
DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "skipped")


class Notification(Model):
    """An outbox row: something a person (or a station's group) should hear about, written in the
    same transaction as the event itself. Its deliveries, one per channel, carry it out."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    # A person's message, or a station group's broadcast (volunteer_id null).
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="zh")
    # What the templates fill in (task title, place, local times, hours...), as of the event.
    params: Mapped[dict] = mapped_column(JSONList, nullable=False, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    due_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at: Mapped[object | None] = mapped_column(UTCDateTime)

    assignment = relationship(Assignment)
    deliveries = relationship("Delivery", back_populates="notification", cascade="all, delete-orphan")


class Delivery(Model):
    """One notification over one channel: the idempotency key is (notification, channel), so two
    delivery workers never both send it; retried with backoff, then parked as failed with the reason."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="notification_channel"),
        Index("ix_delivery_due", "status", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_try_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    claimed_until: Mapped[object | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(500))

    notification = relationship(Notification, back_populates="deliveries")


class SignInCode(Model):
    """A one-time code sent by SMS to prove a phone (sign-in, or sign-up): only its hash is kept;
    it lasts 5 minutes, allows 5 tries and works once."""

    __tablename__ = "sign_in_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[object] = mapped_column(UTCDateTime, nullable=False)
    tries: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)


class UsedLink(Model):
    """A one-tap invitation link that has been used (its signature's hash): it works once."""

    __tablename__ = "used_link"

    link_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


# Residents' requests (issue 17): what a resident asks for, where the help is needed, how to reach them.
NEED_STATUSES = ("new", "taken", "task_created", "referred", "served", "closed")
NEED_URGENCIES = ("low", "normal", "high", "urgent")
NEED_TARGET_GROUPS = ("left_behind_children", "women", "elderly", "migrant_workers", "disabled", "others")
NEED_CLOSE_REASONS = ("done", "duplicate", "withdrawn", "unreachable", "out_of_area", "spam", "other")

# Which stations' queues a request is in: the stations whose service area covers its place (decided
# when it arrives, and again for a station whose place or area changes while the request is untaken).
need_station = db.Table(
    "need_station",
    db.Column("need_id", ForeignKey("need_request.id", ondelete="CASCADE"), primary_key=True),
    db.Column("station_id", ForeignKey("station.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class NeedRequest(PlacedMixin, TimestampMixin, Model):
    """A resident's request for help: new -> taken by one station -> task_created (or referred) -> served
    -> closed; closed with a reason at any point. The resident follows it with a secret token."""

    __tablename__ = "need_request"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        CheckConstraint("to_date IS NULL OR from_date IS NULL OR to_date >= from_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Shown to the resident and quoted on the phone; the follow-up needs the token, kept only as its SHA-256.
    reference: Mapped[str] = mapped_column(String(12), unique=True, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    category: Mapped[str | None] = mapped_column(String(30))  # one of matcher.categories.CATEGORIES
    text: Mapped[str] = mapped_column(Text, nullable=False)
    target_group: Mapped[str] = mapped_column(String(30), nullable=False)
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(100), index=True)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    # When: a range of local dates, or as soon as possible (no dates).
    from_date: Mapped[object | None] = mapped_column(Date)
    to_date: Mapped[object | None] = mapped_column(Date)
    asap: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    urgency: Mapped[str] = mapped_column(String(10), nullable=False, default="normal")
    # Personal data: shown like a volunteer's phone (masked until the station has taken the request).
    contact_name: Mapped[str] = mapped_column(String(100), nullable=False)
    phone: Mapped[str] = mapped_column(String(11), nullable=False)
    language: Mapped[str] = mapped_column(String(5), nullable=False, default="zh")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="new", index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="SET NULL"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id", ondelete="SET NULL"), index=True)
    close_reason: Mapped[str | None] = mapped_column(String(20))
    served_at: Mapped[object | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # The resident's rating of the service (民主评议), once served.
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[object | None] = mapped_column(UTCDateTime)

    station = relationship(Station)
    task = relationship(Task)
    events = relationship("NeedEvent", back_populates="need", order_by="NeedEvent.id", cascade="all, delete-orphan")


class NeedEvent(Model):
    """One step in a request's history: what happened, who did it (a token's label, or `resident`), when."""

    __tablename__ = "need_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need_request.id", ondelete="CASCADE"), nullable=False, index=True)
    what: Mapped[str] = mapped_column(String(30), nullable=False)
    actor: Mapped[str] = mapped_column(String(60), nullable=False)
    token_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    details: Mapped[dict] = mapped_column(JSONList, nullable=False, default=dict)

    need = relationship(NeedRequest, back_populates="events")
