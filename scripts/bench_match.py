"""Benchmark the matcher and the match route on a synthetic Chongqing of N people.

For each size N it builds a city (people spread around the demo stations' districts, the urban
core denser), then measures:

1. matcher only: ``CandidateIndex().fit_columns(...)`` and ``score_candidates`` for varied tasks;
2. a brute-force numpy pass scoring all N people (no spatial index), as a baseline;
3. end to end: the people, stations and tasks bulk-loaded into a database, then the app served by
   gunicorn with the shipped ``gunicorn.conf.py`` (its timeout; ``--workers`` of them, default 2)
   on 127.0.0.1: the time from the server accepting connections to each worker's first match
   answer (workers told apart by the pid in the access log), whether any worker was killed, each
   worker's memory as PSS (``/proc/<pid>/smaps_rollup``: pages shared with the master and the
   other workers counted once, split between them), and ``GET /api/v1/tasks/<id>/matches`` timed
   over HTTP.

It prints figures and a summary against the targets; it asserts nothing.

Run (from the repository root, with the venv active)::

    python scripts/bench_match.py                       # 10k, 100k and 1M people
    python scripts/bench_match.py --sizes 10000,100000 --skip-http
    python scripts/bench_match.py --sizes 100000 --profile    # + where score_candidates and the route spend time
    python scripts/bench_match.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench  # WIPED per size

The whole default run (10k, 100k, 1M) takes about 2-3 minutes on 2 cores (most of it loading the
database and the brute-force baseline) and needs about 2 GB of RAM at 1M. Figures move with other load on the machine: each size
prints the load average.

Without ``--database-url`` each size gets a fresh SQLite file in a temporary directory. A given
database is emptied (drop_all/create_all) before each size: never point it at real data.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import http.client
import io
import json
import os
import pstats
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matcher.availability import LOCAL_TZ, WEEK_SLOTS, window_weights  # noqa: E402
from matcher.gazetteer import default_gazetteer  # noqa: E402
from matcher.geo import coarse_points, haversine_km  # noqa: E402
from matcher.index import CandidateIndex, PeopleColumns  # noqa: E402
from matcher.scoring import MAX_RADIUS_KM, REQUIRED_STRENGTH, score_candidates  # noqa: E402
from matcher.types import ROLES, MatchRequest  # noqa: E402
from web.demo import SKILLS, STATIONS  # noqa: E402

CORE_DISTRICTS = {"渝中区", "江北区", "渝北区", "沙坪坝区", "九龙坡区", "南岸区"}
CORE_WEIGHT = 4.0  # a core station draws this many times the people of an outer one
SPREAD_KM = 4.0  # Gaussian spread of people around their station (as web/demo.py)
RADII_KM = np.array([3, 5, 10, 10, 15, 20, 30], dtype=float)
SOCIAL_WORKER_SHARE = 0.08
INACTIVE_SHARE = 0.02
INSERT_BATCH = 10_000
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

# (name, N it applies to, key in a result row, limit); all "lower is better".
TARGETS = [
    ("build s", 100_000, "build_s", 5.0),
    ("matcher p50 ms", 100_000, "matcher_p50", 5.0),
    ("first match s", 100_000, "first_s", 5.0),
    ("HTTP p50 ms", 100_000, "http_p50", 5.0),
    ("HTTP p99 ms", 100_000, "http_p99", 20.0),
    ("first match s", 1_000_000, "first_s", 5.0),
    ("worker PSS MB", 1_000_000, "worker_pss", 1024.0),
    ("HTTP p50 ms", 1_000_000, "http_p50", 15.0),
]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许邓冯韩曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
                "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力鹏飞宇浩然欣怡子涵梓轩雨晨思琪佳琳俊博")


# ---------------------------------------------------------------- the synthetic city


@dataclass
class Centres:
    """The demo stations: district, name, kind, point, and how many people each draws."""

    district: list[str]
    name: list[str]
    kind: list[str]
    lat: np.ndarray
    lon: np.ndarray
    weight: np.ndarray


def station_centres(rng: np.random.Generator) -> Centres:
    """Resolve each demo station's district and jitter it ~1 km, like web/demo.py."""
    gazetteer = default_gazetteer()
    lat, lon, weight = [], [], []
    for district, _name, _kind in STATIONS:
        place = gazetteer.resolve("重庆市" + district)
        lat.append(place.lat + rng.normal(0, 1.0 / 111.0))
        lon.append(place.lon + rng.normal(0, 1.0 / 98.0))
        weight.append(CORE_WEIGHT if district in CORE_DISTRICTS else 1.0)
    weight = np.array(weight)
    return Centres([s[0] for s in STATIONS], [s[1] for s in STATIONS], [s[2] for s in STATIONS],
                   np.array(lat), np.array(lon), weight / weight.sum())


