"""A person's service-record certificate (志愿服务记录证明): who may have it, what it says. Flask-free.

It lists the services the stations confirmed (a self-reported record counts once confirmed; pending
and rejected ones are left out), with their total, and shows the ID number masked only. Asking for
it is a read of personal data (the masked ID number), so it is in the audit log.
"""
from marshmallow import ValidationError
from sqlalchemy import select

from ..auth import audit, policy
from ..common import certificate_pdf
from ..common.personal import mask_id_number
from ..common.schemas import LOCAL_TZ
from ..common.text import msg
from ..extensions import db
from ..models import ServiceRecord, Station, Task
from ..types import utcnow

ISSUER_OF_LAST_RESORT = "volmatch"


def certificate(actor, volunteer_id, lang="zh"):
    """The person's certificate as PDF bytes (the person themself, or admins); the read is audited."""
    if lang not in certificate_pdf.LANGUAGES:
        raise ValidationError({"lang": [msg("one of {languages}",
                                            languages=', '.join(certificate_pdf.LANGUAGES))]})
    person = policy.own_person(actor, volunteer_id, msg("a person's certificates are theirs: ask them, or an admin"))
    pdf = certificate_pdf.render(certificate_data(person), lang)
    audit.log(actor, "certificate", person.id, fields=["id_number"])
    db.session.commit()
    return pdf


def certificate_data(person, now=None):
    """What the person's certificate says, as plain data for `certificate_pdf.render`."""
    rows = db.session.execute(
        select(ServiceRecord.served_at, ServiceRecord.hours, Task.title, Station.name)
        .join(Task, ServiceRecord.task_id == Task.id).join(Station, ServiceRecord.station_id == Station.id)
        .where(ServiceRecord.volunteer_id == person.id, ServiceRecord.status == "confirmed")
        .order_by(ServiceRecord.served_at, ServiceRecord.id)).all()
    services = tuple(certificate_pdf.Service(date=served_at.astimezone(LOCAL_TZ).date(), title=title,
                                             station=station, hours=hours)
                     for served_at, hours, title, station in rows)
    return certificate_pdf.Certificate(
        name=person.name, volunteer_number=person.volunteer_number, id_number=mask_id_number(person.id_number),
        services=services, total_hours=round(sum(s.hours for s in services), 2), issuer=_issuer(person, rows),
        issued_on=(now or utcnow()).astimezone(LOCAL_TZ).date())


def _issuer(person, rows):
    """The person's own station if they are a member; else that of their latest confirmed service; else volmatch."""
    if person.station_id is not None:
        return person.station.name
    if rows:
        return rows[-1].name  # ordered by time: the last is the latest
    return ISSUER_OF_LAST_RESORT
