"""Read and validate rows in worker processes while the main process decides and writes, in file order.

Most of an import's time goes to reading and validating cells (`_Importer.prepare`), which depends
on nothing but the row. With `jobs` > 1, chunks of rows go to that many forked workers; the main
process keeps everything that depends on earlier rows (duplicates, matches, the batches it writes)
and takes the workers' results strictly in file order, so the outcome is the same as with one process.
A chunk's rows that are already stored unchanged (the re-import fast path) are not sent at all.
A chunk is prepared by `_Importer.prepare_many`, which places all of its coordinates in one call; with
jobs=1 a table with coordinates is prepared the same way, a chunk at a time, in this process.

Workers are forked (they inherit the app, its schemas and the gazetteer, so they start at once), which
is safe in a process running one thread: the command line, or a queue worker process (uploads, with
IMPORT_JOBS); an import run in a thread (the embedded consumer) uses jobs=1. When the first chunk is
mostly rows to read (not a re-import), the polygons that place coordinates are built before forking,
once, and shared by the workers.
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

from ...common.text import msg

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
    return _prepare_here(_importer, items)


def _prepare_here(importer, items):
    """[(i, prepared)] for the rows `items` ((i, values)) whose handling raised nothing: a row that
    raised is left to the main process, which meets it again and reports the row."""
    return [(i, done) for (i, _), done in zip(items, importer.prepare_many([values for _, values in items]))
            if not isinstance(done, Exception)]


def prepared_rows(importer, rows, jobs):
    """Yield (number, values, source, prepared) for each row of `rows`, in order.

    `source` and `prepared` are None when the row is left for the main process (an unreadable
    line, a row the fast path may settle, or jobs=1 for a table without coordinates: then rows go
    one by one). With jobs=1 a table with coordinates is prepared here a chunk at a time, so that
    `prepare_many` places a chunk's points at once.
    """
    global _importer, _parent
    chunks = _chunks(importer, rows)
    if jobs <= 1:
        if importer.point_columns is None:
            for number, values in rows:
                yield number, values, None, None
            return
        for chunk, sources, todo in chunks:
            yield from _handed(chunk, sources, _prepare_here(importer, todo))
        return
    first = next(chunks, None)
    if first is not None and len(first[2]) > len(first[0]) // 2:
        importer.warm()  # mostly rows to read (not a re-import): what they need is built once, and shared
    _importer, _parent = importer, os.getpid()
    # Workers run at lower priority so the main process, the one that writes, keeps its core.
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker)
    try:
        pending = collections.deque()
        for chunk, sources, todo in itertools.chain([first] if first else [], chunks):
            pending.append((chunk, sources, pool.submit(_prepare, todo) if todo else None))
            if len(pending) > 2 * jobs:  # enough work queued: take results while the workers go on
                yield from _finished(*pending.popleft())
        while pending:
            yield from _finished(*pending.popleft())
    finally:
        pool.shutdown(cancel_futures=True)  # a worker that dies (killed, out of memory) raises BrokenProcessPool
        _importer = None


def _chunks(importer, rows):
    """(chunk, sources, todo) per CHUNK_ROWS rows: the rows ((number, values)), their source hashes
    (None for an unreadable line) and the rows to prepare ((i, values)): not those already stored unchanged."""
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        sources = [None if isinstance(values, Exception) else importer.source(values) for _, values in chunk]
        todo = [(i, values) for i, ((_, values), source) in enumerate(zip(chunk, sources))
                if source is not None and importer.needs_preparing(source)]
        yield chunk, sources, todo


class WorkerLost(Exception):
    """A worker process ended in the middle of an import (killed, out of memory)."""


def _finished(chunk, sources, result):
    try:
        prepared = result.result() if result is not None else []
    except BrokenProcessPool:
        raise WorkerLost(msg("a worker process ended unexpectedly (out of memory?); the rows written so far are kept: "
                             "run the import again to finish it, with --jobs 1 to use less memory")) from None
    return _handed(chunk, sources, prepared)


def _handed(chunk, sources, prepared):
    prepared = dict(prepared)
    for i, ((number, values), source) in enumerate(zip(chunk, sources)):
        yield number, values, source, prepared.get(i)
