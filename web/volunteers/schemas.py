"""Marshmallow schemas for people."""
from marshmallow import ValidationError, fields, post_dump, validate

from ..auth import policy
from ..auth.context import current_principal, record_read
from ..common.personal import mask_id_number, normalize_id_number, normalize_phone
from ..common.schemas import (
    BaseSchema,
    Id,
    LocalDateTime,
    LocationSchema,
    PlacedSchema,
    SlotList,
    StrictBoolean,
    StringList,
)
from ..common.text import msg

ROLES = ("volunteer", "social_worker")
LANGUAGES = ("zh", "en")
PERSON_CHANNELS = ("sms", "email")
TIERS = ("core", "regular")


class PhoneField(fields.String):
    """A Chinese mobile number; stored and shown as 11 digits."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_phone(text)
        except ValueError as exc:
            raise ValidationError(exc.args[0]) from None


class IdNumberField(fields.String):
    """A resident ID number: checksum-validated on input, masked on output."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalize_id_number(text)
        except ValueError as exc:
            raise ValidationError(exc.args[0]) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return mask_id_number(value)


class VolunteerSchema(PlacedSchema):
    """A volunteer or social worker as clients send and receive it."""

    id = fields.Integer(dump_only=True)
    volunteer_number = fields.String(dump_only=True, metadata={"description": "public volunteer number"})
    external_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(load_default="volunteer", validate=validate.OneOf(ROLES))
    phone = PhoneField(allow_none=True, metadata={"description": "Chinese mobile number; personal data"})
    id_number = IdNumberField(
        allow_none=True,
        metadata={"description": "Resident ID number (GB 11643); personal data, returned masked"},
    )
    email = fields.Email(allow_none=True, validate=validate.Length(max=254), metadata={
        "description": "e-mail address for notifications; personal data, shown like the phone"})
    language = fields.String(load_default="zh", validate=validate.OneOf(LANGUAGES), metadata={
        "description": "the language of the person's messages (zh or en)"})
    channels_off = fields.List(fields.String(validate=validate.OneOf(PERSON_CHANNELS)), load_default=list,
                               validate=validate.Length(max=len(PERSON_CHANNELS)), metadata={
                                   "description": "notification channels the person switched off (sms, email); "
                                                  "the inbox on their page is always on"})
    quiet_hours = fields.String(allow_none=True, validate=validate.Regexp(
        r"^([01]?\d|2[0-3])-([01]?\d|2[0-3])$", error=msg("give local hours as start-end, e.g. 22-8")), metadata={
        "description": "local hours without SMS, e.g. 22-8 (0-0: none); null: the deployment's default"})
    skills = StringList(load_default=list)
    certificates = StringList(load_default=list)
    languages = StringList(load_default=list)
    location = fields.Nested(LocationSchema, allow_none=True,
                             metadata={"description": "home point; null unless the caller may see it"})
    max_distance_km = fields.Float(
        load_default=10.0, validate=validate.Range(min=0, max=500, min_inclusive=False)
    )
    availability = SlotList(load_default=list)
    max_hours_per_week = fields.Float(allow_none=True, validate=validate.Range(min=0, max=168))
    station_id = Id(allow_none=True, metadata={"description": "home station; membership is set by staff"})
    requested_station_id = Id(allow_none=True, metadata={"description": "a station the person asks to join"})
    tier = fields.String(load_default="regular", validate=validate.OneOf(TIERS))
    active = StrictBoolean(load_default=True)
    identity_verified = StrictBoolean(metadata={
        "description": "staff vouch for the phone and ID number (false after self sign-up or a change by the person)"})
    created_at = LocalDateTime(dump_only=True)
    updated_at = LocalDateTime(dump_only=True)
    token = fields.String(dump_only=True, metadata={"description": "public sign-up only: the new person's token, shown once"})

    @post_dump(pass_original=True)
    def _protect(self, data, volunteer, **kwargs):
        """Mask what the caller may not see; what they see in full goes to the audit log."""
        shown = policy.mask_person(current_principal(), data, volunteer)
        if shown:
            record_read(volunteer.id, shown)
        return data


class VolunteerPatchSchema(VolunteerSchema):
    """Partial update: used with partial=True, so only the fields sent change."""


class VolunteerQuerySchema(BaseSchema):
    """Filters for listing people."""

    q = fields.String(validate=validate.Length(max=100), metadata={
        "description": "search: part of a name; phone digits (full or partial, only among the phones the caller may "
                       "read); a volunteer number (VM00000012, or 12); the beginning of an external id"})
    district = fields.String()
    skill = fields.String(metadata={
        "description": "a skill word as people wrote it; a name the skills vocabulary knows also finds the other names "
                       "of its skill (心理咨询 finds 心理疏导 and counselling); case and spaces do not matter"})
    role = fields.String(validate=validate.OneOf(ROLES))
    station_id = Id(strict=False)
    requested_station_id = Id(strict=False)
    active = fields.Boolean()


class ImportJobBriefSchema(BaseSchema):
    """The import job, as far as a person's page names it."""

    id = fields.Integer()
    filename = fields.String()
    station_id = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "queued | running | done | failed"})
    created_at = LocalDateTime()


class PersonImportSchema(BaseSchema):
    """An import that created or updated the person."""

    job_id = fields.Integer()
    action = fields.String(metadata={"description": "created | updated"})
    at = LocalDateTime(metadata={"description": "when the import wrote the person"})
    job = fields.Nested(ImportJobBriefSchema)
