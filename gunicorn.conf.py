"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py "web:create_app()"`.

Each value can be overridden from the environment (or on the command line).
"""
import multiprocessing
import os

bind = os.environ.get("VOLMATCH_BIND", "127.0.0.1:8000")  # behind a reverse proxy on the same host
# The master loads the app and builds the candidate index before it binds and forks (on_starting):
# workers share the index's pages and answer their first match at once. Reading the people takes
# about 1.5 s per 100,000 of them (SQLite), before the port is opened.
preload_app = True
# Workers share one index (about 0.3 GB at 1,000,000 people); each adds its own private memory.
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("VOLMATCH_THREADS", 4))
# No request builds the index; the slowest index work in a request is a merge of changes into it
# (past 5 % of people changed: about 2 s at 1,000,000 people).
timeout = int(os.environ.get("VOLMATCH_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# Requests bigger than this never reach the app; the app's own limits answer 413 below it.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"


def on_starting(server):
    """Build the app's candidate index in the master, after the app is loaded and before the port opens."""
    if server.cfg.preload_app:
        import time

        from web.services.index_cache import preload

        started = time.perf_counter()
        index = preload(server.app.wsgi())
        server.log.info("candidate index: %d people, ready in %.1f s, before forking", len(index),
                        time.perf_counter() - started)


def on_reload(server):
    """On `kill -HUP`: bring the master's index up to date (changes since, merged) before new workers fork from it."""
    on_starting(server)
