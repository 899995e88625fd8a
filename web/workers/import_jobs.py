"""Imports of uploaded files, run in a background thread of the process that received them.

This is the queue-worker layer: it gives a service (the importer) an app context and a thread.

The job's row holds its progress (rows read, created, updated, unchanged, rejected), written in
short transactions of their own, so any worker can answer a poll. A job whose process stopped
reporting for STALL_AFTER is shown as `stalled` (it is not resumed).
"""
import contextlib
import datetime as dt
import os
import threading

from flask import current_app
from sqlalchemy import update

from ..extensions import db
from ..models import ImportJob
from ..services.imports.importer import import_volunteers
from ..services.imports.reader import TableError
from ..types import utcnow

SUFFIXES = (".csv", ".xlsx", ".jsonl", ".txt")
# Progress is written every few hundred rows: a queued or running job silent this long has lost its
# process (a restart, a crash) and is shown as `stalled`, so nobody waits on it for ever.
STALL_AFTER = dt.timedelta(minutes=10)


def shown_status(job, now=None):
    """The job's status as callers see it: `stalled` for one whose process stopped reporting."""
    if job.status in ("queued", "running") and (now or utcnow()) - job.updated_at > STALL_AFTER:
        return "stalled"
    return job.status


def job_dir(app=None):
    """Where uploads and their reports are kept (IMPORT_DIR, default the instance folder's imports/)."""
    app = app or current_app
    path = app.config.get("IMPORT_DIR") or os.path.join(app.instance_path, "imports")
    os.makedirs(path, exist_ok=True)
    return path


def file_path(job, kind):
    """The stored upload ('upload') or its rejected-rows report ('report') of a job."""
    suffix = os.path.splitext(job.filename)[1].lower() if kind == "upload" else ".csv"
    return os.path.join(job_dir(), f"{job.id}-{kind}{suffix}")


def _estimate_rows(path):
    """Data rows of a text table (lines less the header), or None for a workbook."""
    if path.endswith(".xlsx"):
        return None
    lines, last = 0, b"\n"
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    lines += last != b"\n"  # a last line without its newline
    return max(lines - 1, 0)


def start(upload, *, station_id, dry_run, actor):
    """Store the upload, create its job, and start importing it in the background as `actor`; return the job.

    The file is kept as ``<id>-upload<suffix>`` (its own name, often Chinese, is only shown) and
    deleted once imported; a coordinator's import only touches their stations' people.
    """
    name = os.path.basename((upload.filename or "upload.csv").replace("\\", "/"))
    job = ImportJob(filename=name[-300:], station_id=station_id, dry_run=dry_run, token_id=actor.token_id, status="queued")
    db.session.add(job)
    db.session.commit()
    path = file_path(job, "upload")
    upload.save(path)
    job.rows_estimated = _estimate_rows(path)
    db.session.commit()
    app = current_app._get_current_object()
    threading.Thread(target=_run, args=(app, job.id, path, actor), name=f"import-{job.id}", daemon=True).start()
    return job


def _set(job_id, **values):
    """Write progress in a transaction of its own (the import's session may be mid-batch)."""
    with db.engine.begin() as conn:
        conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))


def _counts(summary):
    return {"rows_read": summary.read, "created": summary.created, "updated": summary.updated,
            "unchanged": summary.unchanged, "rejected": summary.rejected}


def _run(app, job_id, path, actor):
    """The background thread: run the import and keep the job's row current."""
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        station_id, dry_run, report = job.station_id, job.dry_run, file_path(job, "report")
        db.session.rollback()
        _set(job_id, status="running")
        try:
            summary = import_volunteers(path, dry_run=dry_run, report_path=report, station_id=station_id, actor=actor,
                                        progress=False, on_progress=lambda s: _set(job_id, **_counts(s)))
        except TableError as exc:
            _set(job_id, status="failed", message=str(exc))
        except Exception as exc:  # noqa: BLE001 - the job must say it failed, whatever happened
            db.session.rollback()
            app.logger.exception("import job %s failed", job_id)
            _set(job_id, status="failed", message=f"internal error: {type(exc).__name__}")
        else:
            unknown = ", ".join(summary.unknown_columns)
            _set(job_id, status="done", **_counts(summary),
                 message=f"unknown columns (not imported): {unknown}" if unknown else None)
        finally:
            db.session.remove()
            with contextlib.suppress(OSError):
                os.remove(path)  # the upload holds personal data: keep only the report