def availability_patterns() -> tuple[list[tuple[tuple[str, str, str], ...]], np.ndarray]:
    """Every weekly pattern web.demo._availability can produce, with its probability."""
    weekend = [("sat", "09:00", "18:00"), ("sun", "09:00", "18:00")]
    evenings = [(d, "19:00", "21:30") for d in WEEKDAYS]
    patterns, probs = [tuple(weekend), tuple(evenings)], [0.45, 0.20]
    for k in range(1, 6):
        patterns.append(tuple(weekend + evenings[:k]))
        probs.append(0.15 / 5)
    subsets = [m for m in range(32) if bin(m).count("1") >= 2]
    for mask in subsets:  # retirees: 2-5 weekdays, 08:30-17:00 (uniform count, then uniform subset)
        days = [d for i, d in enumerate(WEEKDAYS) if mask >> i & 1]
        same_size = sum(1 for m in subsets if bin(m).count("1") == len(days))
        patterns.append(tuple((d, "08:30", "17:00") for d in days))
        probs.append(0.20 / 4 / same_size)
    return patterns, np.array(probs) / sum(probs)


@dataclass
class City:
    """N people as columns (ids are 1..N, as they will be in the database)."""

    lat: np.ndarray
    lon: np.ndarray
    station: np.ndarray
    role: np.ndarray  # index into matcher.types.ROLES
    active: np.ndarray
    radius: np.ndarray
    tier_core: np.ndarray
    name: np.ndarray  # object array of str
    skills: list[tuple[str, ...]]
    availability: np.ndarray  # pattern index

    def __len__(self) -> int:
        return len(self.lat)


def sample_points(n: int, rng: np.random.Generator, centres: Centres) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N points: a station drawn by weight, then a Gaussian SPREAD_KM around it."""
    station = rng.choice(len(centres.lat), size=n, p=centres.weight)
    lat = centres.lat[station] + rng.normal(0, SPREAD_KM / 111.0, n)
    lon = centres.lon[station] + rng.normal(0, SPREAD_KM / 98.0, n)
    return np.round(lat, 6), np.round(lon, 6), station


def make_city(n: int, rng: np.random.Generator, centres: Centres, patterns_p: np.ndarray) -> City:
    """Generate N people with numpy (seconds even for a million)."""
    lat, lon, station = sample_points(n, rng, centres)
    skill_names = np.array(SKILLS, dtype=object)
    picks = np.argpartition(rng.random((n, len(SKILLS)), dtype=np.float32), 4, axis=1)[:, :4]
    counts = rng.integers(1, 5, n)
    skills = [tuple(row[:k]) for row, k in zip(skill_names[picks].tolist(), counts.tolist())]
    pool = np.array([s + "".join(rng.choice(GIVEN, size=rng.integers(1, 3))) for s in rng.choice(SURNAMES, 5000)],
                    dtype=object)
    return City(
        lat=lat, lon=lon, station=station,
        role=(rng.random(n) < SOCIAL_WORKER_SHARE).astype(np.int8),
        active=rng.random(n) >= INACTIVE_SHARE,
        radius=rng.choice(RADII_KM, n),
        tier_core=rng.random(n) < 0.05,
        name=pool[rng.integers(0, len(pool), n)],
        skills=skills,
        availability=rng.choice(len(patterns_p), size=n, p=patterns_p),
    )


def to_columns(city: City, centres: Centres, patterns: list) -> PeopleColumns:
    """The city as the matcher's columns, each person at their coarse point, as the service indexes them."""
    lats, lons = coarse_points(city.lat, city.lon)
    n = len(city)
    return PeopleColumns.build(
        id=np.arange(1, n + 1), name=city.name.tolist(), lat=lats, lon=lons, role=[ROLES[r] for r in city.role.tolist()],
        max_distance_km=city.radius, skills=city.skills, availability=[patterns[p] for p in city.availability.tolist()],
        active=city.active, tier=["core" if core else "regular" for core in city.tier_core.tolist()],
        district=[centres.district[s] for s in city.station.tolist()], services_completed=np.zeros(n, dtype=int),
        services_dropped=np.zeros(n, dtype=int), recent_hours=np.zeros(n), recent_hours_at=np.zeros(n),
    )


