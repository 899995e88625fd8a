"""Import a volunteer table: clean, validate like the API, de-duplicate, write in batches, report.

One row at a time from a stream (memory does not grow with the file). Each row is validated by
the API's own VolunteerSchema; a row that names a person already known (same external_id, else
ID number, else phone; in the database or earlier in the file) updates that person. Rows are
written in batches, one transaction each, so an interrupted import leaves whole batches and a
rerun finishes the job: a row whose data is already stored counts as unchanged. With jobs > 1,
worker processes read and validate rows (`_Importer.prepare`, see parallel.py) and this process
does the rest in file order.
"""
import contextlib
import csv
import dataclasses
import gc
import hashlib
import itertools
import json
import os
import struct
import sys
import time
from dataclasses import dataclass, field

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from ...auth import policy
from ...auth.principal import command_line
from ...common.bulk_load import MAX_REMEMBERED, BulkLoader
from ...common.bulk_write import BulkWriter
from ...common.personal import mask_id_number, mask_phone, normalize_id_number, normalize_phone
from ...common.schemas import app_gazetteer
from ...common.spreadsheet import safe_row
from ...common.text import english, msg
from ...config import Config
from ...extensions import db
from ...models import Station, Volunteer
from ...volunteers.schemas import VolunteerSchema
from .. import people
from .cells import CELLS_VERSION, clean, parse_availability, phone_text, split_list
from .headers import ACTIVE_WORDS, ROLE_WORDS, SAMPLE_ROWS, TIER_WORDS, Sample, describe, names_people, read_headers
from .lock import import_lock
from .parallel import auto_jobs, prepared_rows
from .reader import Limits, TableError, clip, listed, open_table

BATCH_ROWS = 5000

KEY_FIELDS = ("external_id", "id_number", "phone")
STORED = ("source_hash", "external_id", "name", "role", "phone", "id_number", "skills", "certificates", "languages", "address",
          "district", "lat", "lon", "max_distance_km", "availability", "max_hours_per_week", "station_id", "tier", "active")
STORED_SET = frozenset(STORED)


