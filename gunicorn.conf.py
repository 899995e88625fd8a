"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py "web:create_app()"`.

Each value can be overridden from the environment (or on the command line).
"""
import multiprocessing
import os

bind = os.environ.get("VOLMATCH_BIND", "127.0.0.1:8000")  # behind a reverse proxy on the same host
# Each worker keeps its own candidate index in memory (about 0.5 GB at 100,000 people): size by memory too.
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("VOLMATCH_THREADS", 4))
# A worker's first match builds its index (about 6 s at 100,000 people): leave room for it.
timeout = int(os.environ.get("VOLMATCH_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# Requests bigger than this never reach the app; the app's own limits answer 413 below it.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