@dataclass
class TaskSpec:
    """One benchmark task: what the DB row holds plus the query options."""

    station: int
    lat: float
    lon: float
    starts_at: dt.datetime
    ends_at: dt.datetime
    skills: tuple[str, ...]
    required: tuple[str, ...]
    role: str
    max_distance_km: float | None
    partial: bool
    kind: str

    def request(self) -> MatchRequest:
        """The MatchRequest the route builds for this task and these options."""
        return MatchRequest(lat=self.lat, lon=self.lon, starts_at=self.starts_at, ends_at=self.ends_at,
                            skills=self.skills, required_skills=self.required, role=self.role,
                            max_distance_km=self.max_distance_km, partial=self.partial)

    def query(self) -> dict:
        """The query string options of the HTTP request."""
        options = {}
        if self.max_distance_km is not None:
            options["max_distance_km"] = self.max_distance_km
        if self.partial:
            options["partial"] = "true"
        return options


def make_tasks(count: int, rng: np.random.Generator, centres: Centres) -> list[TaskSpec]:
    """Varied tasks: placed like people; Sat/Sun daytime or weekday evenings of 1-4 h; 1-3 skills."""
    lat, lon, station = sample_points(count, rng, centres)
    today = dt.datetime.now(LOCAL_TZ).date()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    tasks = []
    for i in range(count):
        kind = rng.choice(["sat", "sun", "evening"], p=[0.4, 0.3, 0.3])
        week = int(rng.integers(0, 4))
        if kind == "evening":  # 1-2.5 h from 18:30-19:30: most fit the 19:00-21:30 evenings, some not
            day = saturday + dt.timedelta(days=2 + int(rng.integers(0, 5)) + 7 * week)
            start_min = int(rng.choice([18 * 60 + 30, 19 * 60, 19 * 60, 19 * 60 + 30]))
            length = int(rng.integers(2, 6)) * 30
        else:  # 1-4 h between 08:30 and 18:30 on a Saturday or Sunday
            day = saturday + dt.timedelta(days=(kind == "sun") + 7 * week)
            length = int(rng.integers(2, 9)) * 30
            start_min = int(rng.integers(17, 38 - length // 30)) * 30
        starts = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ) + dt.timedelta(minutes=start_min)
        wanted = tuple(rng.choice(SKILLS, size=int(rng.integers(1, 4)), replace=False).tolist())
        required = (wanted[0],) if rng.random() < 0.25 else ()
        tasks.append(TaskSpec(
            station=int(station[i]), lat=float(lat[i]), lon=float(lon[i]), starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=length), skills=wanted, required=required,
            role=str(rng.choice(["any", "volunteer", "social_worker"], p=[0.7, 0.2, 0.1])),
            max_distance_km=float(rng.choice([5.0, 10.0, 20.0])) if rng.random() < 0.3 else None,
            partial=bool(rng.random() < 0.1), kind=str(kind),
        ))
    return tasks


# ---------------------------------------------------------------- matcher and brute force


