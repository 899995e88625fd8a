"""Every write of a person: sign-up, edits, deletion, engagement counters, and import batches.

Normalisation comes from the schemas; defaults, volunteer numbers, the people-version bump (the
matcher's change marker, see versioning.py) and the audit entry happen here, once, for each path.
Import batches bypass the ORM for speed (`write_batch`) but share the same rules and helpers.
"""
import datetime as dt
import functools
import json
import re
import unicodedata
from importlib import resources

from marshmallow import ValidationError
from sqlalchemy import Integer, delete, exists, func, insert, literal, literal_column, or_, select
from sqlalchemy.orm import contains_eager

from matcher.engagement import add_hours

from ..auth import audit, policy
from ..auth.principal import issue_token
from ..common.text import msg
from ..errors import Conflict
from ..extensions import db
from ..models import ApiToken, AuditEntry, ImportedPerson, ImportJob, Station, Volunteer
from ..types import JSONList, UTCDateTime, utcnow
from .versioning import next_version

PEOPLE = Volunteer.__table__
UNIQUE_FIELDS = ("external_id", "id_number", "phone")
IDENTITY_FIELDS = ("phone", "id_number")  # keys a person types themself: unverified until staff vouch
PERSONAL_FIELDS = ("phone", "id_number", "address", "lat", "lon")


def volunteer_number(person_id):
    """The public volunteer number of a person's id: VM and 8 digits."""
    return f"VM{person_id:08d}"


def number_people(volunteers):
    """Give flushed people their public volunteer number."""
    for volunteer in volunteers:
        volunteer.volunteer_number = volunteer_number(volunteer.id)


def personal_fields(data):
    """The personal-data fields present in `data` (a dict or a collection of names), as the audit log names them."""
    names = {"lat": "location", "lon": "location"}
    return sorted({names.get(f, f) for f in PERSONAL_FIELDS if f in data})


def check_station(station_id, field="station_id"):
    """Refuse a reference to a station that does not exist (a 422 on the field)."""
    if station_id is not None and db.session.get(Station, station_id) is None:
        raise ValidationError({field: [msg("no station with id {station_id}", station_id=station_id)]})


def check_unique(data, exclude_id=None):
    """Raise Conflict when another person already has this external_id, ID number or phone."""
    for field in UNIQUE_FIELDS:
        value = data.get(field)
        if value is None:
            continue
        stmt = select(Volunteer.id).where(getattr(Volunteer, field) == value)
        if exclude_id is not None:
            stmt = stmt.where(Volunteer.id != exclude_id)
        if db.session.scalar(stmt.limit(1)) is not None:
            raise Conflict(field, msg("another person already has this {field}", field=field))


def create(actor, data, sent):
    """Store a new person from validated schema data; return it.

    Public sign-up (an anonymous actor) also issues the person's own token, set on the returned
    object as `token` to be shown once; such a person's phone and ID number are unverified.
    """
    policy.check_may_register(actor, data)
    policy.check_person_fields(actor, data, sent)
    check_station(data.get("station_id"))
    check_station(data.get("requested_station_id"), "requested_station_id")
    check_unique(data)
    staff = policy.is_staff(actor)
    volunteer = Volunteer(**{"identity_verified": staff, **data})
    db.session.add(volunteer)
    db.session.flush()
    number_people([volunteer])
    token = None if staff else issue_token("volunteer", volunteer_id=volunteer.id, name="sign-up")[1]
    audit.log(actor, "create", volunteer.id, personal_fields(data))
    db.session.commit()
    if token:
        volunteer.token = token
    return volunteer


def update(actor, volunteer_id, data, sent):
    """Apply validated partial data to a stored person the actor may change; return them."""
    volunteer = policy.changeable_person(actor, volunteer_id, data)
    policy.check_person_fields(actor, data, sent, volunteer)
    check_station(data.get("station_id"))
    check_station(data.get("requested_station_id"), "requested_station_id")
    check_unique(data, exclude_id=volunteer.id)
    if not policy.is_staff(actor) and any(data.get(f, getattr(volunteer, f)) != getattr(volunteer, f)
                                         for f in IDENTITY_FIELDS):
        data["identity_verified"] = False  # newly typed by the person: nobody has vouched for it
    if data.get("station_id") is not None and data["station_id"] == volunteer.requested_station_id:
        data.setdefault("requested_station_id", None)  # the request to join is answered
    for key, value in data.items():
        setattr(volunteer, key, value)
    volunteer.source_hash = None  # no longer what any import file said
    if personal_fields(data):
        audit.log(actor, "update", volunteer.id, personal_fields(data))
    db.session.commit()
    return volunteer


def delete_person(actor, volunteer_id):
    """Remove a person, their tokens and their personal data (admins, or the person themself)."""
    volunteer = policy.own_person(actor, volunteer_id, msg("only the person or an admin may delete a person"))
    audit.log(actor, "delete", volunteer.id)
    # Explicitly, not only by ON DELETE CASCADE: a token must never outlive its person.
    db.session.execute(delete(ApiToken).where(ApiToken.volunteer_id == volunteer.id))
    db.session.delete(volunteer)
    db.session.commit()


