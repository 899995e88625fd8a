"""Benchmark the batch-plan route ``POST /api/v1/stations/<id>/plans`` on a synthetic Chongqing.

The target (from the issue): a plan for 300 tasks of 1-5 seats over a city of 100,000 people,
on a 2-core machine, in at most 2 s end to end, printing the optimal total against greedy.

It builds the city of ``scripts/bench_match.py`` (same people, stations, availability patterns),
bulk-loads it into a database, and adds two sets of open tasks, all owned by ONE station (by
default station 1, 解放碑, in the dense urban core), each task with 1-5 seats:

- ``local``: the realistic case. Half of the tasks at the station's own point, the rest scattered
  uniformly within ~10 km of it; Sat/Sun daytime or weekday evenings over the next 4 weeks (as
  ``bench_match.make_tasks``), 1-3 wanted skills, a quarter with a required skill.
- ``citywide``: a stress case. The same kind of tasks but placed like ``make_tasks`` places them,
  over the whole city, still owned by the one station.

Then it measures:

1. end to end over HTTP: the app served by gunicorn (one sync worker) on 127.0.0.1, an admin
   token, ``{"task_ids": [...]}`` for each scenario. The first request is cold (the worker reads
   everyone and builds its in-memory index), then each scenario is planned ``--repeats`` times
   warm (each POST stores a new proposed plan). Prints min/median wall time, ``total`` against
   ``greedy_total``, seats filled, open seats, unfilled seats, and the worker's peak RSS.
2. in-process (Flask test client, no server): the same requests with the stages of
   ``web.services.planning.propose`` timed by temporary wrappers: loading the tasks and
   assignments, ``matcher.scoring.rank_candidates`` for every task, ``matcher.planning.plan_assignments``
   and its steps (shortlists, greedy, prune, solver), storing the plan, and the rest of the
   request (auth, schemas, JSON); plus the sizes the solver saw.
3. a summary against the target (warm median end to end, local scenario, N = 100,000).

It prints figures; it asserts nothing. Figures move with other load on the machine: the load
average is printed at the start and the end.

Run (from the repository root, with the venv active)::

    python scripts/bench_plan.py                          # 100k people, 300 tasks (~1-2 min)
    python scripts/bench_plan.py --people 20000 --repeats 3
    python scripts/bench_plan.py --skip-http              # in-process breakdown only
    python scripts/bench_plan.py --blas-threads 1         # worker and in-process with one BLAS thread
    python scripts/bench_plan.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench  # WIPED

Without ``--database-url`` a fresh SQLite file in a temporary directory is used. A given
database is emptied (drop_all/create_all) first: never point it at real data.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import http.client
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_match  # noqa: E402
from bench_match import TaskSpec  # noqa: E402

from matcher.availability import LOCAL_TZ  # noqa: E402
from web.demo import SKILLS  # noqa: E402

SCATTER_KM = 10.0  # the non-local half of a station's tasks: uniform in a disc of this radius
AT_STATION = 0.5  # share of a station's tasks at its own point
TARGET_S = 2.0  # warm end to end, 300 tasks, 100,000 people
TARGET_PEOPLE = 100_000
TARGET_TASKS = 300


# ---------------------------------------------------------------- the tasks


def _when(rng: np.random.Generator, saturday: dt.date) -> tuple[str, dt.datetime, dt.datetime]:
    """A window as bench_match.make_tasks draws it: Sat/Sun 1-4 h daytime, or a weekday evening of 1-2.5 h."""
    kind = str(rng.choice(["sat", "sun", "evening"], p=[0.4, 0.3, 0.3]))
    week = int(rng.integers(0, 4))
    if kind == "evening":
        day = saturday + dt.timedelta(days=2 + int(rng.integers(0, 5)) + 7 * week)
        start_min = int(rng.choice([18 * 60 + 30, 19 * 60, 19 * 60, 19 * 60 + 30]))
        length = int(rng.integers(2, 6)) * 30
    else:
        day = saturday + dt.timedelta(days=(kind == "sun") + 7 * week)
        length = int(rng.integers(2, 9)) * 30
        start_min = int(rng.integers(17, 38 - length // 30)) * 30
    starts = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ) + dt.timedelta(minutes=start_min)
    return kind, starts, starts + dt.timedelta(minutes=length)


def local_tasks(count: int, rng: np.random.Generator, centres: bench_match.Centres, station: int) -> list[TaskSpec]:
    """`count` tasks of one station (0-based index): half at its point, the rest within SCATTER_KM of it."""
    today = dt.datetime.now(LOCAL_TZ).date()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    lat0, lon0 = float(centres.lat[station]), float(centres.lon[station])
    tasks = []
    for _ in range(count):
        if rng.random() < AT_STATION:
            lat, lon = lat0, lon0
        else:  # uniform in the disc: radius sqrt(u) * R, any bearing
            r_km, bearing = SCATTER_KM * math.sqrt(rng.random()), rng.random() * 2 * math.pi
            lat = lat0 + r_km * math.cos(bearing) / 111.0
            lon = lon0 + r_km * math.sin(bearing) / (111.0 * math.cos(math.radians(lat0)))
        kind, starts, ends = _when(rng, saturday)
        wanted = tuple(rng.choice(SKILLS, size=int(rng.integers(1, 4)), replace=False).tolist())
        tasks.append(TaskSpec(
            station=station, lat=round(lat, 6), lon=round(lon, 6), starts_at=starts, ends_at=ends, skills=wanted,
            required=(wanted[0],) if rng.random() < 0.25 else (),
            role=str(rng.choice(["any", "volunteer", "social_worker"], p=[0.7, 0.2, 0.1])),
            max_distance_km=None, partial=False, kind=kind))
    return tasks


def citywide_tasks(count: int, rng: np.random.Generator, centres: bench_match.Centres, station: int) -> list[TaskSpec]:
    """`count` tasks placed over the whole city like bench_match.make_tasks, all owned by one station."""
    return [dataclasses.replace(t, station=station, max_distance_km=None, partial=False)
            for t in bench_match.make_tasks(count, rng, centres)]


def describe(tasks: list[TaskSpec], headcounts: list[int], centres: bench_match.Centres) -> str:
    """One line: where and when the tasks are, and their seats."""
    lat0, lon0 = float(centres.lat[tasks[0].station]), float(centres.lon[tasks[0].station])
    km = bench_match.haversine_km(lat0, lon0, np.array([t.lat for t in tasks]), np.array([t.lon for t in tasks]))
    kinds = Counter(t.kind for t in tasks)
    return (f"{len(tasks)} tasks, {sum(headcounts)} seats (1-5 each); from the station: median {np.median(km):.1f} km, "
            f"{np.mean(km <= 10.5):.0%} within 10 km, max {km.max():.0f} km; {kinds['sat']} Sat / {kinds['sun']} Sun / "
            f"{kinds['evening']} evening; {sum(bool(t.required) for t in tasks)} with a required skill; roles "
            + ", ".join(f"{k} {v}" for k, v in sorted(Counter(t.role for t in tasks).items())))


def set_headcounts(url: str, headcounts: dict[int, int]) -> None:
    """Give the inserted tasks (all headcount 2 from bench_match.load_database) their 1-5 seats."""
    from sqlalchemy import bindparam, update

    from web import create_app
    from web.extensions import db
    from web.models import Task

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        table = Task.__table__
        with db.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id == bindparam("tid")).values(headcount=bindparam("seats")),
                         [{"tid": i, "seats": s} for i, s in headcounts.items()])
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- HTTP


def post_plan(port: int, station_id: int, task_ids: list[int], headers: dict) -> tuple[float, dict, int]:
    """One POST on a fresh connection (a sync worker closes it after each request): seconds, JSON, bytes."""
    body = json.dumps({"task_ids": task_ids})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1200)
    started = time.perf_counter()
    conn.request("POST", f"/api/v1/stations/{station_id}/plans", body=body,
                 headers={**headers, "Content-Type": "application/json"})
    response = conn.getresponse()
    raw = response.read()
    seconds = time.perf_counter() - started
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"plan: HTTP {response.status} {raw[:500]!r}")
    return seconds, json.loads(raw), len(raw)


def plan_figures(plan: dict, open_seats: int) -> dict:
    """What a plan response says: totals, filled, unfilled (and why)."""
    unfilled = sum(u["seats"] for u in plan["unfilled"])
    reasons = Counter(("nobody eligible" if u["reason"].startswith("nobody") else
                       "too few eligible" if u["reason"].startswith("only") else "others better")
                      for u in plan["unfilled"] for _ in range(u["seats"]))
    return {"total": plan["total"], "greedy_total": plan["greedy_total"], "filled": len(plan["seats"]),
            "open": open_seats, "unfilled": unfilled, "reasons": dict(reasons)}


def bench_http(url: str, token: str, station_id: int, scenarios: dict, repeats: int, log_path: Path) -> dict:
    """Serve the app with one worker; the cold first plan, then `repeats` warm plans per scenario."""
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    with bench_match.serve(url, 1, log_path) as (port, master):
        pid = bench_match.worker_pids(master.pid)[0]
        bench_match.wait_idle([pid])
        out["idle_mb"] = bench_match.proc_mb(pid)
        first = next(iter(scenarios))
        cold_s, plan, size = post_plan(port, station_id, scenarios[first]["ids"], headers)
        out["cold"] = {"scenario": first, "seconds": cold_s, "figures": plan_figures(plan, scenarios[first]["open"])}
        out["cold_mb"] = bench_match.proc_mb(pid)
        print(f"HTTP cold: first plan ({first}, the worker builds its index) {cold_s:.2f} s; worker peak RSS "
              f"{out['idle_mb']:.0f} MB idle -> {out['cold_mb']:.0f} MB", flush=True)
        for name, sc in scenarios.items():
            times, figures = [], []
            for _ in range(repeats):
                seconds, plan, size = post_plan(port, station_id, sc["ids"], headers)
                times.append(seconds)
                figures.append(plan_figures(plan, sc["open"]))
            out[name] = {"times": times, "figures": figures[-1], "bytes": size,
                         "same": all(f["total"] == figures[0]["total"] for f in figures)}
            print(f"HTTP warm {name}: {repeats} plans, min {min(times):.3f} / median {statistics.median(times):.3f} / "
                  f"max {max(times):.3f} s; response {size / 1024:.0f} KiB; {fmt_plan(figures[-1])}"
                  + ("" if out[name]["same"] else " (totals differ between repeats!)"), flush=True)
        out["peak_mb"] = bench_match.proc_mb(pid)
    return out


def fmt_plan(f: dict) -> str:
    """total vs greedy, seats."""
    gain = f["total"] - f["greedy_total"]
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(f["reasons"].items()))
    return (f"total {f['total']:.4f} vs greedy {f['greedy_total']:.4f} (+{gain:.4f}, "
            f"+{gain / f['greedy_total']:.2%}); seats filled {f['filled']}/{f['open']}, unfilled {f['unfilled']}"
            + (f" ({reasons})" if reasons else ""))


# ---------------------------------------------------------------- in-process breakdown


class StageTimer:
    """Temporary wrappers that add up the wall time spent in named functions (this process only)."""

    def __init__(self):
        self.spent: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.originals = []
        self.sizes: dict[str, list] = {}

    def wrap(self, owner, name: str, label: str, record=None) -> None:
        original = getattr(owner, name)
        self.originals.append((owner, name, original))

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                result = original(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - started
                self.calls[label] = self.calls.get(label, 0) + 1
            if record is not None:
                record(self.sizes, args, result)
            return result

        setattr(owner, name, wrapper)

    def reset(self) -> None:
        self.spent, self.calls, self.sizes = {}, {}, {}

    def restore(self) -> None:
        for owner, name, original in reversed(self.originals):
            setattr(owner, name, original)
        self.originals = []


# (label, indent) in report order; the values are filled by StageTimer labels or derived.
STAGES = [
    ("request (test client)", 0),
    ("propose", 1),
    ("_tasks (load, check)", 2),
    ("_taken", 2),
    ("_unavailable", 2),
    ("fresh_index (version check)", 2),
    ("rank_candidates (all tasks)", 2),
    ("plan_assignments", 2),
    ("_validate", 3),
    ("_shortlists", 3),
    ("_greedy", 3),
    ("_prune", 3),
    ("_optimal (solver)", 3),
    ("rest of plan_assignments", 3),
    ("rest of propose (seat dicts, Plan row, commit)", 2),
    ("assignment_ids", 1),
    ("rest of request (auth, schemas, JSON, audit)", 1),
]


def in_process(url: str, token: str, station_id: int, scenarios: dict, repeats: int) -> dict:
    """The plan route through the Flask test client, with propose's stages timed."""
    from matcher import planning, scoring
    from web import create_app
    from web.extensions import db
    from web.services import planning as service
    from web.services.index_cache import IndexCache

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    first = next(iter(scenarios))
    started = time.perf_counter()
    response = client.post(f"/api/v1/stations/{station_id}/plans", json={"task_ids": scenarios[first]["ids"]})
    cold_s = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"in-process plan: HTTP {response.status_code} {response.get_data()[:500]!r}")
    print(f"in-process cold: first plan ({first}, builds this process's index) {cold_s:.2f} s", flush=True)

    def eligible(sizes, args, ranked):
        sizes.setdefault("eligible", []).append(len(ranked.ids))
        sizes.setdefault("passed", []).append(len(ranked.order))

    def shortlisted(sizes, args, pairs):
        sizes["shortlist_pairs"] = [len(pairs.task)]
        sizes["shortlist_people"] = [len(pairs.people)]

    def pruned(sizes, args, pairs):
        sizes["pruned_pairs"] = [len(pairs.task)]
        sizes["pruned_people"] = [len(pairs.people)]

    timer = StageTimer()
    timer.wrap(service, "propose", "propose")
    timer.wrap(service, "_tasks", "_tasks (load, check)")
    timer.wrap(service, "_taken", "_taken")
    timer.wrap(service, "_unavailable", "_unavailable")
    timer.wrap(service, "assignment_ids", "assignment_ids")
    timer.wrap(IndexCache, "fresh_index", "fresh_index (version check)")
    timer.wrap(scoring, "rank_candidates", "rank_candidates (all tasks)", eligible)  # propose imports it per call
    timer.wrap(planning, "plan_assignments", "plan_assignments")
    timer.wrap(planning, "_validate", "_validate")
    timer.wrap(planning, "_shortlists", "_shortlists", shortlisted)
    timer.wrap(planning, "_greedy", "_greedy")
    timer.wrap(planning, "_prune", "_prune", pruned)
    timer.wrap(planning, "_optimal", "_optimal (solver)")
    timer.wrap(planning, "_solve_sparse", "LAPJVsp")
    timer.wrap(planning, "_solve_dense", "linear_sum_assignment")
    results = {}
    try:
        for name, sc in scenarios.items():
            runs, sizes = [], {}
            for _ in range(repeats):
                timer.reset()
                started = time.perf_counter()
                response = client.post(f"/api/v1/stations/{station_id}/plans", json={"task_ids": sc["ids"]})
                total = time.perf_counter() - started
                if response.status_code != 201:
                    raise RuntimeError(f"in-process plan: HTTP {response.status_code} {response.get_data()[:500]!r}")
                s = dict(timer.spent)
                s["request (test client)"] = total
                sub = ("_validate", "_shortlists", "_greedy", "_prune", "_optimal (solver)")
                s["rest of plan_assignments"] = s["plan_assignments"] - sum(s.get(k, 0.0) for k in sub)
                inner = ("_tasks (load, check)", "_taken", "_unavailable", "fresh_index (version check)",
                         "rank_candidates (all tasks)", "plan_assignments")
                s["rest of propose (seat dicts, Plan row, commit)"] = s["propose"] - sum(s.get(k, 0.0) for k in inner)
                s["rest of request (auth, schemas, JSON, audit)"] = total - s["propose"] - s.get("assignment_ids", 0.0)
                runs.append(s)
                sizes = timer.sizes
                solver = ("LAPJVsp" if "LAPJVsp" in timer.spent
                          else "linear_sum_assignment" if "linear_sum_assignment" in timer.spent else "none")
            results[name] = {"runs": runs, "sizes": sizes, "solver": solver, "calls": dict(timer.calls)}
            print_breakdown(name, runs, sizes, solver, timer.calls)
    finally:
        timer.restore()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return {"cold_s": cold_s, **results}


