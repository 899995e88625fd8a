#!/usr/bin/env python
"""Benchmark the bulk import: rows per second and peak memory, first import, re-import and dry run.

    python scripts/bench_import.py [--rows 100000] [--shape repeated|distinct|both] [--database-url URL]
                                   [--formats csv,xlsx] [--jobs auto|N]

Writes a synthetic export (GBK CSV and .xlsx, Chinese headers, a realistic share of dirty cells
and bad rows) to a temporary folder, then runs `scripts/import_volunteers.py` on it in a fresh
process per phase, so each phase's peak memory (PSS of the process and its workers, see `measure`)
is its own. Two shapes of file (`--shape`, default both):

- ``repeated``: skills, addresses and free times drawn from a few values each, as a station's own
  export often is (the importer reads each distinct cell once);
- ``distinct``: every row carries its own coordinates (纬度/经度, placed by reverse lookup), its own
  street address, skill list and free times, so almost no cell repeats.

Default database: a new SQLite file per shape and format; pass a PostgreSQL URL (an empty scratch
database) to measure that too (one shape and format per database). Prints figures, asserts nothing.
"""
import argparse
import csv
import datetime as dt
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADERS = ["志愿者编号", "姓名", "性别", "手机号", "身份证号", "专业技能", "居住地址", "空闲时间", "备注"]
SKILLS = ["心理疏导", "心理咨询", "法律援助", "课业辅导", "儿童陪伴", "助老服务", "急救", "烹饪", "电工", "手语", "摄影", "驾驶"]
PLACES = ["重庆市渝中区解放碑", "重庆市江北区观音桥", "重庆市渝北区龙溪街道", "重庆市沙坪坝区三峡广场", "重庆市九龙坡区杨家坪",
          "重庆市南岸区南坪", "重庆市巴南区", "重庆市北碚区", "渝北区", "江津区", "重庆市梁平县", "武隆县"]
TIMES = ["周末", "周六上午", "工作日晚上", "每周三下午", "节假日", "全天", "Sat 9-12", "周六上午、周日下午",
         "周一至周五 19:00-21:00"]
SHAPES = ("repeated", "distinct")
# The distinct shape: points around the centres of Chongqing's central districts (adcode 5001xx).
CENTRES = [("渝中区", 29.555611, 106.565198), ("大渡口区", 29.487205, 106.478438), ("江北区", 29.616173, 106.703350),
           ("沙坪坝区", 29.543735, 106.452904), ("九龙坡区", 29.505027, 106.506850), ("南岸区", 29.504142, 106.640696),
           ("北碚区", 29.807585, 106.391583), ("渝北区", 29.812116, 106.742462), ("巴南区", 29.405294, 106.536517)]
ROADS = ["中山路", "民族路", "建新北路", "红旗河沟", "石桥铺", "杨家坪正街", "南坪西路", "龙山大道", "天生路", "龙洲大道"]
MORE_SKILLS = SKILLS + ["心理慰藉", "法律咨询", "劳动维权", "养老护理", "妇女互助", "护理", "厨艺培训", "建筑施工", "焊工",
                        "求职指导", "招聘会服务", "电脑培训", "智能手机教学", "英语翻译", "书法", "舞蹈", "篮球", "活动策划"]
DAYS = "一二三四五六日"


def id_number(rng, i):
    """A valid synthetic resident ID number (GB 11643 check digit)."""
    weights, checks = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), "10X98765432"
    born = dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000)  # with the sequence digits: unique per i
    first17 = f"500112{born:%Y%m%d}{i // 20000:03d}"
    return first17 + checks[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def rows(n, seed=3, shape="repeated"):
    """Synthetic export rows: ~93% clean (with dirty but readable cells), ~7% bad.

    The repeated shape's last column is a remark; the distinct shape adds 纬度 and 经度 (see HEADERS_FOR).
    """
    rng = random.Random(seed)
    for i in range(n):
        phone = f"13{rng.randint(0, 9)}{i:08d}"
        row = [f"CQ{i:07d}", f"志愿者{i}", rng.choice("男女"), phone, id_number(rng, i) if rng.random() < 0.6 else ""]
        if shape == "distinct":
            row += _distinct_cells(rng, i)
        else:
            row += ["、".join(rng.sample(SKILLS, rng.randint(1, 3))), rng.choice(PLACES), rng.choice(TIMES), ""]
        dirt = rng.random()
        if dirt < 0.05:
            row[3] = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
        elif dirt < 0.08:
            row[3] = phone.translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # full-width
        elif dirt < 0.10:
            row[3] = "1.38001E+10"  # rounded by Excel: rejected
        elif dirt < 0.12:
            row[7] = "看情况"  # unreadable availability: rejected
        elif dirt < 0.14:
            row[6] = "某某小区"  # no district: rejected (the distinct shape's row loses its coordinates too)
            row[9:] = [""] * len(row[9:])
        elif dirt < 0.15 and row[4]:
            row[4] = row[4][:-1] + ("0" if row[4][-1] != "0" else "1")  # bad check digit: rejected
        yield row


def _distinct_cells(rng, i):
    """Skills, address, free times, remark, latitude and longitude of their own for row `i`."""
    district, lat, lon = rng.choice(CENTRES)
    skills = rng.choice("、，; ").join(rng.sample(MORE_SKILLS, rng.randint(1, 4)))
    address = f"重庆市{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元"
    spans = []
    for day in sorted(rng.sample(range(7), rng.randint(1, 2))):
        start = rng.randint(8 * 60, 19 * 60)
        end = start + rng.randint(60, 180)
        spans.append(f"周{DAYS[day]} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}")
    return [skills, address, "、".join(spans), f"登记第{i}号",
            f"{lat + rng.uniform(-0.03, 0.03):.6f}", f"{lon + rng.uniform(-0.03, 0.03):.6f}"]


HEADERS_FOR = {"repeated": HEADERS, "distinct": HEADERS + ["纬度", "经度"]}


def write_files(folder, n, shape="repeated", formats=("csv", "xlsx")):
    """The same rows of one shape as a GBK CSV and as an .xlsx; returns their paths."""
    paths = {}
    if "csv" in formats:
        paths["csv"] = folder / f"export_{shape}_gbk.csv"
        with open(paths["csv"], "w", encoding="gb18030", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS_FOR[shape])
            writer.writerows(rows(n, shape=shape))
    if "xlsx" in formats:
        from openpyxl import Workbook

        paths["xlsx"] = folder / f"export_{shape}.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet("志愿者")
        sheet.append(HEADERS_FOR[shape])
        for row in rows(n, shape=shape):
            sheet.append(row)
        book.save(paths["xlsx"])
    return paths


def measure(path, database_url, *extra):
    """Run one phase; returns (rows/s from its summary, peak MB, wall seconds of the whole command, output).

    Peak MB is the largest sum of the proportional set size (PSS: shared pages
    split between the processes sharing them) of the import process and its worker processes, so
    forked workers are counted without counting the memory they share twice. Sampled every 0.1 s.
    """
    env = {**os.environ, "DATABASE_URL": database_url, "VOLMATCH_ENV": "development"}
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([sys.executable, "scripts/import_volunteers.py", str(path), *extra], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, text=True)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, tree_pss_mb(proc.pid))
            time.sleep(0.1)
        wall = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    rate = re.search(r"\(([\d,]+) rows/s\)", output)
    return (int(rate.group(1).replace(",", "")) if rate else 0), peak, wall, output.strip()


