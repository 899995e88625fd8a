"""The task queue (Huey): imports, plan proposals, coverage pictures and the scheduled jobs run here,
never on a thread of a web request.

Storage comes from `QUEUE_URL`: `redis://…` in production (every host and worker shares it), or
an SQLite file (the default, in the instance folder) for one machine. Consumers:

- `flask --app web worker` runs Huey's consumer (worker processes, the scheduler for periodic
  jobs): production runs one or more of these beside the web servers.
- With `QUEUE_EMBEDDED` (the default in development), the app starts a consumer thread in its own
  process at its first request, so the quick start needs nothing else running.

Huey was chosen over Celery because one library gives both modes with the same API: SQLite
storage embedded, Redis in production, delayed and periodic tasks, retries, and a consumer small
enough to run inside the development server.
"""
import atexit
import functools
import os
import sqlite3
import threading

from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from redis import RedisError

from ..common.text import msg
from ..errors import ServiceUnavailable
from . import background, delivery, import_jobs, schedule

EXTENSION = "volmatch_queue"


class Queue:
    """An app's Huey instance and its registered tasks."""

    def __init__(self, huey, tasks):
        self.huey, self.tasks = huey, tasks
        self.embedded = None
        self.lock = threading.Lock()

    def enqueue(self, name, *args):
        """Put a task on the queue (it runs in a consumer, in an app context); 503 when the broker is down."""
        try:
            return self.tasks[name](*args)
        except (RedisError, sqlite3.Error, OSError) as exc:
            raise ServiceUnavailable(msg("the task queue is unreachable ({error}): try again later",
                                         error=type(exc).__name__)) from exc


class EmbeddedConsumer(Consumer):
    """Huey's consumer as threads of the app's own process: not the main thread, so no signal handlers."""

    def _set_signal_handlers(self):
        pass  # the process that embeds it (the development server) owns its signals


def make_huey(app):
    """Huey on Redis for `redis://` URLs, else on an SQLite file."""
    url, name = app.config["QUEUE_URL"], app.config["QUEUE_NAME"]
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url)
    path = url.removeprefix("sqlite:///")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return SqliteHuey(name, filename=path)


def init_app(app):
    """Build the app's queue and register its tasks (each runs inside an app context)."""
    huey = make_huey(app)

    def in_app(job):
        @functools.wraps(job)
        def run(*args):
            with app.app_context():
                return job(*args)
        return run

    retry = app.config["QUEUE_RETRY_DELAY"]
    tasks = {
        "run_import": huey.task(retries=import_jobs.MAX_ATTEMPTS - 1, retry_delay=retry, name="run_import")(
            in_app(import_jobs.run)),
        "propose_plan": huey.task(name="propose_plan")(in_app(background.propose_plan)),
        "draw_picture": huey.task(name="draw_picture")(in_app(background.draw_picture)),
        "deliver_notifications": huey.periodic_task(crontab(minute="*"), name="deliver_notifications")(
            in_app(delivery.deliver_due)),
        "close_past": huey.periodic_task(crontab(minute="*/5"), name="close_past")(in_app(schedule.close_past)),
        "restart_stalled": huey.periodic_task(crontab(minute="*"), name="restart_stalled")(
            in_app(schedule.restart_stalled)),
        "purge_old_files": huey.periodic_task(crontab(minute="17", hour="3"), name="purge_old_files")(
            in_app(schedule.purge_old_files)),
    }

    started_in = os.getpid()

    @huey.on_startup()
    def fresh_connections():
        # A worker process forked by the consumer opens its own database connections (threads share the pool).
        if os.getpid() != started_in:
            with app.app_context():
                from ..extensions import db

                db.engine.dispose(close=False)

    queue = app.extensions[EXTENSION] = Queue(huey, tasks)
    if app.config["QUEUE_EMBEDDED"]:
        app.before_request(lambda: start_embedded(app))
    return queue


def queue_of(app):
    """The app's Queue."""
    return app.extensions[EXTENSION]


def start_embedded(app):
    """Start the in-process consumer once (development and tests): workers as threads."""
    queue = queue_of(app)
    if queue.embedded is not None:
        return
    with queue.lock:
        if queue.embedded is None:
            consumer = EmbeddedConsumer(queue.huey, workers=app.config["QUEUE_EMBEDDED_WORKERS"],
                                        periodic=app.config["QUEUE_PERIODIC"], max_delay=0.5,
                                        check_worker_health=False)
            consumer.start()
            queue.embedded = consumer
            atexit.register(stop_embedded, app)


def stop_embedded(app):
    """Stop the in-process consumer, letting a running task finish (tests stop it at teardown)."""
    queue = queue_of(app)
    with queue.lock:
        if queue.embedded is not None:
            queue.embedded.stop(graceful=True)
            queue.embedded = None


def run_consumer(app, workers, worker_type):
    """`flask worker`: Huey's own consumer in this process, until it is told to stop."""
    consumer = queue_of(app).huey.create_consumer(workers=workers, worker_type=worker_type,
                                                  periodic=app.config["QUEUE_PERIODIC"], max_delay=1.0)
    consumer.run()