# -- engagement counters: called inside an engagement transaction that holds the booking locks ----

def add_recent_hours(person, hours, served_at):
    """Fold hours (negative to take them back) served at `served_at` into the person's recent hours."""
    at = person.recent_hours_at.timestamp() if person.recent_hours_at else None
    total, at = add_hours(person.recent_hours, at, hours, served_at.timestamp())
    person.recent_hours = max(total, 0.0)
    person.recent_hours_at = _from_timestamp(at)


def count_service(person, hours, served_at):
    """A verified service: one more completed, and its hours."""
    person.services_completed += 1
    add_recent_hours(person, hours, served_at)


def count_drop(person):
    """Accepted, then dropped (cancelled by the person, or not shown up)."""
    person.services_dropped += 1


def _from_timestamp(seconds):
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


# -- import batches: the fast path ------------------------------------------------------------------

def batch_defaults(writer):
    """Every stored column's value for a new row that gives none (rows start from these)."""
    return writer.defaults() | {"skills": [], "certificates": [], "languages": [], "availability": [], "channels_off": []}


def write_batch(actor, writer, creates, updates, hash_only, fields):
    """Write an import batch in one transaction: new people (numbered), updates, and source hashes.

    `creates` are rows converted by `writer.convert`; `updates` are (id, {field: value});
    `hash_only` rows only record the source row of an unchanged person. `fields` are the columns
    the file can set; the audit entries name the actor, and the file through `actor.via`.
    """
    if hash_only:  # data unchanged: remember the source row only, no new version or timestamp
        writer.update(hash_only)
        if not (creates or updates):
            db.session.commit()
            return
    now = utcnow()
    version = next_version(db.session)
    new_rows = (PEOPLE.c.change_version == version) & (PEOPLE.c.created_at == now)  # this batch's new people
    if creates:
        # Every column in every row (executemany wants the same keys): defaults, then the row.
        blank = writer.convert({c.key: None for c in PEOPLE.columns} | batch_defaults(writer)
                               | {"created_at": now, "updated_at": now, "change_version": version,
                                  "identity_verified": True})
        ids = writer.new_ids(len(creates))
        writer.insert([{**blank, **c, "id": i, "volunteer_number": volunteer_number(i)}
                       for c, i in zip(creates, ids)], converted=True)
        _audit_created(actor, new_rows, now, personal_fields(fields))
    groups = {}
    for vid, stored in updates:
        groups.setdefault(tuple(sorted(stored)), []).append({"id": vid, **stored, "updated_at": now,
                                                              "change_version": version})
    for rows in groups.values():
        writer.update(rows)
    changed = [{"at": now, "token_id": actor.token_id, "actor": actor.label, "action": "update", "volunteer_id": vid,
                "fields": personal_fields(stored), "path": actor.via[:300], "detail": None}
               for vid, stored in updates]
    changed = [row for row in changed if row["fields"]]
    if changed:
        db.session.execute(insert(AuditEntry.__table__), changed)
    if actor.import_job_id is not None:  # an uploaded file's job: remember whom it touched
        _link_to_job(actor.import_job_id, new_rows if creates else None, [vid for vid, _ in updates], now)
    db.session.commit()


def _link_to_job(job_id, new_rows, updated_ids, now):
    """`imported_person` rows for a batch: the people it created (chosen like `_audit_created`) and updated."""
    table = ImportedPerson.__table__
    if new_rows is not None:
        chosen = select(literal(job_id, Integer()), PEOPLE.c.id, literal("created"),
                        literal(now, UTCDateTime())).where(new_rows)
        db.session.execute(insert(table).from_select(["job_id", "volunteer_id", "action", "at"], chosen))
    if updated_ids:
        db.session.execute(insert(table), [{"job_id": job_id, "volunteer_id": vid, "action": "updated", "at": now}
                                           for vid in updated_ids])


def _audit_created(actor, new_rows, now, fields):
    """One audit entry per person a batch created, naming the personal columns the file has."""
    if not fields:
        return
    chosen = select(literal(now, UTCDateTime()), literal(actor.token_id, Integer()), literal(actor.label),
                    literal("create"), PEOPLE.c.id, literal(fields, JSONList), literal(actor.via[:300])).where(new_rows)
    db.session.execute(insert(AuditEntry.__table__).from_select(
        ["at", "token_id", "actor", "action", "volunteer_id", "fields", "path"], chosen))