def percentiles(ms: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 of latencies in ms."""
    return tuple(float(np.percentile(ms, q)) for q in (50, 95, 99)) if ms else (float("nan"),) * 3


def bench_matcher(people: PeopleColumns, tasks: list[TaskSpec]) -> dict:
    """Time the index build and score_candidates over the tasks."""
    started = time.perf_counter()
    index = CandidateIndex().fit_columns(people)
    build_s = time.perf_counter() - started
    score_candidates(index, tasks[0].request())  # first call pays for lazy imports / caches
    latencies, results = [], []
    for task in tasks:
        request = task.request()
        started = time.perf_counter()
        matches = score_candidates(index, request)
        latencies.append((time.perf_counter() - started) * 1000)
        results.append([m.volunteer_id for m in matches])
    return {"index": index, "build_s": build_s, "latencies": latencies, "results": results}


def _brute_coverage(packed: np.ndarray, weights: np.ndarray, chunk: int = 131_072) -> np.ndarray:
    """Share of the window every row covers: unpack every bitmap (in chunks), dot the window's slots."""
    total = weights.sum()
    slots = np.flatnonzero(weights)
    out = np.empty(len(packed))
    for start in range(0, len(packed), chunk):
        bits = np.unpackbits(packed[start:start + chunk], axis=1, count=WEEK_SLOTS)
        out[start:start + chunk] = bits[:, slots] @ weights[slots] / total
    return np.clip(out, 0.0, 1.0)


def brute_force(index: CandidateIndex, request: MatchRequest) -> list[int]:
    """Score ALL rows of the main segment with plain numpy (no tree); the ranked ids, as the matcher."""
    seg = index.segments_[0]
    people = seg.people
    vocab, cols = index.vocabulary_, index.columns_
    radius = min(request.max_distance_km or MAX_RADIUS_KM, MAX_RADIUS_KM)
    dist = haversine_km(request.lat, request.lon, people.lat, people.lon)
    allowed = np.minimum(people.max_distance_km, radius)
    near = np.clip(1 - dist / allowed, 0.0, 1.0)
    cover = _brute_coverage(seg.bitmaps[people.availability], window_weights(request.starts_at, request.ends_at))
    keep = seg.alive & people.active & (dist <= allowed)
    keep &= cover > 0 if request.partial else cover >= 1 - 1e-9
    if request.role in ROLES:
        keep &= people.role == ROLES.index(request.role)
    def strength(text: str) -> np.ndarray:
        """Each row's strength for one asked word: the best of its answering columns (matcher.skills.Resolved.asked)."""
        best = np.zeros(len(dist))
        for key, weight in vocab.resolve(text).asked.items():
            if key in cols:
                best = np.maximum(best, weight * seg.skills[:, [cols[key]]].toarray()[:, 0])
        return best

    for text in request.required_skills:
        keep &= strength(text) >= REQUIRED_STRENGTH
    skill = np.ones(len(dist))
    if request.skills:
        skill = sum(strength(text) for text in request.skills) / len(request.skills)
    w = request.weights
    score = np.clip((w.skill * skill + w.distance * near + w.availability * cover)
                    / (w.skill + w.distance + w.availability), 0.0, 1.0)
    rows = np.flatnonzero(keep)
    evidence = (skill[rows] > 0) if request.skills and w.skill > 0 else np.zeros(len(rows), bool)  # evidence first
    order = np.lexsort((people.id[rows], dist[rows], -score[rows], ~evidence))[: request.limit]
    return people.id[rows[order]].tolist()


def bench_brute(index: CandidateIndex, tasks: list[TaskSpec], expected: list[list[int]]) -> dict:
    """Time the brute-force pass over the tasks and count how often it agrees with the matcher."""
    latencies, agree = [], 0
    for task, want in zip(tasks, expected):
        request = task.request()
        started = time.perf_counter()
        ids = brute_force(index, request)
        latencies.append((time.perf_counter() - started) * 1000)
        agree += ids == want
    return {"latencies": latencies, "agree": agree, "count": len(tasks)}


# ---------------------------------------------------------------- database and HTTP


def load_database(url: str, city: City, centres: Centres, patterns: list, tasks: list[TaskSpec]) -> tuple[str, dict]:
    """Create the schema, bulk-insert stations, people and tasks; return an admin token and timings."""
    from sqlalchemy import insert

    from web import create_app
    from web.auth.principal import issue_token
    from web.extensions import db
    from web.models import PeopleVersion, Station, Task, Volunteer

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    timings = {}
    with app.app_context():
        db.drop_all()
        db.create_all()
        now = dt.datetime.now(dt.UTC)
        stamps = {"created_at": now, "updated_at": now}
        started = time.perf_counter()
        with db.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA journal_mode=OFF")
                conn.exec_driver_sql("PRAGMA synchronous=OFF")
            # Version 1: as if one ORM flush had written everyone (their change_version is 1).
            conn.execute(insert(PeopleVersion.__table__), [{"id": 1, "version": 1}])
            conn.execute(insert(Station.__table__), [
                {"id": i + 1, "name": centres.name[i], "kind": centres.kind[i], "district": centres.district[i],
                 "address": f"重庆市{centres.district[i]}{centres.name[i]}", "lat": float(centres.lat[i]),
                 "lon": float(centres.lon[i]), **stamps} for i in range(len(centres.lat))])
            slots = [[{"day": d, "start": s, "end": e} for d, s, e in p] for p in patterns]
            columns = zip(city.name.tolist(), city.role.tolist(), city.lat.tolist(), city.lon.tolist(),
                          city.radius.tolist(), city.skills, city.availability.tolist(), city.station.tolist(),
                          city.tier_core.tolist(), city.active.tolist())
            batch, table = [], Volunteer.__table__
            for i, (name, role, lat, lon, radius, skills, pat, station, core, active) in enumerate(columns):
                batch.append({
                    "id": i + 1, "name": name, "role": ROLES[role], "skills": list(skills), "certificates": [],
                    "languages": ["普通话"], "district": centres.district[station], "lat": lat, "lon": lon,
                    "max_distance_km": radius, "availability": slots[pat], "station_id": station + 1,
                    "tier": "core" if core else "regular", "active": active, "change_version": 1, **stamps,
                })
                if len(batch) == INSERT_BATCH:
                    conn.execute(insert(table), batch)
                    batch = []
            if batch:
                conn.execute(insert(table), batch)
            conn.execute(insert(Task.__table__), [
                {"id": i + 1, "station_id": t.station + 1, "title": f"基准任务 {i + 1}", "skills": list(t.skills),
                 "required_skills": list(t.required), "role": t.role, "district": centres.district[t.station],
                 "lat": t.lat, "lon": t.lon, "starts_at": t.starts_at, "ends_at": t.ends_at, "headcount": 2,
                 "status": "open", **stamps} for i, t in enumerate(tasks)])
        timings["insert_s"] = time.perf_counter() - started
        token = issue_token("admin", name="bench_match")[1]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return token, timings


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_pids(master: int) -> list[int]:
    """Pids of the gunicorn master's child processes."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    children.append(int(entry.name))
    return sorted(children)


def wait_idle(pids: list[int], timeout: float = 60.0) -> None:
    """Wait until every worker sleeps in poll/select with a steady RSS (app loaded, waiting for requests)."""
    deadline, last, still = time.monotonic() + timeout, None, 0
    while time.monotonic() < deadline and still < 4:
        now = [proc_mb(p, "VmRSS") for p in pids]
        waiting = all(any(w in Path(f"/proc/{p}/wchan").read_text() for w in ("poll", "select")) for p in pids)
        still = still + 1 if waiting and now == last else 0
        last = now
        time.sleep(0.25)


def proc_mb(pid: int, field: str = "VmHWM") -> float:
    """A /proc/<pid>/status memory field (VmHWM: peak RSS) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_mb(pid: int) -> dict[str, float]:
    """A process's memory in MB: ``pss`` (shared pages split between their sharers), ``rss``, ``private``."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            fields[name] = int(rest.split()[0]) / 1024
    return {"pss": fields["Pss"], "rss": fields["Rss"],
            "private": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)}


# The access log line of each request: worker pid, the benchmark's request number, status.
ACCESS_FORMAT = "bench %(p)s %({x-bench-request}i)s %(s)s"
ACCESS_LINE = re.compile(r"^bench <(\d+)> (\d+) (\d+)$", re.MULTILINE)


@contextlib.contextmanager
def serve(url: str, workers: int, log_path: Path):
    """gunicorn with `workers` sync workers, all started; yield (port, master) (used by scripts/bench_plan.py)."""
    with start_server(url, workers, log_path, threads=1) as (port, master, _):
        deadline = time.monotonic() + 60
        while len(worker_pids(master.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        yield port, master


@contextlib.contextmanager
def start_server(url: str, workers: int, log_path: Path, threads: int | None = None):
    """Run gunicorn with gunicorn.conf.py on a free loopback port; yield (port, master, seconds to accept).

    The master builds the index before it opens the port (see gunicorn.conf.py); the time from
    start to the first accepted connection is reported separately from what follows.
    """
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, VOLMATCH_ENV="development")
    cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", str(workers), "-b", f"127.0.0.1:{port}",
           "--access-logformat", ACCESS_FORMAT, "web:create_app()"]
    if threads is not None:
        cmd[-1:-1] = ["--threads", str(threads)]
    import gunicorn.config

    if hasattr(gunicorn.config, "ControlSocketDisable"):  # gunicorn >= 25.1 opens ~/.gunicorn/gunicorn.ctl otherwise
        cmd.insert(-1, "--no-control-socket")
    started = time.monotonic()
    with open(log_path, "wb") as log:
        master = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = started + 1200
        while True:
            if master.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({master.returncode}):\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.02)
        yield port, master, time.monotonic() - started
    finally:
        master.terminate()
        try:
            master.wait(timeout=30)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()


def http_get(conn: http.client.HTTPConnection, path: str, headers: dict) -> tuple[int, bytes]:
    """One GET on a kept connection (http.client reopens it when the server closed it)."""
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def first_matches(port: int, headers: dict, workers: int, tasks: int, log_path: Path,
                  accepted_at: float) -> dict[int, float]:
    """Seconds from the server accepting connections to each worker's first match answer, by worker pid.

    Two clients send matches, each on a new connection (so the kernel hands them to any worker),
    numbered in a header the access log records with the pid of the worker that answered; they stop
    once every worker has answered one (or after 300 s).
    """
    answered: dict[int, float] = {}  # request number -> when its answer arrived
    lock, stop = threading.Lock(), threading.Event()
    counter = iter(range(1, 10**9))

    def client() -> None:
        while not stop.is_set():
            with lock:
                number = next(counter)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            status, _ = http_get(conn, f"/api/v1/tasks/{number % tasks + 1}/matches",
                                 {**headers, "X-Bench-Request": str(number), "Connection": "close"})
            conn.close()
            if status != 200:
                raise RuntimeError(f"first matches: HTTP {status}")
            with lock:
                answered[number] = time.monotonic()

    def first_by_worker() -> dict[int, float]:
        firsts: dict[int, float] = {}
        for pid, number, _status in ACCESS_LINE.findall(log_path.read_text()):
            with lock:
                at = answered.get(int(number))
            if at is not None:
                firsts[int(pid)] = min(firsts.get(int(pid), at), at)
        return firsts

    threads = [threading.Thread(target=client, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 300
    while len(first_by_worker()) < workers and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    return {pid: at - accepted_at for pid, at in sorted(first_by_worker().items())}


def bench_http(url: str, token: str, tasks: list[TaskSpec], expected: list[list[int]], workers: int,
               log_path: Path, threads: int | None = None) -> dict:
    """Serve the app, time each worker's first match, time one GET /matches per task, read worker memory."""
    headers = {"Authorization": f"Bearer {token}"}
    with start_server(url, workers, log_path, threads) as (port, master, start_s):
        accepted_at = time.monotonic()
        first = first_matches(port, headers, workers, len(tasks), log_path, accepted_at)
        pids = worker_pids(master.pid)
        warm = {pid: memory_mb(pid) for pid in pids}

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        latencies, agree = [], 0
        for i, (task, want) in enumerate(zip(tasks, expected)):
            path = f"/api/v1/tasks/{i + 1}/matches"
            if task.query():
                path += "?" + urllib.parse.urlencode(task.query())
            started = time.perf_counter()
            status, body = http_get(conn, path, headers)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"{path}: HTTP {status} {body[:300]!r}")
            agree += [r["volunteer_id"] for r in json.loads(body)["results"]] == want
        conn.close()
        after = {pid: memory_mb(pid) for pid in worker_pids(master.pid)}
        master_mb = memory_mb(master.pid)
    log = log_path.read_text()
    return {"start_s": start_s, "first_s": first, "warm_mb": warm, "after_mb": after, "master_mb": master_mb,
            "killed": log.count("WORKER TIMEOUT") + log.count("was sent SIGKILL"),
            "restarted": set(after) != set(pids) or len(first) < workers,
            "latencies": latencies, "agree": agree, "count": len(tasks)}