def print_breakdown(name: str, runs: list[dict], sizes: dict, solver: str, calls: dict) -> None:
    """Median per stage over the repeats, with its share of the request."""
    med = {label: statistics.median(r.get(label, 0.0) for r in runs) for label, _ in STAGES}
    whole = med["request (test client)"]
    print(f"in-process {name}: median of {len(runs)} requests per stage (share of the request)", flush=True)
    for label, indent in STAGES:
        extra = ""
        if label == "rank_candidates (all tasks)":
            extra = f"   {calls.get(label, 0)} calls, {med[label] / max(calls.get(label, 1), 1) * 1000:.2f} ms each"
        elif label == "_optimal (solver)":
            extra = f"   ({solver})"
        print(f"  {'  ' * indent}{label:<{50 - 2 * indent}} {med[label] * 1000:9.1f} ms  {med[label] / whole:6.1%}{extra}")
    eligible, passed = np.array(sizes.get("eligible", [0])), np.array(sizes.get("passed", [0]))
    print(f"  sizes: eligible per task median {np.median(eligible):,.0f} / mean {eligible.mean():,.0f} / max "
          f"{eligible.max():,} (sum {eligible.sum():,}), passed to the plan (top <= all seats) sum {passed.sum():,}; "
          f"shortlists {sizes.get('shortlist_pairs', [0])[0]:,} pairs over {sizes.get('shortlist_people', [0])[0]:,} "
          f"people -> pruned {sizes.get('pruned_pairs', [0])[0]:,} pairs over {sizes.get('pruned_people', [0])[0]:,} "
          f"people", flush=True)