def listing(actor, filters):
    """The people the actor may list (a query): admins everyone; coordinators their stations' members
    and the people asking to join them. Filters: district, skill (and its synonyms), role, station,
    request, active, and `q` (a name, phone digits, a volunteer number or an external id: see `search`)."""
    scope = policy.person_list_scope(actor)
    stmt = select(Volunteer).order_by(Volunteer.id)
    if scope is not None:
        stmt = stmt.where(Volunteer.station_id.in_(scope) | Volunteer.requested_station_id.in_(scope))
    for name in ("district", "role", "station_id", "requested_station_id", "active"):
        if name in filters:
            stmt = stmt.where(getattr(Volunteer, name) == filters[name])
    if "skill" in filters:
        stmt = stmt.where(_has_skill(filters["skill"]))
    if filters.get("q"):
        stmt = stmt.where(search(actor, filters["q"]))
    return stmt


_PHONE_SEPARATORS = re.compile(r"[\s\-().+]")
MIN_PHONE_DIGITS = 4  # fewer digits are in nearly every phone: such a search means a volunteer number


def search(actor, text):
    """SQL condition: people `text` finds, as the people page's search box means it.

    Digits (spaces, dashes and a +86 prefix allowed) are, from 4 digits on (尾号 5678), phone digits
    anywhere in the number, but only among phones the actor may read (`policy.contact_clause`: no
    search is a way to learn a hidden number digit by digit); a volunteer number without its VM
    (``12`` is VM00000012); or the beginning of an external id. A volunteer number (VM and digits)
    is the beginning of one, or of an external id. Anything else is part of a name (any case), or
    the beginning of an external id. Numbers, whole phones and external ids use their unique indexes.
    """
    digits = _PHONE_SEPARATORS.sub("", text)
    if digits.isascii() and digits.isdigit():
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        found = [_starts_with(Volunteer.external_id, text)]
        if len(digits) >= MIN_PHONE_DIGITS:
            phone = Volunteer.phone == digits if len(digits) == 11 else Volunteer.phone.contains(digits, autoescape=True)
            readable = policy.contact_clause(actor)
            found.append(phone if readable is None else phone & readable)
        if len(digits) <= 8:
            found.append(Volunteer.volunteer_number == volunteer_number(int(digits)))
        return or_(*found)
    number = text.upper()
    if re.fullmatch(r"VM\d{1,8}", number):  # no name looks like this: two index lookups, no scan
        return or_(_starts_with(Volunteer.volunteer_number, number), _starts_with(Volunteer.external_id, text))
    return or_(Volunteer.name.icontains(text, autoescape=True), _starts_with(Volunteer.external_id, text))


def _starts_with(column, prefix):
    """SQL condition: the column starts with `prefix` (case as written). On SQLite a range, which its
    index answers (SQLite's LIKE uses an index only with case-insensitive collation)."""
    last = ord(prefix[-1])
    if db.engine.dialect.name == "sqlite" and last < 0x10FFFF:
        after = 0xE000 if 0xD7FF <= last < 0xE000 else last + 1  # past the surrogates, which are not text
        return (column >= prefix) & (column < prefix[:-1] + chr(after))
    return column.startswith(prefix, autoescape=True)


def _has_skill(word):
    """SQL condition: the person lists this skill word, or (when the matcher's vocabulary knows it)
    any name of the same canonical skill, compared without case or spaces (心理咨询 finds 心理疏导 and
    Counselling)."""
    names = sorted(_skill_synonyms().get(_term(word), {_term(word)}))
    if db.engine.dialect.name == "postgresql":
        elements = func.jsonb_array_elements_text(Volunteer.skills).table_valued("value")
    else:  # SQLite: json_each() turns the array into rows we can test
        elements = func.json_each(Volunteer.skills).table_valued("value")
    written = func.lower(func.replace(elements.c.value, " ", ""))
    return exists(select(literal_column("1")).select_from(elements).where(written.in_(names)))


def _term(text):
    """A skill word as compared here: NFKC, no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


@functools.cache
def _skill_synonyms():
    """{name: every name of its canonical skill}, from the matcher's vocabulary file (read as data:
    the vocabulary object takes seconds to build, the file milliseconds)."""
    data = json.loads(resources.files("matcher").joinpath("data", "skills.json").read_text("utf-8"))
    synonyms = {}
    for entry in data["skills"]:
        names = frozenset(_term(n) for n in (entry["zh"], entry["en"], entry["id"], *entry.get("synonyms", [])))
        for name in names:
            synonyms[name] = names
    return synonyms


def imports_of(actor, volunteer_id):
    """The imports that created or updated a person, newest first (a query over `imported_person`):
    staff who may know of the person; coordinators see their own stations' imports only."""
    person, scope = policy.person_import_scope(actor, volunteer_id)
    stmt = (select(ImportedPerson).join(ImportJob, ImportedPerson.job_id == ImportJob.id)
            .options(contains_eager(ImportedPerson.job))
            .where(ImportedPerson.volunteer_id == person.id).order_by(ImportedPerson.id.desc()))
    if scope is not None:
        stmt = stmt.where(ImportJob.station_id.in_(scope))
    return stmt
