"""Schema building blocks: NFKC-clean strings, places, local times, weekly slots."""
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app
from marshmallow import ValidationError, fields, post_load, pre_load, validate, validates_schema

from matcher.gazetteer import Gazetteer, PlaceNotFound

from ..common.text import msg

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Lone surrogates are not text, and PostgreSQL cannot store NUL: refuse both.
_SURROGATE = re.compile("[\ud800-\udfff\x00]")
_START = r"^(?:[01]\d|2[0-3]):[0-5]\d$"
_END = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"
# Service times outside this range are typing mistakes, and old dates get odd local-mean-time offsets.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def clean_text(value, form="NFKC"):
    """NFKC-normalise and trim every string inside a JSON value (full-width digits are common)."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise ValidationError(msg("text contains NUL or lone surrogate characters (not valid text)"))
        return unicodedata.normalize(form, value).strip()
    if isinstance(value, list):
        return [clean_text(v) for v in value]
    if isinstance(value, Mapping):  # JSON objects, and webargs' MultiDictProxy for query strings
        return {k: clean_text(v) for k, v in value.items()}
    return value


class BaseSchema(ma.Schema):
    """Every input schema: unknown fields are refused, strings arrive NFKC-normalised and trimmed."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @pre_load
    def _clean_strings(self, data, **kwargs):
        if isinstance(data, Mapping) and self._prose:
            return {k: clean_text(v, "NFC" if k in self._prose else "NFKC") for k, v in data.items()}
        return clean_text(data)

    @functools.cached_property
    def _prose(self):
        """The keys of Prose fields: a person's sentences keep their full-width punctuation (NFC only)."""
        return {f.data_key or name for name, f in self.load_fields.items() if isinstance(f, Prose)}


class Prose(fields.String):
    """Free text a person writes (a comment, a title): trimmed and NFC-normalised, so "，" and "：" stay
    as typed; the rest of the input is NFKC-normalised (full-width digits become digits)."""


def check_window(starts_at, ends_at):
    """A time window must end after it starts (422 on `ends_at`)."""
    if ends_at <= starts_at:
        raise ValidationError(msg("must be after starts_at"), field_name="ends_at")


class LocalDateTime(fields.AwareDateTime):
    """ISO 8601 datetime: naive input means Asia/Shanghai; output carries the +08:00 offset."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(EARLIEST, LATEST, max_inclusive=False))
        super().__init__(default_timezone=LOCAL_TZ, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None:
            value = value.astimezone(LOCAL_TZ)
        return super()._serialize(value, attr, obj, **kwargs)


class StringList(fields.List):
    """A list of short non-empty strings; duplicates dropped, order kept."""

    def __init__(self, max_items=50, max_length=100, **kwargs):
        inner = fields.String(validate=validate.Length(min=1, max=max_length))
        kwargs.setdefault("validate", validate.Length(max=max_items))
        super().__init__(inner, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        items = super()._deserialize(value, attr, data, **kwargs)
        return list(dict.fromkeys(items))


class StrictBoolean(fields.Boolean):
    """JSON true or false only: 0, 1 and "yes" are refused rather than guessed."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def Id(**kwargs):
    """An integer id reference (1 to 2**31-1), so oversized numbers are a 422, not a database error.

    Strict (JSON numbers only) unless told otherwise: query strings pass `strict=False`.
    """
    kwargs.setdefault("strict", True)
    return fields.Integer(validate=validate.Range(1, 2**31 - 1), **kwargs)


class NestedSchema(ma.Schema):
    """Schemas only loaded inside a BaseSchema, whose pre_load has already cleaned their strings."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


class LocationSchema(NestedSchema):
    """WGS-84 coordinates."""

    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))


class SlotSchema(NestedSchema):
    """A weekly recurring free slot, e.g. Saturday 09:00-12:00."""

    day = fields.String(required=True, validate=validate.OneOf(DAYS))
    start = fields.String(required=True, validate=validate.Regexp(_START, error=msg("must be HH:MM, 00:00 to 23:59")))
    end = fields.String(required=True, validate=validate.Regexp(_END, error=msg("must be HH:MM, 00:01 to 24:00")))

    @validates_schema
    def _end_after_start(self, data, **kwargs):
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError(msg("must be after start"), field_name="end")


class SlotList(fields.List):
    """A list of weekly slots. Validated by SlotSchema; identical lists (imports repeat a few
    patterns thousands of times) are validated once and the result reused."""

    _MAX_CACHED = 4096

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Length(max=100))
        super().__init__(fields.Nested(SlotSchema), **kwargs)
        self._valid = {}

    def _deserialize(self, value, attr, data, **kwargs):
        # A slot is always whole, also in a partial load (a PATCH): marshmallow would otherwise pass
        # the partial load on, and a slot without its `end` would be stored (and cached as valid).
        kwargs["partial"] = False
        key = repr(value) if isinstance(value, list) else None
        hit = self._valid.get(key) if key is not None else None
        if hit is None:
            hit = super()._deserialize(value, attr, data, **kwargs)
            if key is not None and len(self._valid) < self._MAX_CACHED:
                self._valid[key] = hit
        return [dict(slot) for slot in hit]


class PlacedSchema(BaseSchema):
    """A resource with a place: `location` coordinates or an `address` resolved offline.

    On load the place becomes `lat`, `lon` and `district` keys. `place_required`
    says whether a full (non-partial) load must name a place.
    """

    place_required = True

    location = fields.Nested(LocationSchema)
    address = fields.String(allow_none=True, validate=validate.Length(max=300))
    district = fields.String(allow_none=True, validate=validate.Length(max=100))

    @post_load
    def _resolve_place(self, data, **kwargs):
        location = data.pop("location", None)
        address = data.get("address")
        if location is not None:
            if "lat" not in location or "lon" not in location:
                # Partial loads (PATCH) reach nested schemas too: a place still needs both.
                raise ValidationError(msg("needs both lat and lon"), field_name="location")
            data["lat"], data["lon"] = location["lat"], location["lon"]
            if not data.get("district"):
                place = app_gazetteer().reverse(location["lat"], location["lon"])
                data["district"] = place.name if place else None
        elif address:
            try:
                place = app_gazetteer().resolve(address)
            except PlaceNotFound as exc:
                raise ValidationError(msg("cannot place this address: {why}", why=msg(exc.template, **exc.params)),
                                      field_name="address") from None
            data["lat"], data["lon"] = place.lat, place.lon
            if not data.get("district"):
                data["district"] = place.name
        elif self.place_required and not self.partial:
            raise ValidationError(msg("give `location` ({lat, lon}) or an `address`"), field_name="location")
        return data


@functools.cache
def gazetteer_for(default_province):
    """One shared gazetteer per default province (normally just one per process)."""
    return Gazetteer(default_province=default_province)


def app_gazetteer():
    """The gazetteer for this deployment, preferring its province for ambiguous names."""
    return gazetteer_for(current_app.config.get("DEFAULT_PROVINCE"))


def local_now():
    """The current time in Asia/Shanghai."""
    return dt.datetime.now(LOCAL_TZ)