def stage_breakdown(index: CandidateIndex, tasks: list[TaskSpec]) -> str:
    """Where score_candidates spends its time: its helpers timed by temporary wrappers (this process only)."""
    import matcher.scoring as scoring
    from matcher.index import Segment

    spent: dict[str, float] = {}
    originals = []

    def timed(owner, name: str, label: str) -> None:
        original = getattr(owner, name)
        originals.append((owner, name, original))

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        setattr(owner, name, wrapper)

    timed(Segment, "within", "Segment.within (grid radius query)")
    timed(scoring, "_wanted_strengths", "_wanted_strengths (skills)")
    timed(scoring, "_pattern_coverage", "_pattern_coverage (availability)")
    timed(scoring, "_has_required", "_has_required")
    timed(scoring._Explainer, "match", "_Explainer.match (reasons per row shown)")
    timed(scoring, "geodesic_km_many", "geodesic_km_many (distances shown)")
    try:
        requests_ = [t.request() for t in tasks]
        started = time.perf_counter()
        short = [request for request in requests_ if len(scoring.score_candidates(index, request)) < request.limit]
        total = time.perf_counter() - started
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    lines = [f"score_candidates stages (mean over {len(tasks)} tasks, {total / len(tasks) * 1000:.2f} ms/task):"]
    for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {label:<42} {seconds / len(tasks) * 1000:8.2f} ms  {seconds / total:6.1%}")
    rest = total - sum(spent.values())
    lines.append(f"  {'rest (masks, ids, sort)':<42} {rest / len(tasks) * 1000:8.2f} ms  {rest / total:6.1%}")
    started = time.perf_counter()
    for request in short:  # the route adds why people are missing when it shows fewer than asked
        scoring.shortfall(index, request)
    lines.append(f"shortfall (the route's answer when fewer than asked: {len(short)} of {len(tasks)} tasks): "
                 f"{(time.perf_counter() - started) / max(len(short), 1) * 1000:.2f} ms/task")
    return "\n".join(lines)