# ---------------------------------------------------------------- summary


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_summary(args: argparse.Namespace, http: dict | None, proc: dict | None, scenarios: dict) -> None:
    """The figures per scenario, then the target with ok/MISSED."""
    head = ["scenario", "tasks", "open seats", "HTTP cold s", "HTTP warm min/med s", "in-proc med s",
            "rank s", "solver ms", "total", "greedy", "filled", "unfilled"]
    lines = []
    for name, sc in scenarios.items():
        h = http.get(name) if http else None
        runs = proc[name]["runs"] if proc else None
        figures = h["figures"] if h else None
        cold = http["cold"]["seconds"] if http and http["cold"]["scenario"] == name else None
        med = (lambda key, runs=runs: statistics.median(r.get(key, 0.0) for r in runs)) if runs else None
        lines.append([
            name, str(len(sc["ids"])), str(sc["open"]), fmt(cold, 2),
            f"{fmt(min(h['times']))}/{fmt(statistics.median(h['times']))}" if h else "-",
            fmt(med("request (test client)")) if med else "-",
            fmt(med("rank_candidates (all tasks)")) if med else "-",
            fmt(med("_optimal (solver)") * 1000, 1) if med else "-",
            fmt(figures["total"], 2) if figures else "-", fmt(figures["greedy_total"], 2) if figures else "-",
            str(figures["filled"]) if figures else "-", str(figures["unfilled"]) if figures else "-",
        ])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    print(f"\n== Summary (N = {args.people:,} people, station {args.station}) ==")
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for line in lines:
        print("  ".join(c.rjust(w) for c, w in zip(line, widths)))
    if http:
        print(f"worker peak RSS: {http['peak_mb']:.0f} MB (idle {http['idle_mb']:.0f} MB)")

    print("\n== Targets ==")
    note = "" if (args.people, args.tasks) == (TARGET_PEOPLE, TARGET_TASKS) else \
        f"   (target is for {TARGET_PEOPLE:,} people / {TARGET_TASKS} tasks: not comparable)"
    for name, label in (("local", "warm HTTP median s"), ("citywide", "warm HTTP median s (stress, no target)")):
        h = http.get(name) if http else None
        value = statistics.median(h["times"]) if h else None
        if value is None:
            verdict = "not measured"
        elif name != "local":
            verdict = "ok" if value <= TARGET_S else "over"
        else:
            verdict = "ok" if value <= TARGET_S else "MISSED"
        print(f"  {name:<9} {label:<40} <= {TARGET_S:g}   measured {fmt(value):>7}   {verdict}{note}")