@dataclass
class Summary:
    """What an import did."""

    path: str
    dry_run: bool = False
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    unknown_columns: list = field(default_factory=list)
    # How each imported column was read: {"column", "field", "how" (header, similar header, values or
    # mapping), "like" (the alias it resembles, or what its values showed)}, in file order.
    columns_read: list = field(default_factory=list)
    elapsed: float = 0.0
    saved: dict = field(default_factory=dict)  # the counts as of the last commit (what is written)

    def counts(self):
        """created, updated, unchanged and rejected so far."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected}

    @property
    def rows_per_second(self):
        return self.read / self.elapsed if self.elapsed else 0.0

    @property
    def exit_status(self):
        """0 when every row was accepted, 1 when some were rejected."""
        return 1 if self.rejected else 0

    def columns_text(self):
        """Which column was read as which field, on one line (for a job's message)."""
        if not self.columns_read:
            return msg("columns read: none")
        return msg("columns read: {columns}", columns=[describe(c) for c in self.columns_read])

    def lines(self):
        """The human summary printed at the end."""
        verb = "would be " if self.dry_run else ""
        return [
            f"{self.path}: read {self.read} rows in {self.elapsed:.1f} s ({self.rows_per_second:,.0f} rows/s)"
            + (" — dry run, nothing written" if self.dry_run else ""),
            f"  created {verb}{self.created}, updated {verb}{self.updated}, unchanged {self.unchanged}, rejected {self.rejected}",
            "  columns read as:", *(f"    {describe(c)}" for c in self.columns_read),
            "  unknown columns (not imported): " + (", ".join(self.unknown_columns) if self.unknown_columns else "none"),
        ]


class Report:
    """Rejected fields, one line each: row, column, value, reason (CSV in UTF-8 with BOM, for Excel)."""

    def __init__(self, path, masked_columns=(), say=english):
        self.masked_columns = set(masked_columns)  # the source columns that hold ID numbers
        self.say = say  # the reader's language (web.i18n.say in a job started over HTTP)
        # Open for the report's life: written row by row, closed by close().
        self.handle = open(path, "w", encoding="utf-8-sig", newline="") if path else None  # noqa: SIM115
        self.writer = csv.writer(self.handle) if self.handle else None
        if self.writer:
            self.writer.writerow([say(msg("row")), say(msg("column")), say(msg("value")), say(msg("reason"))])

    def reject(self, row, column, value, reason):
        """Write one problem; ID numbers are masked, even in the report, and long values clipped."""
        if self.writer:
            if type(value) in (list, dict):  # a JSON line's value, as JSON
                value = json.dumps(value, ensure_ascii=False)
            if column in self.masked_columns and value and len(value) > 8:
                value = mask_id_number(value)
            value = clip(value) if isinstance(value, str) else "" if value is None else value
            self.writer.writerow(safe_row([row, clip(column, 100), value, clip(self.say(reason), 500)]))

    def close(self):
        if self.handle:
            self.handle.close()


_ABSENT = 0  # the hash slot of a field a row does not set


def _fingerprint(data, fields):
    """8 bytes of hash per field (0 where `data` lacks it): tells 'unchanged' without keeping rows.

    Packed into bytes so 100,000 stored people cost about 10 MB. Python's string hash is salted per
    process, which is fine: both sides are hashed in this run (workers are forked from it).
    """
    hashes = []
    for f in fields:
        if f in data:
            value = data[f]
            hashes.append((hash(value) if type(value) in _SCALARS else _hash(value)) or 1)
        else:
            hashes.append(_ABSENT)
    return struct.pack(f"{len(fields)}q", *hashes)


_SCALARS = (str, float, int, bool, type(None))


def _hash(value):
    """A hash that ignores dict key order (PostgreSQL's JSONB reorders keys)."""
    if type(value) is list:
        return hash(tuple([_hash(v) if type(v) in (list, dict) else v for v in value]))
    if type(value) is dict:
        try:
            return hash(frozenset(value.items()))
        except TypeError:  # nested lists or dicts
            return hash(frozenset((k, _hash(v)) for k, v in value.items()))
    return hash(value)


def _same(stored, incoming):
    """Whether every field the incoming row sets already has that value."""
    n = len(incoming) // 8
    return all(new in (_ABSENT, old)
               for old, new in zip(struct.unpack(f"{n}q", stored), struct.unpack(f"{n}q", incoming)))


def _merge(stored, incoming):
    """The stored fingerprint after writing the incoming fields."""
    n = len(incoming) // 8
    return struct.pack(f"{n}q", *(old if new == _ABSENT else new
                                  for old, new in zip(struct.unpack(f"{n}q", stored), struct.unpack(f"{n}q", incoming))))


OUTSIDE = msg("registered with a station this import may not change")
UNVERIFIED = "unverified"  # a stored person who registered themselves (see _Importer._refusal)


class _Importer:
    """The state of one import run."""

    def __init__(self, path, columns, headers, mapping_fields, *, dry_run, report, station_id, actor, max_cell_chars,
                 typed=False):
        self.path, self.columns, self.headers, self.actor = path, columns, headers, actor
        self.max_cell_chars = max_cell_chars
        self.typed = typed  # JSON Lines: lists and objects are the API's own values, taken as they are
        scope = policy.station_scope(actor)
        # A coordinator's import (`scope`: their station ids) touches only the people of those
        # stations (policy.may_change_person); a row whose key belongs to anyone else is refused,
        # not merged. Nor is a row merged into a person whose identity keys nobody has vouched for.
        self.scope = frozenset(scope) if scope is not None else None
        self.refused = {}  # stored person id -> why this import may not write them (UNVERIFIED or OUTSIDE)
        self.dry_run, self.report, self.default_station = dry_run, report, station_id
        # Loaded data is only read (stored, hashed), so the loaders may hand out shared lists.
        self.schema = BulkLoader(VolunteerSchema(), copy=False)
        self.patch_schema = BulkLoader(VolunteerSchema(partial=True), copy=False)
        self.fields = self._written_fields(mapping_fields)
        self.stations = {}
        for sid, name in db.session.execute(select(Station.id, Station.name)):
            self.stations[str(sid)] = self.stations[name] = sid
        self.keys = {f: {} for f in KEY_FIELDS}  # value -> person id (or a pending row tag)
        self.key_of = {}  # person id -> stored (external_id, id_number, phone)
        self.sources = {}  # source row hash -> person id, for rows already imported as they are
        # A row already imported as it is counts as unchanged: unless the way cells are read has changed
        # since (CELLS_VERSION), so a re-import corrects what an older parser stored.
        self.signature = repr((sorted(columns.items()), station_id, CELLS_VERSION)).encode()
        self._prints = None  # person id -> fingerprint of the imported fields, loaded when first needed
        self.file_rows = {f: {} for f in KEY_FIELDS}  # value -> (row number, fingerprint) seen in this file
        self._load_existing()
        self.creates, self.updates, self.hash_only = [], [], []
        self.writer = BulkWriter(db.session, people.PEOPLE)
        self.cells = {}  # field -> cell text -> what _body read from it (lists shared between rows)
        self.next_tag = -1
        # The columns of a table's coordinates (their places are looked up a chunk at a time: `prepare_many`).
        where = {f: i for i, f in columns.items()}
        self.point_columns = (where["lat"], where["lon"]) if not typed and "lat" in where and "lon" in where else None
        self._read_ahead = {}  # id(values) -> `_read` of rows `prepare_many` read ahead

    def _written_fields(self, mapped):
        """Stored fields this file can change: its mapped columns, and the place they imply."""
        written = set(mapped) - {"station", "lat", "lon", "location"}
        if "station" in mapped or self.default_station is not None:
            written.add("station_id")
        if {"lat", "lon", "location", "address"} & set(mapped):
            written |= {"lat", "lon", "district"}
        return sorted(f for f in written if f in STORED)

    def _refusal(self, person_id):
        """Why this import may not write a stored person (built when a row meets them: one shared
        marker per person in the map, not a message each)."""
        why = self.refused[person_id]
        if why is not UNVERIFIED:
            return why
        number = f" ({people.volunteer_number(person_id)})" if self.scope is None else ""
        return msg("possible duplicate of a person{number} who registered themselves; staff confirm their identity "
                   "(PATCH identity_verified) before an import may update them", number=number)

    def _load_existing(self):
        """Key maps of everyone stored (a few bytes per person); fingerprints wait until needed."""
        cols = [getattr(Volunteer, f) for f in ("id", "source_hash", "station_id", "identity_verified", *KEY_FIELDS)]
        # Streamed in chunks (a server-side cursor on PostgreSQL): memory holds the maps, not the rows.
        stream = db.session.execute(select(*cols).execution_options(yield_per=5000)).mappings()
        for row in stream:
            if not row["identity_verified"]:
                self.refused[row["id"]] = UNVERIFIED  # said with the person's number when a row meets them
            elif self.scope is not None and row["station_id"] not in self.scope:
                self.refused[row["id"]] = OUTSIDE
            if row["source_hash"]:
                self.sources[row["source_hash"]] = row["id"]
            for f in KEY_FIELDS:
                if row[f] is not None:
                    self.keys[f][row[f]] = row["id"]
            self.key_of[row["id"]] = tuple(row[f] for f in KEY_FIELDS)

    @property
    def prints(self):
        """Fingerprints of everyone stored, read on first use: a re-import of an unchanged file, where
        every row takes the source-hash fast path, never decodes anyone's stored fields."""
        if self._prints is None:
            self._prints = {}
            cols = [Volunteer.id, *(getattr(Volunteer, f) for f in self.fields)]
            for row in db.session.execute(select(*cols).execution_options(yield_per=5000)).mappings():
                self._prints[row["id"]] = _fingerprint(row, self.fields)
        return self._prints

    def column(self, name):
        """The source header of a field, for the report."""
        for i, f in self.columns.items():
            if f == name:
                return self.headers[i] if str(self.headers[i]).strip() else f"column {i + 1}"
        return name

    def source(self, values):
        """The hash of a row as read (with this file's columns): stored with the person it gave."""
        return hashlib.blake2b(self.signature + repr(values).encode(), digest_size=16).hexdigest()

    def needs_preparing(self, source):
        """Whether a row with this source hash may need `prepare` (it is not a known, unchanged row)."""
        known = self.sources.get(source)
        return known is None or known in self.refused

    def prepare(self, values):
        """A row read and validated as a new person: all of its handling that does not depend on
        the rows before it, so worker processes can do it in parallel (see parallel.py).

        Returns (keys, problems, loaded): the row's normalised external_id, ID number and phone; the
        cells that cannot be read; and, when every cell can, the full schema's (data, fingerprint,
        problems), with data converted for `BulkWriter.insert`.
        """
        read = self._read_ahead.pop(id(values), None)  # read already by prepare_many
        if read is None or read[0] is not values:
            read = self._read(values)
        return self._validated(*read[1:])

    def prepare_many(self, rows):
        """`prepare` of each of `rows` (the exception instead, for a row whose handling raised one).

        Rows are read first, then the points of those that will be validated are placed in one call
        (`Gazetteer.reverse_many`), so validating each row (which places its point) finds its answer
        instead of searching the polygons point by point: a file whose rows each have their own
        coordinates. The outcome is `prepare`'s.
        """
        points = []
        for values in rows:
            with contextlib.suppress(Exception):  # the row's own error: `prepare` meets it again
                read = self._read_ahead[id(values)] = self._read(values)
                body = read[3]
                if body is not None and not read[2] and type(body.get("location")) is dict and not body.get("district"):
                    points.append(body["location"])
        if points and self.point_columns is not None:
            with contextlib.suppress(Exception):  # only a shortcut: each row's validation places its own point
                app_gazetteer().reverse_many([p.get("lat") for p in points], [p.get("lon") for p in points])
        prepared = []
        try:
            for values in rows:
                try:
                    prepared.append(self.prepare(values))
                except Exception as exc:  # noqa: BLE001 - the row's own error, handed back in its place
                    prepared.append(exc)
        finally:
            self._read_ahead.clear()
        return prepared

    def _read(self, values):
        """(values, raw, problems, body): the row, its cleaned cells, what cannot be read, and its API body
        (None when a cell is too long to be read at all)."""
        raw = self._raw(values)
        problems = [(self.column(f), text, msg("{size:,} characters: a cell may have at most {most:,} (IMPORT_MAX_CELL_CHARS)",
                                               size=_size(text), most=self.max_cell_chars)) for f, text in raw.items()
                    if text and (len(text) if type(text) is str else _size(text)) > self.max_cell_chars]
        if problems:  # not read any further: parsing a long cell costs time, storing it space
            return values, raw, problems, None
        return values, raw, problems, self._body(raw, problems)

    def _validated(self, raw, problems, body):
        """`prepare`'s result for a row `_read` gave."""
        if body is None:
            return (None,) * len(KEY_FIELDS), problems, None
        keys = tuple(body.get(f) for f in KEY_FIELDS)
        if problems:
            return keys, problems, None
        data, fingerprint, problems = self._load(self.schema, raw, body)
        if data is not None:  # a new person's row, its values already as the database driver takes them
            data = self.writer.convert(data, only=STORED_SET)
        return keys, [], (data, fingerprint, problems)

    def warm(self):
        """Build, before worker processes are forked (they then share it), what their rows will need:
        the polygons that place coordinates."""
        if self.point_columns is not None:
            app_gazetteer().prepare_reverse()

    def _raw(self, values):
        if self.typed:
            return {f: _typed(values[i]) if i < len(values) else None for i, f in self.columns.items()}
        return {f: clean(values[i]) if i < len(values) else None for i, f in self.columns.items()}

    def _load(self, schema, raw, body):
        """(data, fingerprint of what would be stored, []) or (None, None, the schema's problems)."""
        try:
            data = schema.load(body)
        except ValidationError as exc:
            return None, None, [(self._source(name), raw.get(name) if name in raw else body.get(name), _text(messages))
                                for name, messages in exc.normalized_messages().items()]
        stored = {f: data[f] for f in self.fields if f in data}
        if self.default_station is not None and "station_id" not in data and "station_id" in self.fields:
            stored["station_id"] = self.default_station
        return data, _fingerprint(stored, self.fields), []

    def row(self, number, values, source=None, prepared=None):
        """Handle one source row; return 'created', 'updated', 'unchanged' or 'rejected'.

        `source` and `prepared` are this row's `source` and `prepare` results when a worker made them.
        """
        source = source or self.source(values)
        known = self.sources.get(source)
        if known is not None and known not in self.refused and self._claim(number, known):
            return "unchanged"  # this very row was imported before and nobody has changed the person since
        keys, problems, loaded = prepared or self.prepare(values)
        body = dict(zip(KEY_FIELDS, keys))
        problems = list(problems)
        match = None
        for rank, f in enumerate(KEY_FIELDS):
            if body.get(f):
                match = self.keys[f].get(body[f])
                if match in self.refused:
                    problems.append((self.column(f), self._cell(values, f), self._refusal(match)))
                    match = None
                    break
                if match is not None:
                    # Matched by a weaker key, but a stronger one differs: two people, not one.
                    for k, stronger in enumerate(KEY_FIELDS[:rank]):
                        stored = self.key_of.get(match, (None,) * len(KEY_FIELDS))[k]
                        if body.get(stronger) and stored and stored != body[stronger]:
                            problems.append((self.column(f), self._cell(values, f),
                                             msg("this {field} belongs to a stored person with another {other}",
                                                 field=f, other=stronger)))
                    break
        if not problems:
            if match is not None:  # an update: only the fields the row sets are checked and written
                raw = self._raw(values)
                loaded = self._load(self.patch_schema, raw, self._body(raw, []))
            data, fingerprint, problems = loaded
        if not problems:
            for f in KEY_FIELDS:  # a key that belongs to someone else is a conflict, not a merge
                owner = self.keys[f].get(data.get(f)) if data.get(f) else None
                if owner is not None and owner != match:
                    problems.append((self.column(f), self._cell(values, f),
                                     self._refusal(owner) if owner in self.refused
                                     else msg("{field} already belongs to another person", field=f)))
            if self.scope is not None and data.get("station_id") is not None and data["station_id"] not in self.scope:
                problems.append((self.column("station"), self._cell(values, "station"), msg("not one of your stations")))
        if problems:
            for column, value, reason in problems:
                self.report.reject(number, column, value, reason)
            return "rejected"
        if self.default_station is not None and "station_id" not in data:
            data["station_id"] = self.default_station
        seen = self._seen_in_file(data)
        if seen is not None:
            key, (first_row, first_print) = seen
            if isinstance(first_print, tuple):  # ("stored", id): an earlier row that matched them as stored
                first_print = self.prints[first_print[1]]
            if first_print == fingerprint:
                return "unchanged"
            self.report.reject(number, "", "", msg("same person as row {row} but with different data "
                                                   "({key} {value} is also row {row}'s)",
                                                   row=first_row, key=key, value=_masked(key, data[key])))
            return "rejected"
        self._remember(number, data, fingerprint)
        data["source_hash"] = source
        if match is not None:
            stored = {f: data[f] for f in (*self.fields, "source_hash") if f in data}
            if _same(self.prints[match], fingerprint):
                self.hash_only.append({"id": match, "source_hash": source})  # next time: the fast path
                return "unchanged"
            self.prints[match] = _merge(self.prints[match], fingerprint)
            self.updates.append((match, stored))
            old = self.key_of.get(match, (None,) * len(KEY_FIELDS))
            self.key_of[match] = tuple(data.get(f) or o for f, o in zip(KEY_FIELDS, old))
            return "updated"
        tag = self.next_tag
        self.next_tag -= 1
        for f in KEY_FIELDS:
            if data.get(f):
                self.keys[f][data[f]] = tag
        self.creates.append(data)
        return "created"

    def _cell(self, values, name):
        """The cleaned cell of a field in a row, for the report (None if the file has no such column)."""
        found = None
        for i, f in self.columns.items():
            if f == name:
                found = (_typed if self.typed else clean)(values[i]) if i < len(values) else None
        return found

    def _claim(self, number, person_id):
        """Note a known unchanged person as seen at this row; False if an earlier row gave them other data."""
        keys = dict(zip(KEY_FIELDS, self.key_of.get(person_id, (None,) * len(KEY_FIELDS))))
        # The row is what was stored: its fingerprint is the person's, named rather than computed.
        fingerprint = self._prints[person_id] if self._prints is not None else ("stored", person_id)
        for f, value in keys.items():
            if value and value in self.file_rows[f] and self.file_rows[f][value][1] != fingerprint:
                return False
        for f, value in keys.items():
            if value:
                self.file_rows[f].setdefault(value, (number, fingerprint))
        return True

    def _seen_in_file(self, data):
        """(the key, (row number, fingerprint)) of the first key of `data` an earlier row of the file had, or None."""
        for f in KEY_FIELDS:
            if data.get(f) and data[f] in self.file_rows[f]:
                return f, self.file_rows[f][data[f]]
        return None

    def _remember(self, number, data, fingerprint):
        for f in KEY_FIELDS:
            if data.get(f):
                self.file_rows[f][data[f]] = (number, fingerprint)

    def _source(self, name):
        if name == "location" and "lat" in self.columns.values():
            return self.column("lat") + "/" + self.column("lon")
        return self.column(name)

    def _once(self, field, text, read):
        """`read(text)`, one list per distinct cell: rows repeating a cell share it (see BulkLoader's Memo)."""
        seen = self.cells.setdefault(field, {})
        value = seen.get(text)
        if value is None:
            value = read(text)
            if len(seen) < MAX_REMEMBERED:
                seen[text] = value
        return value

    def _body(self, raw, problems):
        """Turn cleaned cells into an API body, noting cells that cannot be read.

        A JSON line's list or object (skills, availability, location ...) is the API's own form: it goes to
        the schema as it is, which judges it as `POST /api/v1/volunteers` would.
        """
        body = {}
        for f in ("name", "external_id", "address", "id_number", "district"):
            if raw.get(f) is not None:
                body[f] = raw[f]
        for f in ("skills", "certificates", "languages"):
            if f in raw:
                value = raw[f]
                body[f] = value if type(value) in _JSON else self._once(f, value, split_list)
        phone = raw.get("phone")
        if phone:
            if type(phone) is str:
                try:
                    body["phone"] = normalize_phone(phone_text(phone))
                except ValueError as exc:
                    problems.append((self.column("phone"), phone, exc.args[0]))
            else:
                body["phone"] = phone
        if body.get("id_number") and type(body["id_number"]) is str:
            try:
                body["id_number"] = normalize_id_number(body["id_number"])
            except ValueError as exc:
                problems.append((self.column("id_number"), body.pop("id_number"), exc.args[0]))
        availability = raw.get("availability")
        if availability:
            if type(availability) in _JSON:
                body["availability"] = availability
            else:
                try:
                    body["availability"] = self._once("availability", availability, parse_availability)
                except ValueError as exc:
                    problems.append((self.column("availability"), availability, exc.args[0]))
        location = raw.get("location")
        if location is not None:
            if type(location) is str:  # a table's "location" column: a place written out
                body.setdefault("address", location)
            else:
                body["location"] = location
        if raw.get("lat") or raw.get("lon"):
            try:
                body["location"] = {"lat": float(raw["lat"]), "lon": float(raw["lon"])}
            except (TypeError, ValueError):
                problems.append((self._source("location"), f"{raw.get('lat')}, {raw.get('lon')}",
                                 msg("not a latitude/longitude pair")))
        for f, words in (("role", ROLE_WORDS), ("tier", TIER_WORDS), ("active", ACTIVE_WORDS)):
            value = raw.get(f)
            if value:
                word = words.get(value.casefold()) if type(value) is str else None
                if word is None:
                    problems.append((self.column(f), value, msg("not one of: {words}", words=", ".join(sorted(set(words))))))
                else:
                    body[f] = word
        for f in ("max_distance_km", "max_hours_per_week"):
            value = raw.get(f)
            if value:
                number = value.casefold().replace("km", "").replace("公里", "").replace("千米", "").replace("小时", "").strip() \
                    if type(value) is str else ""
                try:
                    body[f] = float(number)
                except ValueError:
                    problems.append((self.column(f), value, msg("not a number")))
        station = raw.get("station")
        if station:
            sid = self.stations.get(station) if type(station) is str else None
            if sid is None:
                problems.append((self.column("station"), station, msg("no station with this id or name")))
            else:
                body["station_id"] = sid
        return body

    def flush(self):
        """Write the pending batch in one transaction (nothing in a dry run)."""
        creates, updates, hash_only = self.creates, self.updates, self.hash_only
        self.creates, self.updates, self.hash_only = [], [], []
        if self.dry_run or not (creates or updates or hash_only):
            return
        people.write_batch(self.actor, self.writer, creates, updates, hash_only, self.fields)


_JSON = (list, dict)


def _typed(value):
    """A JSON line's value: a list or object as it is, anything else as a cleaned cell."""
    return value if type(value) in _JSON else clean(value)


def _size(value):
    """A cell's length in characters (a JSON list or object: of its JSON text)."""
    return len(value) if type(value) is str else len(json.dumps(value, ensure_ascii=False))


def _masked(key, value):
    """A key's value as a message may show it: phones and ID numbers masked as the API masks them."""
    if key == "phone":
        return mask_phone(value)
    if key == "id_number":
        return mask_id_number(value)
    return clip(value, 40)


def _text(messages):
    """Marshmallow messages (list or nested dict) as one message, still to be said in the report's language."""
    if isinstance(messages, dict):
        return [msg("{field}: {why}", field=k, why=_text(v)) for k, v in messages.items()]
    if isinstance(messages, list):
        return _text(messages[0]) if len(messages) == 1 else [_text(m) for m in messages]
    return messages


@contextlib.contextmanager
def _fewer_collections():
    """Let the garbage collector run less often during an import, and skip what existed before it.

    An import allocates millions of small dicts and tuples that are never part of a cycle; with
    the default thresholds the collector's passes over the growing key maps cost about a tenth
    of the run.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, thresholds[1], thresholds[2])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


PROGRESS_EVERY = 500  # rows between two calls of `on_progress`


def limits_of(config):
    """The IMPORT_MAX_* settings as `import_volunteers`' bounds (IMPORT_MAX_ROWS -> max_rows)."""
    return {k.lower().removeprefix("import_"): v for k, v in config.items() if k.startswith("IMPORT_MAX_")}


def import_volunteers(path, *, mapping=None, dry_run=False, report_path=None, station_id=None, encoding=None,
                      sheet=None, progress=None, on_progress=None, actor=None, jobs=1,
                      max_rows=Config.IMPORT_MAX_ROWS, max_columns=Config.IMPORT_MAX_COLUMNS,
                      max_cell_chars=Config.IMPORT_MAX_CELL_CHARS, max_shared_strings=Config.IMPORT_MAX_SHARED_STRINGS,
                      max_shared_strings_bytes=Config.IMPORT_MAX_SHARED_STRINGS_BYTES,
                      max_unzipped_bytes=Config.IMPORT_MAX_UNZIPPED_BYTES, say=english):
    """Import a table file; return its Summary. Raises TableError when the file cannot be read at all,
    or not to its end (its `summary` then says what was done with the rows before; they are kept).

    ``jobs`` worker processes read and validate rows (see parallel.py; "auto": by file size and
    cores); the result is the same for any number.

    ``actor`` is who imports (default: the command line, with full rights). A coordinator's import
    may only create or change people of their stations (policy.may_change_person); rows matching
    anyone else are reported, not merged.
    ``on_progress(summary)``, if given, is called with the counts so far every PROGRESS_EVERY rows
    and once at the end (rows are written in batches of BATCH_ROWS).
    The ``max_*`` bounds (the IMPORT_MAX_* settings, see README) keep a hostile file from holding a
    worker: past one the file is refused, or the import stops there, or the row is rejected.
    """
    started = time.perf_counter()
    name = os.path.basename(path)  # messages say the file's own name, never the server's folder
    actor = dataclasses.replace(actor, via=f"import {name}"[:300]) if actor else command_line(f"import {name}")
    if station_id is not None and db.session.get(Station, station_id) is None:
        raise TableError(msg("--station {station_id}: no such station", station_id=station_id))
    limits = Limits(rows=max_rows, columns=max_columns, cell_chars=max_cell_chars, shared_strings=max_shared_strings,
                    shared_strings_bytes=max_shared_strings_bytes, unzipped_bytes=max_unzipped_bytes)
    kind, _, headers, rows, close = open_table(path, limits=limits, encoding=encoding, sheet=sheet,
                                               is_header=lambda cells: names_people(cells, mapping))
    try:
        if jobs == "auto":
            jobs = auto_jobs(path, kind)
        with contextlib.nullcontext() if dry_run else import_lock(db.engine):  # one writing import at a time
            return _run(name, kind, headers, rows, mapping, dry_run, report_path, station_id, progress, started,
                        on_progress, actor, jobs if kind != "jsonl" else 1, max_cell_chars, say)  # JSON Lines may add columns
    finally:
        close()


def _run(name, kind, headers, rows, mapping, dry_run, report_path, station_id, progress, started, on_progress=None,
         actor=None, jobs=1, max_cell_chars=Config.IMPORT_MAX_CELL_CHARS, say=english):
    """The import proper, over an opened table; `say` puts the report's words in its reader's language."""
    # The first rows are read ahead: where no header decides a column, its values may (once per file).
    ahead = list(itertools.islice(rows, SAMPLE_ROWS))
    rows = itertools.chain(ahead, rows)
    sample = Sample(values for _, values in ahead if not isinstance(values, Exception))
    found = read_headers(headers, mapping, sample)
    columns = found.columns
    if "name" not in columns.values():
        raise TableError(msg("{name}: no name column (looked for 姓名/name; found: {found})",
                             name=name, found=', '.join(listed(headers)) or 'nothing'))
    summary = Summary(path=name, dry_run=dry_run, columns_read=found.read,
                      unknown_columns=listed(found.unknown, chars=160))  # listed: a job's message stays small
    id_columns = [str(headers[i]) for i, f in columns.items() if f == "id_number"]
    report = Report(report_path, masked_columns=id_columns, say=say)
    importer = _Importer(name, columns, list(headers), set(columns.values()), dry_run=dry_run, report=report,
                         station_id=station_id, actor=actor, max_cell_chars=max_cell_chars, typed=kind == "jsonl")
    show = sys.stderr.isatty() if progress is None else progress
    stop = None
    try:
        with _fewer_collections():
            shown = tqdm(rows, disable=not show, unit=" rows", desc="importing")
            for number, values, source, prepared in prepared_rows(importer, iter(shown), jobs):
                if isinstance(values, TableError):  # the file ends here for us (damaged, or past a bound)
                    stop = values
                    break
                summary.read += 1
                if isinstance(values, Exception):
                    why = values.args[0] if values.args else str(values)
                    report.reject(number, "", "", msg("unreadable line: {error}", error=why))
                    summary.rejected += 1
                    continue
                if kind == "jsonl" and len(headers) != len(importer.headers):  # a line named new keys
                    found = read_headers(headers, mapping, sample)
                    importer.columns, importer.headers = found.columns, list(headers)
                    summary.columns_read, summary.unknown_columns = found.read, listed(found.unknown, chars=160)
                try:
                    outcome = importer.row(number, values, source, prepared)
                except SQLAlchemyError:
                    raise  # the database's trouble, not the row's
                except Exception as exc:  # noqa: BLE001 - whatever a row's data sets off is that row's error
                    report.reject(number, "", "", msg("could not be read: {error}", error=type(exc).__name__ + ": " + str(exc)))
                    outcome = "rejected"
                setattr(summary, outcome, getattr(summary, outcome) + 1)
                if len(importer.creates) + len(importer.updates) + len(importer.hash_only) >= BATCH_ROWS:
                    importer.flush()
                    summary.saved = summary.counts()
                if on_progress is not None and summary.read % PROGRESS_EVERY == 0:
                    on_progress(summary)
            importer.flush()  # the rows before a stop are good: kept (a rerun finds them unchanged)
            summary.saved = summary.counts()
    finally:
        report.close()
        if dry_run:
            db.session.rollback()
    summary.elapsed = time.perf_counter() - started
    if on_progress is not None:
        on_progress(summary)
    if stop is not None:
        if dry_run:
            raise TableError(msg("{stop} — the {rows:,} rows before it were checked (dry run)",
                                 stop=stop.args[0], rows=summary.read), summary)
        raise TableError(msg("{stop} — the {rows:,} rows before it were imported",
                             stop=stop.args[0], rows=summary.read), summary)
    return summary
