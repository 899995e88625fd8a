"""Read and validate rows in worker processes while the main process decides and writes, in file order.

Most of an import's time goes to reading and validating cells (`_Importer.prepare`), which depends
on nothing but the row. With `jobs` > 1, chunks of rows go to that many forked workers; the main
process keeps everything that depends on earlier rows (duplicates, matches, the batches it writes)
and takes the workers' results strictly in file order, so the outcome is the same as with one process.
A chunk's rows that are already stored unchanged (the re-import fast path) are not sent at all.

Workers are forked (they inherit the app, its schemas and the gazetteer, so they start at once), which
is safe in a process running one thread: the command line, or a queue worker process (uploads, with
IMPORT_JOBS); an import run in a thread (the embedded consumer) uses jobs=1.
"""
import collections
import ctypes
import itertools
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

CHUNK_ROWS = 1000
AUTO_MIN_BYTES = 2 * 1024 * 1024  # below this (about 10,000 rows) starting workers is not worth it

_importer = None  # the run's importer, inherited by the forked workers
_parent = None  # the pid of the importing process
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends


def auto_jobs(path, kind):
    """How many workers suit this file: one per core for a large CSV or Excel file, else none."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if kind == "jsonl" or cores < 2 or os.path.getsize(path) < AUTO_MIN_BYTES:
        return 1
    return cores


def _start_worker():
    """Lower this worker's priority, leave Ctrl-C to the main process (which then stops the pool), and
    have the worker end with the import (Linux: even with one killed at once)."""
    os.nice(10)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != _parent:  # the import ended before the line above
            os._exit(1)


def _prepare(items):
    prepared = []
    for i, values in items:
        try:
            prepared.append((i, _importer.prepare(values)))
        except Exception:  # noqa: BLE001 - left to the main process, which meets it again and reports the row
            continue
    return prepared


def prepared_rows(importer, rows, jobs):
    """Yield (number, values, source, prepared) for each row of `rows`, in order.

    `source` and `prepared` are None when the row is left for the main process (jobs=1, an
    unreadable line, or a row the fast path may settle).
    """
    global _importer, _parent
    if jobs <= 1:
        for number, values in rows:
            yield number, values, None, None
        return
    _importer, _parent = importer, os.getpid()
    # Workers run at lower priority so the main process, the one that writes, keeps its core.
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker)
    try:
        pending = collections.deque()
        while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
            sources = [None if isinstance(values, Exception) else importer.source(values) for _, values in chunk]
            todo = [(i, values) for i, ((_, values), source) in enumerate(zip(chunk, sources))
                    if source is not None and importer.needs_preparing(source)]
            pending.append((chunk, sources, pool.submit(_prepare, todo) if todo else None))
            if len(pending) > 2 * jobs:  # enough work queued: take results while the workers go on
                yield from _finished(*pending.popleft())
        while pending:
            yield from _finished(*pending.popleft())
    finally:
        pool.shutdown(cancel_futures=True)  # a worker that dies (killed, out of memory) raises BrokenProcessPool
        _importer = None


class WorkerLost(Exception):
    """A worker process ended in the middle of an import (killed, out of memory)."""


def _finished(chunk, sources, result):
    try:
        prepared = dict(result.result()) if result is not None else {}
    except BrokenProcessPool:
        raise WorkerLost("a worker process ended unexpectedly (out of memory?); the rows written so far are kept: "
                         "run the import again to finish it, with --jobs 1 to use less memory") from None
    for i, ((number, values), source) in enumerate(zip(chunk, sources)):
        yield number, values, source, prepared.get(i)
