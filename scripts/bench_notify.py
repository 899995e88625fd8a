#!/usr/bin/env python
"""Benchmark the notification delivery path: outbox rows delivered per second by one and by two
delivery workers (separate processes, as `flask worker` runs them) against an SMS gateway on loopback.

    python scripts/bench_notify.py [--messages 5000] [--database-url URL]

For each worker count it writes `--messages` invitations' outbox rows (one SMS delivery each, plus
the inbox entry) into a fresh database, starts a loopback HTTP gateway that checks each request's
signature and answers 200, then runs the workers until every SMS is sent, and prints rows/s, the
gateway's request count and how many request ids it saw twice (must be 0). Default database: a new
SQLite file per run; a PostgreSQL URL (an empty scratch database: it is WIPED) measures that too.
Prints figures, asserts nothing.
"""
import argparse
import datetime as dt
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEY = "bench-key"
NOON = dt.datetime(2099, 1, 9, 4, 0, tzinfo=dt.UTC)  # 12:00 in Asia/Shanghai: outside quiet hours


class Gateway(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self):
        from web.notify.channels import sign

        self.ids, self.bad, self.lock = [], 0, threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                good = self.headers["X-Signature"] == sign(KEY, self.headers["X-Timestamp"], body)
                with gateway.lock:
                    gateway.ids.append(json.loads(body)["request_id"])
                    gateway.bad += not good
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def make_app(url, gateway_url):
    from web import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SMS_GATEWAY_URL": gateway_url, "SMS_GATEWAY_KEY": KEY,
                       "NOTIFY_SMS_PER_DAY": 10**6, "NOTIFY_ON_COMMIT": False, "QUEUE_EMBEDDED": False,
                       "QUEUE_URL": "sqlite:///" + os.path.join(tempfile.gettempdir(), "bench_notify_queue.sqlite")})


def fill(app, messages):
    """One station, one task, `messages` people each invited: their outbox rows, as invite_person writes them."""
    from web.extensions import db
    from web.models import Assignment, Station, Task, Volunteer
    from web.services import notifications

    with app.app_context():
        db.drop_all()
        db.create_all()
        station = Station(name="龙溪街道社工站", lat=29.59, lon=106.53)
        task = Task(station=station, title="敬老院探访", lat=29.59, lon=106.53, headcount=messages,
                    starts_at=dt.datetime(2099, 1, 10, 1, tzinfo=dt.UTC), ends_at=dt.datetime(2099, 1, 10, 4, tzinfo=dt.UTC))
        db.session.add_all([station, task])
        for i in range(messages):
            person = Volunteer(name=f"志愿者{i}", phone=f"139{i:08d}", lat=29.59, lon=106.53)
            assignment = Assignment(task=task, volunteer=person)
            db.session.add_all([person, assignment])
            db.session.flush()  # the person's id, as invite_person has it
            notifications.invited(assignment)
            if i % 1000 == 999:
                db.session.commit()
        db.session.commit()


def work(url, gateway_url, started, counts):
    app = make_app(url, gateway_url)
    from web.workers.delivery import deliver_due

    started.wait()
    sent = 0
    with app.app_context():
        while True:
            done = deliver_due(now=NOON)
            sent += done["sent"]
            if not any(done[k] for k in ("sent", "retry", "failed", "taken")):
                break
    counts.put(sent)


def run(url, messages, workers):
    gateway = Gateway()
    gateway_url = f"http://127.0.0.1:{gateway.server_address[1]}/sms"
    app = make_app(url, gateway_url)
    fill(app, messages)
    from web.extensions import db

    with app.app_context():
        db.engine.dispose()
    context = multiprocessing.get_context("fork")
    started, counts = context.Event(), context.Queue()
    procs = [context.Process(target=work, args=(url, gateway_url, started, counts)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # let each worker build its app before the clock starts
    began = time.perf_counter()
    started.set()
    for proc in procs:
        proc.join()
    seconds = time.perf_counter() - began
    sent = sum(counts.get() for _ in procs)
    duplicates = len(gateway.ids) - len(set(gateway.ids))
    gateway.shutdown()
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{workers} worker(s): {sent:,} SMS sent in {seconds:.1f} s = {sent / seconds:,.0f} rows/s; gateway saw "
          f"{len(gateway.ids):,} requests, {duplicates} request ids twice, {gateway.bad} bad signatures "
          f"(load average {load})", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--database-url", help="a scratch database (WIPED); default a new SQLite file per run")
    args = parser.parse_args()
    print(f"bench_notify: {args.messages:,} invitations, {os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        for workers in (1, 2):
            url = args.database_url or f"sqlite:///{folder}/notify_{workers}.sqlite"
            run(url, args.messages, workers)


if __name__ == "__main__":
    main()