def profile_route(url: str, token: str, tasks: list[TaskSpec], top: int = 20) -> str:
    """The match route in-process (Flask test client, no HTTP server): latencies, then a cProfile of all tasks."""
    from web import create_app
    from web.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    started = time.perf_counter()
    client.get("/api/v1/tasks/1/matches")  # loads the index
    load_s = time.perf_counter() - started

    def run_all() -> list[float]:
        latencies = []
        for i, task in enumerate(tasks):
            started = time.perf_counter()
            client.get(f"/api/v1/tasks/{i + 1}/matches", query_string=task.query())
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    p50, p95, p99 = percentiles(run_all())
    profiler = cProfile.Profile()
    profiler.enable()
    run_all()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    report = out.getvalue().strip().splitlines()
    report = [line for line in report if line.strip() and "function calls" not in line and "Ordered by" not in line]
    return (f"in-process route (test client, no server): index load {load_s:.2f} s; p50 {p50:.1f} / p95 {p95:.1f} / "
            f"p99 {p99:.1f} ms\ncProfile of all {len(tasks)} in-process requests, top {top} by own time:\n"
            + "\n".join(report))


def load_average() -> str:
    """The 1-minute load average (other work on the machine skews every figure)."""
    return Path("/proc/loadavg").read_text().split()[0]


