"""Coverage pictures drawn on the queue: asked for now, drawn by a worker, kept REPORT_DAYS for any host to serve.

The coverage report is counts only (no person), so any admin or coordinator may ask for one, read
its state and fetch its PNG, as with the report itself.
"""
import datetime as dt

from sqlalchemy import delete

from ..auth import audit, policy
from ..common.text import msg
from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import ReportPicture
from .coverage import coverage
from .coverage_chart import coverage_png


def start(actor, filters, lang):
    """Store a queued picture of the coverage report with these filters; return it."""
    policy.may_read_reports(actor)
    stored = {"from" if k == "from_" else k: v.isoformat() if isinstance(v, dt.datetime) else v
              for k, v in filters.items()}
    picture = ReportPicture(token_id=actor.token_id, filters=stored, lang=lang, status="queued")
    db.session.add(picture)
    db.session.flush()
    audit.log(actor, "report", detail={"picture_id": picture.id, "filters": stored})
    db.session.commit()
    return picture


def readable(actor, picture_id):
    """The picture, for admins and coordinators (404 when there is none)."""
    policy.may_read_reports(actor)
    picture = db.session.get(ReportPicture, picture_id)
    if picture is None:
        raise NotFound(msg("no picture with id {picture_id}", picture_id=picture_id))
    return picture


def png(actor, picture_id):
    """The PNG of a drawn picture; 409 while it is queued or when it failed."""
    picture = readable(actor, picture_id)
    if picture.status != "done":
        if picture.message:
            raise Conflict("status", msg("picture {picture_id} is {status}: {why}", picture_id=picture.id,
                                         status=picture.status, why=picture.message))
        raise Conflict("status", msg("picture {picture_id} is {status}", picture_id=picture.id, status=picture.status))
    return picture.png


def draw(picture_id):
    """The queue task: compute the report now and draw it."""
    picture = db.session.get(ReportPicture, picture_id)
    if picture is None or picture.status != "queued":
        return  # delivered twice
    f = picture.filters
    when = {k: dt.datetime.fromisoformat(f[k]) if f.get(k) else None for k in ("from", "to")}
    report = coverage(district=f.get("district"), category=f.get("category"), starts=when["from"], ends=when["to"])
    picture.png, picture.status = coverage_png(report, chinese=picture.lang == "zh"), "done"
    db.session.commit()


def fail(picture_id, message):
    """A picture the queue could not draw: failed, saying why."""
    picture = db.session.get(ReportPicture, picture_id)
    if picture is not None and picture.status == "queued":
        picture.status, picture.message = "failed", message[:500]
        db.session.commit()


def purge(before):
    """Delete pictures made before `before`; return how many."""
    deleted = db.session.execute(delete(ReportPicture).where(ReportPicture.created_at < before)).rowcount
    db.session.commit()
    return deleted
