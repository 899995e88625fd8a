"""Proving a phone with a one-time SMS code: sign-in for people who have one, sign-up for those who
do not. Flask-free; the routes are in web/signin/views.py.

- `request_code` always does the same visible thing (a code is queued for the number, if the number
  is a mobile number), whether or not someone is registered with it: the answer tells an outsider
  nothing. Codes are 6 digits, last 5 minutes, allow 5 tries and work once; only their hash is kept.
- `sign_in` spends the code: a registered person gets a session token (and their phone counts as
  verified); an unregistered number gets a short-lived proof of the phone, which `sign_up` takes with
  the new person's details.
"""
import datetime as dt
import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from ..auth.principal import ANONYMOUS, issue_token
from ..common.personal import normalize_phone
from ..common.text import msg
from ..errors import Unauthorized
from ..extensions import db
from ..models import SignInCode, Volunteer
from ..types import utcnow
from . import notifications, people

CODE_LIFE = dt.timedelta(minutes=5)
MAX_TRIES = 5
PROOF_LIFE = 30 * 60  # seconds a proven, unregistered phone may take to finish signing up


def phone_or_error(raw):
    """The 11-digit phone, or a 422 on `phone` (the format says nothing about who is registered)."""
    from marshmallow import ValidationError

    try:
        return normalize_phone(raw)
    except ValueError as exc:
        raise ValidationError({"phone": [exc.args[0]]}) from None


def _digest(secret, phone, code):
    return hmac.new(secret.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def request_code(phone, secret, now=None):
    """Queue a new code to this phone (earlier unused ones stop working); commit."""
    phone, now = phone_or_error(phone), now or utcnow()
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.execute(update(SignInCode).where(SignInCode.phone == phone, SignInCode.used_at.is_(None))
                       .values(used_at=now))
    db.session.add(SignInCode(phone=phone, code_hash=_digest(secret, phone, code), created_at=now,
                              expires_at=now + CODE_LIFE))
    person = db.session.scalar(select(Volunteer).where(Volunteer.phone == phone))
    notifications.to_phone("sign_in_code", phone, person, {"code": code}, now)
    db.session.commit()


def _spend(phone, code, secret, now):
    """Check the code for this phone: spent if right; one try fewer if wrong (401 either way when wrong)."""
    row = db.session.scalar(select(SignInCode).where(SignInCode.phone == phone, SignInCode.used_at.is_(None),
                                                     SignInCode.expires_at > now)
                            .order_by(SignInCode.id.desc()).limit(1).with_for_update())
    if row is None or row.tries >= MAX_TRIES:
        db.session.rollback()
        raise Unauthorized(msg("no valid code for this phone: ask for a new one"), {"code": [msg("expired or used up")]})
    if not hmac.compare_digest(row.code_hash, _digest(secret, phone, str(code).strip())):
        row.tries += 1
        left = MAX_TRIES - row.tries
        db.session.commit()
        hint = msg("wrong code: {left} tries left", left=left) if left else msg("wrong code: ask for a new one")
        raise Unauthorized(msg("wrong code"), {"code": [hint]})
    row.used_at = now
    return row


def _proofs(secret):
    return URLSafeTimedSerializer(secret, salt="volmatch-phone-proof")


def sign_in(phone, code, secret, now=None):
    """Spend a code; return {"registered": True, "token", "volunteer_id"} or {"registered": False, "proof"}."""
    phone, now = phone_or_error(phone), now or utcnow()
    _spend(phone, code, secret, now)
    person = db.session.scalar(select(Volunteer).where(Volunteer.phone == phone))
    if person is None:
        db.session.commit()
        return {"registered": False, "proof": _proofs(secret).dumps(phone)}
    _proven(person, now)
    token = issue_token("volunteer", volunteer_id=person.id, name="phone sign-in")[1]
    db.session.commit()
    return {"registered": True, "token": token, "volunteer_id": person.id}


def proven_phone(proof, secret):
    """The phone a sign-up proof was made for, or 401."""
    try:
        return _proofs(secret).loads(proof, max_age=PROOF_LIFE)
    except SignatureExpired:
        raise Unauthorized(msg("the proof of your phone has expired: ask for a new code"), {"proof": [msg("expired")]}) from None
    except BadSignature:
        raise Unauthorized(msg("not a proof of a phone"), {"proof": [msg("invalid")]}) from None


def sign_up(proof, data, sent, secret):
    """Register a person with a proven phone (public sign-up); return them, with `token` set once."""
    data = {**data, "phone": proven_phone(proof, secret)}
    person = people.create(ANONYMOUS, data, frozenset(sent) | {"phone"})
    _proven(person, utcnow())
    db.session.commit()
    return person


def _proven(person, now):
    """The person proved their phone: it is a verified identity key, and with no ID number typed by
    them (which nobody has vouched for) their identity keys are verified, so an import may merge
    a roster row with that phone into them."""
    person.phone_verified_at = now
    if person.id_number is None and not person.identity_verified:
        person.identity_verified = True


def sign_out(actor):
    """Revoke the token this request came with (a person's session on this device). Staff tokens are
    not sessions: they are revoked by an admin (`flask revoke-token`), so a 403 here."""
    from ..auth import policy
    from ..models import ApiToken

    policy.require(actor, "volunteer")
    if actor.token_id is not None:
        db.session.execute(update(ApiToken).where(ApiToken.id == actor.token_id).values(revoked_at=utcnow()))
        db.session.commit()