# ---------------------------------------------------------------- reporting


def self_peak_mb() -> float:
    """Peak RSS of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for the tables, or '-' when not measured."""
    return "-" if value is None or value != value else f"{value:,.{digits}f}"


def print_summary(rows: list[dict]) -> None:
    """The final table per N, and each target with ok/MISSED."""
    head = ["N", "build s", "matcher p50/p95/p99 ms", "mean hits", "brute p50 ms", "brute/idx", "server start s",
            "first match s", "HTTP p50/p95/p99 ms", "worker PSS MB", "bench peak MB"]
    lines = []
    for r in rows:
        lines.append([
            f"{r['n']:,}", fmt(r["build_s"], 2),
            "/".join(fmt(r.get(k), 2) for k in ("matcher_p50", "matcher_p95", "matcher_p99")),
            fmt(r["mean_hits"]), fmt(r.get("brute_p50")), fmt(r.get("ratio")) + ("x" if r.get("ratio") else ""),
            fmt(r.get("start_s")), fmt(r.get("first_s"), 2),
            "/".join(fmt(r.get(k)) for k in ("http_p50", "http_p95", "http_p99")),
            fmt(r.get("worker_pss"), 0), fmt(r["bench_mb"], 0),
        ])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    print("\n== Summary ==")
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for line in lines:
        print("  ".join(c.rjust(w) for c, w in zip(line, widths)))
    print("\n== Targets ==")
    by_n = {r["n"]: r for r in rows}
    for label, n, key, limit in TARGETS:
        row = by_n.get(n)
        value = row.get(key) if row else None
        if value is None:  # noqa: SIM108 - clearer than a nested conditional expression
            verdict = "not measured"
        else:
            verdict = "ok" if value <= limit else "MISSED"
        print(f"  N={n:>9,}  {label:<15} <= {limit:>5g}   measured {fmt(value, 2):>9}   {verdict}")


def run_http(n: int, args: argparse.Namespace, workdir: Path, city: City, centres: Centres, patterns: list,
             tasks: list[TaskSpec], expected: list[list[int]]) -> dict:
    """Load the database, serve it, time the route; prints the details and returns the summary figures."""
    url = args.database_url or f"sqlite:///{workdir / f'bench_{n}.sqlite'}"
    token, timings = load_database(url, city, centres, patterns, tasks)
    print(f"database: {n:,} people + {len(tasks)} tasks inserted in {timings['insert_s']:.1f} s ({url})", flush=True)
    h = bench_http(url, token, tasks, expected, args.workers, workdir / f"gunicorn_{n}.log", args.threads)
    h50, h95, h99 = percentiles(h["latencies"])
    first = list(h["first_s"].values())
    print(f"HTTP: gunicorn accepted connections {h['start_s']:.1f} s after its start (the master builds the index "
          f"first); first match answered by each worker {', '.join(f'{s:.2f}' for s in first)} s after that; "
          f"workers killed: {h['killed']}{', restarted' if h['restarted'] else ''}", flush=True)
    for label, key in (("after first match", "warm_mb"), ("after the run", "after_mb")):
        print(f"HTTP: worker memory {label}: " + "; ".join(
            f"PSS {m['pss']:.0f} MB (RSS {m['rss']:.0f}, private {m['private']:.0f})" for m in h[key].values()),
            flush=True)
    print(f"HTTP: master PSS {h['master_mb']['pss']:.0f} MB; all processes together "
          f"{h['master_mb']['pss'] + sum(m['pss'] for m in h['after_mb'].values()):.0f} MB", flush=True)
    print(f"HTTP: {h['count']} sequential GET /api/v1/tasks/<id>/matches: p50 {h50:.1f} / p95 {h95:.1f} / "
          f"p99 {h99:.1f} ms, max {max(h['latencies']):.1f} ms; same ranked ids as the matcher for "
          f"{h['agree']}/{h['count']}", flush=True)
    if args.profile:
        print(profile_route(url, token, tasks), flush=True)
    if not args.database_url:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(str(workdir / f"bench_{n}.sqlite") + suffix)
    return {"http_p50": h50, "http_p95": h95, "http_p99": h99, "start_s": h["start_s"],
            "first_s": max(first) if len(first) == args.workers else float("inf"),
            "worker_pss": max(m["pss"] for m in h["after_mb"].values())}


