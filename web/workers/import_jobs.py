"""Imports of uploaded files, run on the task queue (see queue.py), never in the receiving web process.

The upload and, later, its rejected-rows report are kept in the database (`import_file`), so any
host answers polls and serves the report, and any worker can run the job. The job's row holds its
progress (rows read, created, updated, unchanged, rejected), written in short transactions of its
own. A run claims its job (queued -> running) before it starts, so a task delivered twice runs
once. A run that fails for a passing reason (the database went away) is retried by the queue; a
job whose worker died stops reporting and is started again by the scheduler (imports are
idempotent: rows already written count as unchanged); after MAX_ATTEMPTS it is failed. The upload
is deleted once the job has ended, whichever way.
"""
import dataclasses
import datetime as dt
import os
import tempfile
import threading

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, select, update

from .. import i18n
from ..auth.principal import principal_for_token_id
from ..common.text import msg
from ..errors import ServiceUnavailable
from ..extensions import db
from ..models import ImportFile, ImportJob
from ..services.imports.importer import import_volunteers, limits_of
from ..services.imports.reader import TableError
from ..types import utcnow

SUFFIXES = (".csv", ".xlsx", ".jsonl", ".txt")
MAX_ATTEMPTS = 3
MAX_MESSAGE = 2000  # characters of a job's message (which columns were read as what): polls stay small
# Progress is written every few hundred rows: a running job silent this long has lost its worker.
RESTART_AFTER = dt.timedelta(minutes=2)
# Shown as `stalled` when even the scheduler has not moved it on (no worker or scheduler running).
STALL_AFTER = dt.timedelta(minutes=10)


def shown_status(job, now=None):
    """The job's status as callers see it: `stalled` for one nobody has moved on for STALL_AFTER."""
    if job.status in ("queued", "running") and (now or utcnow()) - job.updated_at > STALL_AFTER:
        return "stalled"
    return job.status


def _estimate_rows(data, suffix):
    """Data rows of a text table (lines less the header), or None for a workbook."""
    if suffix == ".xlsx":
        return None
    lines = data.count(b"\n") + (not data.endswith(b"\n") and bool(data))  # a last line without its newline
    return max(lines - 1, 0)


def start(upload, *, station_id, dry_run, actor):
    """Store the upload with a new job and put the job on the queue; return the job.

    The file's own name (often Chinese) is only shown; a coordinator's import only touches their
    stations' people (the job runs as the token that started it).
    """
    from .queue import queue_of

    name = os.path.basename((upload.filename or "upload.csv").replace("\\", "/"))
    data = upload.read()
    job = ImportJob(filename=name[-300:], station_id=station_id, dry_run=dry_run, token_id=actor.token_id,
                    language=i18n.language(), status="queued",
                    rows_estimated=_estimate_rows(data, os.path.splitext(name)[1].lower()))
    db.session.add(job)
    db.session.flush()
    db.session.add(ImportFile(job_id=job.id, kind="upload", data=data))
    db.session.commit()
    try:
        queue_of(current_app).enqueue("run_import", job.id)
    except ServiceUnavailable as exc:  # nobody will ever run it: end it now, and keep no personal data
        _end(job.id, status="failed", message=exc.message)
        raise
    return job


def report(job):
    """The job's rejected-rows report (CSV bytes), or None."""
    stored = db.session.get(ImportFile, (job.id, "report"))
    return stored.data if stored is not None else None


def _set(job_id, **values):
    """Write progress in a transaction of its own (the import's session may be mid-batch)."""
    with db.engine.begin() as conn:
        conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(updated_at=utcnow(), **values))


def _counts(summary):
    """Rows read so far, and the counts as of the import's last commit: what is written, whatever happens next."""
    return {"rows_read": summary.read, **(summary.saved or dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0))}


def _claim(job_id):
    """queued -> running, counting the attempt; False when another run has it or it has ended."""
    with db.engine.begin() as conn:
        claimed = conn.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == "queued")
                               .values(status="running", attempts=ImportJob.attempts + 1, updated_at=utcnow()))
        return claimed.rowcount == 1


def _end(job_id, report_bytes=None, **values):
    """Finish a job: its status and counts, the report kept, the upload deleted (one transaction)."""
    with db.engine.begin() as conn:
        conn.execute(update(ImportJob).where(ImportJob.id == job_id).values(updated_at=utcnow(), **values))
        if report_bytes is not None:
            conn.execute(delete(ImportFile).where(ImportFile.job_id == job_id, ImportFile.kind == "report"))
            conn.execute(ImportFile.__table__.insert().values(job_id=job_id, kind="report", data=report_bytes,
                                                              created_at=utcnow()))
        conn.execute(delete(ImportFile).where(ImportFile.job_id == job_id, ImportFile.kind == "upload"))