# ---------------------------------------------------------------- main


def blas_threads() -> str:
    """numpy's BLAS thread count as threadpoolctl sees it in this process ('?' without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "?"
    counts = sorted({str(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"})
    return "/".join(counts) or "?"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000, help="people in the city (default %(default)s)")
    parser.add_argument("--tasks", type=int, default=300, help="tasks per scenario (default %(default)s)")
    parser.add_argument("--station", type=int, default=1,
                        help=f"id of the station owning the tasks (1-{len(bench_match.STATIONS)}; "
                             "default %(default)s, 解放碑 in the urban core)")
    parser.add_argument("--repeats", type=int, default=5, help="warm plans per scenario (default %(default)s)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="SQLAlchemy URL to load and serve; EMPTIED first "
                                               "(default: a fresh SQLite file in a temp dir)")
    parser.add_argument("--skip-http", action="store_true", help="the in-process breakdown only")
    parser.add_argument("--skip-inprocess", action="store_true", help="the HTTP figures only")
    parser.add_argument("--blas-threads", type=int,
                        help="cap BLAS/OpenMP threads (OPENBLAS_NUM_THREADS etc. for the worker, threadpoolctl "
                             "in-process); default: leave them as deployed (one per core)")
    args = parser.parse_args(argv)
    if not 1 <= args.station <= len(bench_match.STATIONS):
        parser.error(f"--station must be 1-{len(bench_match.STATIONS)}")
    if not 1 <= args.tasks <= 500:
        parser.error("--tasks must be 1-500 (the route plans at most 500)")
    limits = contextlib.nullcontext()
    if args.blas_threads:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(args.blas_threads)  # bench_match.serve passes os.environ to gunicorn
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=args.blas_threads)
    print(f"bench_plan: {args.people:,} people, {args.tasks} tasks per scenario, station {args.station}, seed "
          f"{args.seed}, {args.repeats} warm repeats, {os.cpu_count()} CPUs, BLAS threads {blas_threads()}, load "
          f"average {bench_match.load_average()}, python {sys.version.split()[0]}, numpy {np.__version__}", flush=True)
    begun = time.perf_counter()

    rng = np.random.default_rng([args.seed, args.people])
    centres = bench_match.station_centres(rng)
    patterns, patterns_p = bench_match.availability_patterns()
    started = time.perf_counter()
    city = bench_match.make_city(args.people, rng, centres, patterns_p)
    s = args.station - 1
    task_rng = np.random.default_rng([args.seed, args.people, 1])
    sets = {"local": local_tasks(args.tasks, task_rng, centres, s),
            "citywide": citywide_tasks(args.tasks, task_rng, centres, s)}
    all_tasks = sets["local"] + sets["citywide"]
    headcount = task_rng.integers(1, 6, len(all_tasks)).tolist()
    scenarios, offset = {}, 0
    for name, tasks in sets.items():
        ids = list(range(offset + 1, offset + len(tasks) + 1))  # load_database numbers tasks 1..
        seats = headcount[offset:offset + len(tasks)]
        scenarios[name] = {"ids": ids, "open": sum(seats)}
        print(f"{name}: {describe(tasks, seats, centres)}", flush=True)
        offset += len(tasks)
    print(f"city: {args.people:,} people generated in {time.perf_counter() - started:.1f} s; station {args.station} "
          f"is {centres.name[s]} ({centres.district[s]})", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench_plan_") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench_plan.sqlite'}"
        token, timings = bench_match.load_database(url, city, centres, patterns, all_tasks)
        set_headcounts(url, dict(zip(range(1, len(all_tasks) + 1), headcount)))
        del city
        print(f"database: {args.people:,} people + {len(all_tasks)} tasks inserted in {timings['insert_s']:.1f} s "
              f"({url})", flush=True)
        http = None
        if not args.skip_http:
            http = bench_http(url, token, args.station, scenarios, args.repeats, Path(tmp) / "gunicorn.log")
        proc = None
        if not args.skip_inprocess:
            with limits:
                proc = in_process(url, token, args.station, scenarios, args.repeats)
    print_summary(args, http, proc, scenarios)
    print(f"\nbenchmark process peak RSS {bench_match.self_peak_mb():.0f} MB; load average now "
          f"{bench_match.load_average()}; total {time.perf_counter() - begun:.0f} s")


if __name__ == "__main__":
    main()