def run_size(n: int, args: argparse.Namespace, workdir: Path) -> dict:
    """Everything for one N; prints the details as it goes and returns the summary row."""
    print(f"\n==================== N = {n:,} (load average {load_average()}) ====================", flush=True)
    rng = np.random.default_rng([args.seed, n])
    centres = station_centres(rng)
    patterns, patterns_p = availability_patterns()
    started = time.perf_counter()
    city = make_city(n, rng, centres, patterns_p)
    people = to_columns(city, centres, patterns)
    tasks = make_tasks(args.tasks, rng, centres)
    core = np.isin(np.array(centres.district)[city.station], list(CORE_DISTRICTS)).mean()
    print(f"city: {n:,} people in {time.perf_counter() - started:.1f} s ({core:.0%} in the urban core, "
          f"{city.role.mean():.1%} social workers, {1 - city.active.mean():.1%} inactive); {len(tasks)} tasks "
          f"({sum(t.kind != 'evening' for t in tasks)} weekend, {sum(t.kind == 'evening' for t in tasks)} evening, "
          f"{sum(bool(t.required) for t in tasks)} with a required skill, "
          f"{sum(t.max_distance_km is not None for t in tasks)} with max_distance_km, {sum(t.partial for t in tasks)} partial)",
          flush=True)

    m = bench_matcher(people, tasks)
    p50, p95, p99 = percentiles(m["latencies"])
    hits = float(np.mean([len(r) for r in m["results"]]))
    empty = sum(not r for r in m["results"])
    print(f"matcher: index build {m['build_s']:.2f} s; score_candidates p50 {p50:.2f} / p95 {p95:.2f} / "
          f"p99 {p99:.2f} ms, max {max(m['latencies']):.2f} ms; mean results {hits:.1f} ({empty} tasks with none)",
          flush=True)
    if args.profile:
        print(stage_breakdown(m["index"], tasks), flush=True)
    row = {"n": n, "build_s": m["build_s"], "matcher_p50": p50, "matcher_p95": p95, "matcher_p99": p99,
           "mean_hits": hits}

    brute_tasks = tasks[: args.brute_tasks] if args.brute_tasks else tasks
    b = bench_brute(m["index"], brute_tasks, m["results"])
    b50 = percentiles(b["latencies"])[0]
    idx50 = percentiles(m["latencies"][: len(brute_tasks)])[0]
    row.update(brute_p50=b50, ratio=b50 / idx50)
    print(f"brute force (all {n:,} rows, {b['count']} tasks): p50 {b50:.1f} ms vs indexed p50 {idx50:.2f} ms on the "
          f"same tasks = {b50 / idx50:.1f}x; same ranked ids as the matcher for {b['agree']}/{b['count']}", flush=True)
    expected = m["results"]
    del m, people  # free the index before the database load and the server
    row["bench_mb"] = self_peak_mb()

    if not args.skip_http:
        row.update(run_http(n, args, workdir, city, centres, patterns, tasks, expected))
    row["bench_mb"] = self_peak_mb()
    print(f"benchmark process peak RSS so far: {row['bench_mb']:.0f} MB; load average now {load_average()}", flush=True)
    return row


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run every size, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated N (default %(default)s)")
    parser.add_argument("--tasks", type=int, default=200, help="tasks per size (default %(default)s)")
    parser.add_argument("--brute-tasks", type=int, default=0,
                        help="run the brute-force baseline on only the first K tasks (default: all)")
    parser.add_argument("--database-url", help="SQLAlchemy URL to load and serve; EMPTIED per size "
                                               "(default: a fresh SQLite file in a temp dir)")
    parser.add_argument("--skip-http", action="store_true", help="matcher and brute force only")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default %(default)s)")
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker (default: gunicorn.conf.py's)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true",
                        help="also time score_candidates' stages, and run and cProfile the route in-process")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    print(f"bench_match: sizes {sizes}, {args.tasks} tasks, seed {args.seed}, {os.cpu_count()} CPUs, "
          f"python {sys.version.split()[0]}, numpy {np.__version__}", flush=True)
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_match_") as tmp:
        for n in sizes:
            rows.append(run_size(n, args, Path(tmp)))
    print_summary(rows)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