def import_processes():
    """IMPORT_JOBS worker processes for the import, when this process may fork: it runs one thread only.

    A queue worker of `--type process` (the default of `flask worker`) runs one task in one thread,
    and forks the import's readers as the command line does. A worker thread (the embedded consumer
    of the development server, or `--type thread`) imports in its own thread: forking a process
    with other threads running can leave a lock held for ever in the child.
    """
    return current_app.config["IMPORT_JOBS"] if threading.active_count() == 1 else 1


def run(job_id):
    """The queue task: run the import of a stored upload and keep the job's row current."""
    if not _claim(job_id):
        return
    job = db.session.get(ImportJob, job_id)
    upload = db.session.get(ImportFile, (job_id, "upload"))
    actor = principal_for_token_id(job.token_id) if job.token_id is not None else None
    if actor is not None:  # the people this job writes are linked to it (the imports that touched a person)
        actor = dataclasses.replace(actor, import_job_id=job_id)
    station_id, dry_run, name, attempt, language = job.station_id, job.dry_run, job.filename, job.attempts, job.language
    db.session.rollback()
    if upload is None or actor is None:
        why = msg("the uploaded file is gone") if upload is None else msg("the token that started this import was revoked")
        _end(job_id, status="failed", message=_said(language, why))
        return
    with tempfile.TemporaryDirectory(prefix="volmatch-import-") as folder:
        safe = name if name not in (".", "..") and "\x00" not in name else "upload" + os.path.splitext(name)[1]
        path = os.path.join(folder, safe)  # the file's own name: the summary and messages say it
        report_path = os.path.join(folder, "report.csv")
        with open(path, "wb") as handle:
            handle.write(upload.data)
        del upload
        limits = limits_of(current_app.config)
        try:
            with force_locale(language):  # the report speaks the language of whoever uploaded the file
                summary = import_volunteers(path, dry_run=dry_run, report_path=report_path, station_id=station_id,
                                            actor=actor, progress=False, on_progress=lambda s: _set(job_id, **_counts(s)),
                                            jobs=import_processes(), say=i18n.say, **limits)
        except TableError as exc:
            stopped = exc.summary  # stopped part-way: the rows before are kept, and so is their report
            with force_locale(language):
                said = i18n.say(exc.args[0])
            _end(job_id, _read(report_path) if stopped is not None else None, status="failed", message=said,
                 **(_counts(stopped) if stopped is not None else {}))
        except Exception as exc:  # a passing failure (the database went away...): run again, then give up
            db.session.rollback()
            current_app.logger.exception("import job %s failed (attempt %s)", job_id, attempt)
            if attempt < MAX_ATTEMPTS:
                _set(job_id, status="queued", message=_said(language, msg(
                    "attempt {attempt} failed ({error}); retrying", attempt=attempt, error=type(exc).__name__)))
                raise  # the queue runs the task again after QUEUE_RETRY_DELAY
            _end(job_id, status="failed", message=_said(language, msg(
                "failed {attempt} times (last: {error}); rows already written are kept: upload the file again to finish",
                attempt=attempt, error=type(exc).__name__)))
        else:
            with force_locale(language):
                message = i18n.say(summary.columns_text())
                if summary.unknown_columns:
                    message += "; " + i18n.say(msg("unknown columns (not imported): {columns}",
                                                   columns=", ".join(summary.unknown_columns)))
            _end(job_id, _read(report_path), status="done", **_counts(summary),
                 message=message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…")
        finally:
            db.session.remove()


def _said(language, text):
    """A job's message in the language of whoever started it."""
    with force_locale(language):
        return i18n.say(text)


def _read(path):
    """A file's bytes, or None when it was never written."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def restart_stalled(now):
    """Jobs running without progress for RESTART_AFTER lost their worker: queue them again (or fail
    them after MAX_ATTEMPTS). Return the ids restarted."""
    from .queue import queue_of

    stale = db.session.scalars(select(ImportJob).where(ImportJob.status == "running",
                                                       ImportJob.updated_at < now - RESTART_AFTER)).all()
    restarted = []
    for job in stale:
        if job.attempts >= MAX_ATTEMPTS:
            _end(job.id, status="failed", message=_said(job.language, msg(
                "the worker stopped {attempts} times; rows already written are kept: upload the file again to finish",
                attempts=job.attempts)))
            continue
        _set(job.id, status="queued", message=_said(job.language, msg("restarted after attempt {attempt} stopped",
                                                                      attempt=job.attempts)))
        queue_of(current_app).enqueue("run_import", job.id)
        restarted.append(job.id)
    db.session.rollback()
    return restarted


def purge(now, days):
    """Delete reports older than `days` and any upload left by a job that has ended; return how many."""
    ended = select(ImportJob.id).where(ImportJob.status.in_(("done", "failed")))
    with db.engine.begin() as conn:
        old = conn.execute(delete(ImportFile).where(ImportFile.kind == "report",
                                                    ImportFile.created_at < now - dt.timedelta(days=days)))
        left = conn.execute(delete(ImportFile).where(ImportFile.kind == "upload", ImportFile.job_id.in_(ended)))
    return old.rowcount + left.rowcount