def tree_pss_mb(pid):
    """PSS in MB of a process and its descendants (Linux /proc; 0 for processes already gone)."""
    total, todo = 0, [pid]
    while todo:
        member = todo.pop()
        try:
            with open(f"/proc/{member}/task/{member}/children") as handle:
                todo.extend(int(child) for child in handle.read().split())
            with open(f"/proc/{member}/smaps_rollup") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def load_average():
    """The machine's load averages over 1, 5 and 15 minutes, as text."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def prepare_database(database_url):
    """Bring the database to the current schema (it should be empty)."""
    env = {**os.environ, "DATABASE_URL": database_url, "VOLMATCH_ENV": "development"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "web", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--shape", choices=[*SHAPES, "both"], default="both",
                        help="repeated: cells drawn from a few values; distinct: every row its own coordinates and values")
    parser.add_argument("--database-url", help="default: a new SQLite file per shape and format")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--jobs", default="auto", help="passed to the import (auto: one worker per core for big files)")
    args = parser.parse_args()
    shapes = SHAPES if args.shape == "both" else (args.shape,)
    formats = args.formats.split(",")
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {}
        for shape in shapes:
            started = time.perf_counter()
            files[shape] = write_files(folder, args.rows, shape, formats)
            print(f"wrote {args.rows:,} {shape} rows as {' and '.join(formats)} in {time.perf_counter() - started:.1f} s")
        print(f"{'shape':8} {'format':6} {'database':10} {'phase':10} {'rows/s':>9} {'peak MB':>8} {'command s':>9}  summary")
        figures = {}
        for shape in shapes:
            for kind in formats:
                url = args.database_url or f"sqlite:///{folder / f'bench_{shape}_{kind}.sqlite'}"
                prepare_database(url)
                dialect = url.split(":")[0].split("+")[0]
                for phase, extra in (("dry run", ["--dry-run"]), ("first", []), ("re-import", [])):
                    rate, peak, wall, output = measure(files[shape][kind], url, *extra, "--jobs", args.jobs)
                    counts = next((line.strip() for line in output.splitlines() if "created" in line), output[-200:])
                    figures[(shape, kind, phase)] = rate
                    print(f"{shape:8} {kind:6} {dialect:10} {phase:10} {rate:9,} {peak:8.0f} {wall:9.1f}  {counts}"
                          f"  (load {os.getloadavg()[0]:.2f})")
                if args.database_url:
                    break
            if args.database_url:
                print("(the database now holds the imported rows: use a fresh one for the next shape or format)")
                break
    if len(shapes) > 1:
        for kind in formats:
            line = "; ".join(f"{phase} {figures[('repeated', kind, phase)]:,} / {figures[('distinct', kind, phase)]:,}"
                             for phase in ("first", "re-import") if ("distinct", kind, phase) in figures)
            if line:
                print(f"{kind}, repeated / distinct rows/s: {line}")
    print(f"load average after: {load_average()}")
    print("rows/s: the import's own rate (its summary line); command s: the whole command, Python start-up included;")
    print("load: the 1-minute load average after the phase (the machine's other work slows the import)")
    print("targets (SQLite, 100,000-row CSV): first import >= 20,000 rows/s; re-import >= 40,000 rows/s; peak <= 300 MB")


if __name__ == "__main__":
    main()
